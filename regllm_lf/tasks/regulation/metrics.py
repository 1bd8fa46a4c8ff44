"""Regulation metrics: cited references against the gold ones, and against the index."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from regllm_lf import project
from regllm_lf.evaluation.aggregate import mean
from regllm_lf.tasks.regulation.citations import RegulationIndex, load_index, parse_citations


def _index() -> RegulationIndex:
    return _index_of(project.root())


@cache
def _index_of(root: Path) -> RegulationIndex:  # one per project root
    return load_index()


def score(metadata: dict[str, Any], answer: str, index: RegulationIndex | None = None) -> dict[str, float | None]:
    index = index or _index()
    gold = {(c.document, c.key) for text in metadata.get("citations", []) for c in parse_citations(text)}
    cited = {(c.document, c.key) for c in parse_citations(answer)}
    resolvable = [float(index.resolves(c)) for c in parse_citations(answer)]
    return {
        "citation_precision": len(cited & gold) / len(cited) if cited else 0.0,
        "citation_recall": len(cited & gold) / len(gold) if gold else None,
        "citation_resolvable": mean(resolvable),
    }
