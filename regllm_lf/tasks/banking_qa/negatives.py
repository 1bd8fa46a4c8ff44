"""Hard negatives for banking rows: ``otro_banco`` (another bank's figure for the same metric and year),
``otro_anio`` (the same bank's figure for another year), ``cifra_alterada`` (the figure off by a plausible
3–25 %), ``alucinacion`` (an invented figure where the true answer says it is not available)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

from regllm_lf.core.spanish_numbers import decimals_of, format_number
from regllm_lf.prepare.split import hash_unit, pick


def _shown(fact: dict[str, Any], value: float | None = None) -> str:
    """A fact's value as the answers write it (the decimals its source printed)."""
    number = format_number(fact["value"] if value is None else value, fact.get("decimals"))
    return f"{number} %" if fact["unit"] == "%" else f"{number} {fact['unit']}"


class BankingNegatives:
    def __init__(self, rows: list[dict[str, Any]]) -> None:
        from regllm_lf.tasks.banking_qa.generate import load_templates  # noqa: PLC0415

        self.templates = load_templates()
        self.values: dict[tuple[str, int, str], dict[str, Any]] = {}
        for row in rows:
            for fact in row["metadata"]["facts"]:
                key = (fact["bank_id"], fact["year"], fact["metric"])
                if key not in self.values or fact.get("reporting") == "original":
                    self.values[key] = fact  # the figure as first published, where known
        self.by_metric_year: dict[tuple[int, str], list[dict[str, Any]]] = defaultdict(list)
        for fact in self.values.values():
            self.by_metric_year[(fact["year"], fact["metric"])].append(fact)

    def _altered(self, fact: dict[str, Any], row_id: str) -> float:
        share = 0.03 + 0.22 * hash_unit(row_id, "cuanto")
        sign = 1 if hash_unit(row_id, "signo") < 0.5 else -1
        decimals = max(fact.get("decimals", decimals_of(fact["value"])), 1 if fact["unit"] == "%" else 0)
        return round(fact["value"] * (1 + sign * share), decimals)

    def candidates(self, row: dict[str, Any]) -> list[tuple[str, str]]:
        """(kind, rejected answer) options for one banking row."""
        answer, row_id = row["messages"][-1]["content"], row["metadata"]["id"]
        facts = row["metadata"]["facts"]
        if not facts:
            return self._hallucinations(row)
        fact = facts[-1]
        shown = _shown(fact)
        if shown not in answer:
            return []
        options = []
        others = [f for f in self.by_metric_year[(fact["year"], fact["metric"])] if f["bank_id"] != fact["bank_id"]]
        if others and row["metadata"]["topic"] == "dato_puntual":
            other = pick(sorted(others, key=lambda f: f["bank_id"]), row_id, "banco")
            options.append(("otro_banco", answer.replace(shown, _shown(other))))
        other_years = [
            f
            for (bank, _, metric), f in self.values.items()
            if bank == fact["bank_id"] and metric == fact["metric"] and f["year"] != fact["year"]
        ]
        if other_years and row["metadata"]["topic"] == "dato_puntual":
            other = other_years[0]
            options.append(("otro_anio", answer.replace(shown, _shown(other))))
        altered = _shown(fact, self._altered(fact, row_id))
        options.append(("cifra_alterada", answer.replace(shown, altered)))
        return [(kind, text) for kind, text in options if text != answer]

    def _hallucinations(self, row: dict[str, Any]) -> list[tuple[str, str]]:
        """An invented figure where the true answer says the figure is not available."""
        row_id, probe = row["metadata"]["id"], row["metadata"].get("probe")
        if not probe:
            return []
        words = self.templates.metric_words(probe["metric"])
        pool = sorted(
            (f for f in self.values.values() if f["metric"] == probe["metric"]),
            key=lambda fact: (fact["bank_id"], fact["year"]),
        )
        if not pool:
            return []  # a metric we do not track: no plausible value to invent from
        fact = pick(pool, row_id, "inventada")
        figure = _shown(
            {**fact, "decimals": max(fact.get("decimals", 0), 1 if fact["unit"] == "%" else 0)},
            self._altered(fact, row_id),
        )
        text = (
            f"{words['article'].capitalize()} {words['metric']} de {probe['bank']} en {probe['year']} "
            f"fue de {figure}, según su informe anual de {probe['year']}."
        )
        return [("alucinacion", text)]


def negatives(rows: list[dict[str, Any]]) -> Callable[[dict[str, Any]], list[tuple[str, str]]]:
    return BankingNegatives(rows).candidates
