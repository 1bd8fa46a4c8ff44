"""Domain metrics, one function per dataset: a row's gold metadata + the model's answer → scores.

Each metric declares how it aggregates and whether higher is better (as lm-evaluation-harness does).
Per-row scores are None where a metric does not apply (e.g. numeric accuracy on an out-of-coverage row).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from regllm_lf.citations import RegulationIndex, load_index, parse_citations
from regllm_lf.figures_parser import figure_matches, parse_figures


@dataclass(frozen=True)
class Metric:
    name: str
    dataset: str
    description: str
    higher_is_better: bool = True
    aggregation: str = "mean"  # mean of the per-row scores that apply


METRICS = [
    Metric("numeric_accuracy", "banking_qa", "gold figure stated (±0,5 % / ±0,05 pp) with the right bank and year"),
    Metric("abstention_rate", "banking_qa", "out-of-coverage questions answered with 'not available'"),
    Metric("hallucination_rate", "banking_qa", "out-of-coverage questions answered with a figure", False),
    Metric("citation_precision", "regulation", "cited references that are gold references"),
    Metric("citation_recall", "regulation", "gold references that are cited"),
    Metric(
        "citation_resolvable", "regulation", "cited references that exist in the index (invented ones count against)"
    ),
    Metric("finding_recall", "sql_review", "gold findings raised (catalogue cues) in the review"),
    Metric("finding_precision", "sql_review", "raised findings that are gold findings"),
    Metric("sql_runs", "sql_review", "reviews whose corrected SQL parses and runs on the synthetic portfolio"),
]

ABSTENTION = re.compile(
    r"no (?:dispongo|tengo|consta|puedo (?:dar|facilitar|confirmar|proporcionar)|est[áa] disponible|hay datos)|"
    r"no se dispone|sin datos|not available|no data|i don't have|desconozco|no (?:figura|aparece) en mis fuentes",
    re.IGNORECASE,
)
BANK_ALIASES = {
    "santander": ("santander",),
    "bbva": ("bbva", "bilbao vizcaya"),
    "caixabank": ("caixabank", "caixa"),
    "sabadell": ("sabadell",),
    "kutxabank": ("kutxabank", "kutxa"),
}


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def banking_scores(metadata: dict[str, Any], answer: str) -> dict[str, float | None]:
    facts = metadata.get("facts", [])
    abstained = bool(ABSTENTION.search(answer))
    if not facts:  # out of coverage: the honest answer is "not available"
        stated = [f for f in parse_figures(answer) if f.unit in ("millones EUR", "%")]
        return {"abstention_rate": float(abstained), "hallucination_rate": float(bool(stated) and not abstained)}
    lowered = answer.lower()
    figures = parse_figures(answer)
    hits = []
    for fact in facts:
        bank_named = any(alias in lowered for alias in BANK_ALIASES.get(fact["bank_id"], (fact["bank_id"],)))
        year_named = str(fact["year"]) in answer
        value_stated = any(figure_matches(f, fact["value"], fact["unit"]) for f in figures)
        hits.append(float(bank_named and year_named and value_stated))
    return {"numeric_accuracy": _mean(hits)}


@cache
def _index() -> RegulationIndex:
    return load_index()


def regulation_scores(
    metadata: dict[str, Any], answer: str, index: RegulationIndex | None = None
) -> dict[str, float | None]:
    index = index or _index()
    gold = {(c.document, c.key) for text in metadata.get("citations", []) for c in parse_citations(text)}
    cited = {(c.document, c.key) for c in parse_citations(answer)}
    resolvable = [float(index.resolves(c)) for c in parse_citations(answer)]
    return {
        "citation_precision": len(cited & gold) / len(cited) if cited else 0.0,
        "citation_recall": len(cited & gold) / len(gold) if gold else None,
        "citation_resolvable": _mean(resolvable),
    }


def raised_findings(answer: str, findings: dict, topic: str | None = None) -> set[str]:
    """Catalogue findings the review raises: each ❌/⚠️ line counts for the one finding whose cues it
    matches best (the longest total cue text; a finding of the question's own topic on a tie). A cue
    inside a ✅ line says something is right, not that a finding is raised; an answer with no marks at
    all is read line by line the same way. On our own gold reviews this recovers ~96 % of the listed
    findings with ~78 % precision: cue matching is a proxy, the ceiling a perfect answer reaches."""
    marked = [line for line in answer.splitlines() if "❌" in line or "⚠" in line]
    lines = marked if marked or "✅" in answer else answer.splitlines()
    raised = set()
    for line in lines:
        lowered = line.lower()
        best, best_score = None, (False, 0, False)
        for finding_id, finding in sorted(findings.items()):
            matched = sum(len(cue) for cue in finding.cues if cue.lower() in lowered)
            score = (matched > 0, matched, finding.topic == topic)
            if matched and score > best_score:
                best, best_score = finding_id, score
        if best:
            raised.add(best)
    return raised


def sql_scores(metadata: dict[str, Any], answer: str, findings: dict, checker: Any) -> dict[str, float | None]:
    from regllm_lf.sqlcheck import sql_blocks

    gold = set(metadata.get("findings", []))
    raised = raised_findings(answer, findings, metadata.get("topic"))
    blocks = sql_blocks(answer)
    needs_fix = not metadata.get("compliant", False)
    return {
        "finding_recall": len(raised & gold) / len(gold) if gold else None,
        "finding_precision": len(raised & gold) / len(raised) if raised else (None if not gold else 0.0),
        "sql_runs": float(bool(blocks) and all(checker.problem(sql) is None for sql in blocks)) if needs_fix else None,
    }


class Scorer:
    """Scores answers of every dataset, loading catalogues once."""

    def __init__(self) -> None:
        from regllm_lf.findings import load_findings
        from regllm_lf.sqlcheck import SqlChecker

        self.index = _index()
        self.findings = load_findings(index=self.index)
        self.checker = SqlChecker()

    def score(self, metadata: dict[str, Any], answer: str) -> dict[str, float | None]:
        dataset = metadata["dataset"]
        if dataset == "banking_qa":
            return banking_scores(metadata, answer)
        if dataset == "regulation":
            return regulation_scores(metadata, answer, self.index)
        if dataset == "sql_review":
            return sql_scores(metadata, answer, self.findings, self.checker)
        return {}


def aggregate(results: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per metric: mean over rows where it applies, and that row count."""
    summary = {}
    for metric in METRICS:
        values = [r["scores"][metric.name] for r in results if r["scores"].get(metric.name) is not None]
        summary[metric.name] = {
            "dataset": metric.dataset,
            "value": _mean(values),
            "n": len(values),
            "higher_is_better": metric.higher_is_better,
            "description": metric.description,
        }
    return summary
