"""Banking Q&A metrics: the gold figure stated with its bank and year; on out-of-coverage questions,
abstention versus a stated figure (hallucination), as defined in ``abstention``."""

from __future__ import annotations

from typing import Any

from regllm_lf.core.spanish_numbers import figure_matches, parse_figures
from regllm_lf.evaluation.aggregate import mean
from regllm_lf.tasks.banking_qa.abstention import abstains

BANK_ALIASES = {
    "santander": ("santander",),
    "bbva": ("bbva", "bilbao vizcaya"),
    "caixabank": ("caixabank", "caixa"),
    "sabadell": ("sabadell",),
    "kutxabank": ("kutxabank", "kutxa"),
}


def score(metadata: dict[str, Any], answer: str) -> dict[str, float | None]:
    facts = metadata.get("facts", [])
    if not facts:  # out of coverage: the honest answer is "not available"; exactly one of the two holds
        abstained = abstains(answer)
        return {"abstention_rate": float(abstained), "hallucination_rate": float(not abstained)}
    lowered = answer.lower()
    figures = parse_figures(answer)
    hits = []
    for fact in facts:
        bank_named = any(alias in lowered for alias in BANK_ALIASES.get(fact["bank_id"], (fact["bank_id"],)))
        year_named = str(fact["year"]) in answer
        value_stated = any(figure_matches(f, fact["value"], fact["unit"]) for f in figures)
        hits.append(float(bank_named and year_named and value_stated))
    return {"numeric_accuracy": mean(hits)}
