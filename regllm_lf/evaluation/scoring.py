"""Scores of an answer: the task of the row's ``metadata.dataset`` scores it (its ``score`` hook) and
declares each metric's aggregation and direction in its ``task.yaml`` (as lm-evaluation-harness does).
Per-row scores are None where a metric does not apply (e.g. numeric accuracy on an out-of-coverage row).
"""

from __future__ import annotations

from typing import Any

from regllm_lf.evaluation.aggregate import AGGREGATIONS
from regllm_lf.evaluation.intervals import DEFAULT_SEED, bootstrap_interval, interval_method
from regllm_lf.tasks.registry import all_metrics, task_named


class Scorer:
    """Scores answers of every task; each task loads its catalogues once."""

    def score(self, metadata: dict[str, Any], answer: str) -> dict[str, float | None]:
        scorer = task_named(metadata["dataset"]).hook("score")
        return scorer(metadata, answer) if scorer is not None else {}


def aggregate(results: list[dict[str, Any]], seed: int = DEFAULT_SEED) -> dict[str, dict[str, Any]]:
    """Per metric: its aggregation over rows where it applies, that row count and a seeded 95 % bootstrap
    interval (``intervals.bootstrap_interval``; None when no row applies)."""
    summary = {}
    for metric in all_metrics():
        values = [r["scores"][metric.name] for r in results if r["scores"].get(metric.name) is not None]
        interval = bootstrap_interval(values, seed) if metric.aggregation == "mean" else None
        summary[metric.name] = {
            "dataset": metric.dataset,
            "value": AGGREGATIONS[metric.aggregation](values),
            "n": len(values),
            "interval": list(interval) if interval else None,
            "interval_method": interval_method(seed),
            "higher_is_better": metric.higher_is_better,
            "description": metric.description,
        }
    return summary
