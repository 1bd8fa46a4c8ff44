"""Hard negatives for regulation rows: ``cita_erronea`` (a real paragraph of the same document, the wrong
one), ``cita_inexistente`` (a paragraph the document does not have)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from regllm_lf.prepare.split import pick
from regllm_lf.tasks.regulation.citations import RegulationIndex, load_index, parse_citations


def citation_candidates(row: dict[str, Any], index: RegulationIndex) -> list[tuple[str, str]]:
    answer, row_id = row["messages"][-1]["content"], row["metadata"]["id"]
    citations = [c for c in parse_citations(answer) if index.resolves(c)]
    if not citations:
        return []
    target = citations[0]
    original = index.canonical(target)
    keys = sorted(key for key in index.entries[target.document] if key != target.key)
    options = []
    if keys:
        wrong = target.__class__(target.document, pick(keys, row_id, "cita"))
        options.append(("cita_erronea", answer.replace(original, index.canonical(wrong))))
    first_number = re.match(r"([A-Z]?)(\d+)(.*)", target.key)
    if first_number:
        letter, number, rest = first_number.groups()
        missing = target.__class__(target.document, f"{letter}{int(number) + 700}{rest}")
        if not index.resolves(missing):
            options.append(("cita_inexistente", answer.replace(original, index.canonical(missing))))
    return options


def negatives(rows: list[dict[str, Any]]) -> Callable[[dict[str, Any]], list[tuple[str, str]]]:
    index = load_index()
    return lambda row: citation_candidates(row, index)
