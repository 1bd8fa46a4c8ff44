"""How per-row scores become one number per metric (the descriptor's ``aggregation``)."""

from __future__ import annotations


def mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


AGGREGATIONS = {"mean": mean}
