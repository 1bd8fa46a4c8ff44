"""Hard negatives for banking rows: ``otro_banco`` (another bank's figure for the same metric and year),
``otro_anio`` (the same bank's figure for another year), ``cifra_alterada`` (the figure off by a plausible
3–25 %), ``alucinacion`` (an invented figure where the true answer says it is not available)."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from regllm_lf.core.spanish_numbers import decimals_of, format_figure
from regllm_lf.prepare.split import hash_unit, pick


class BankingNegatives:
    def __init__(self, rows: list[dict[str, Any]]) -> None:
        from regllm_lf.tasks.banking_qa.generate import load_templates  # noqa: PLC0415

        self.templates = load_templates()
        self.values: dict[tuple[str, int, str], dict[str, Any]] = {}
        for row in rows:
            for fact in row["metadata"]["facts"]:
                self.values[(fact["bank_id"], fact["year"], fact["metric"])] = fact
        self.by_metric_year: dict[tuple[int, str], list[dict[str, Any]]] = defaultdict(list)
        for fact in self.values.values():
            self.by_metric_year[(fact["year"], fact["metric"])].append(fact)

    def _altered(self, fact: dict[str, Any], row_id: str) -> float:
        share = 0.03 + 0.22 * hash_unit(row_id, "cuanto")
        sign = 1 if hash_unit(row_id, "signo") < 0.5 else -1
        decimals = max(decimals_of(fact["value"]), 1 if fact["unit"] == "%" else 0)
        return round(fact["value"] * (1 + sign * share), decimals)

    def candidates(self, row: dict[str, Any]) -> list[tuple[str, str]]:
        """(kind, rejected answer) options for one banking row."""
        answer, row_id = row["messages"][-1]["content"], row["metadata"]["id"]
        facts = row["metadata"]["facts"]
        if not facts:
            return self._hallucinations(row)
        fact = facts[-1]
        shown = format_figure(fact["value"], fact["unit"])
        if shown not in answer:
            return []
        options = []
        others = [f for f in self.by_metric_year[(fact["year"], fact["metric"])] if f["bank_id"] != fact["bank_id"]]
        if others and row["metadata"]["topic"] == "dato_puntual":
            other = pick(sorted(others, key=lambda f: f["bank_id"]), row_id, "banco")
            options.append(("otro_banco", answer.replace(shown, format_figure(other["value"], other["unit"]))))
        other_years = [
            f
            for (bank, _, metric), f in self.values.items()
            if bank == fact["bank_id"] and metric == fact["metric"] and f["year"] != fact["year"]
        ]
        if other_years and row["metadata"]["topic"] == "dato_puntual":
            other = other_years[0]
            options.append(("otro_anio", answer.replace(shown, format_figure(other["value"], other["unit"]))))
        altered = format_figure(self._altered(fact, row_id), fact["unit"])
        options.append(("cifra_alterada", answer.replace(shown, altered)))
        return [(kind, text) for kind, text in options if text != answer]

    def _hallucinations(self, row: dict[str, Any]) -> list[tuple[str, str]]:
        """An invented figure where the true answer says the figure is not available."""
        row_id = row["metadata"]["id"]
        probe = re.match(r"bank-sin-dato-.+-(?P<year>\d{4})-(?P<metric>[a-z0-9_]+)$", row_id)
        if not probe:
            return []
        words = self.templates.metric_words(probe.group("metric"))
        pattern = re.escape(words["metric"]) + r" de (?P<bank>.+?) en \d{4} en mis fuentes"
        bank = re.search(pattern, row["messages"][-1]["content"])
        if not bank:
            return []
        pool = sorted(
            (f for f in self.values.values() if f["metric"] == probe.group("metric")),
            key=lambda fact: (fact["bank_id"], fact["year"]),
        )
        if not pool:
            return []
        figure = format_figure(self._altered(pick(pool, row_id, "inventada"), row_id), pool[0]["unit"])
        text = (
            f"{words['article'].capitalize()} {words['metric']} de {bank.group('bank')} en {probe.group('year')} "
            f"fue de {figure}, según su informe anual de {probe.group('year')}."
        )
        return [("alucinacion", text)]


def negatives(rows: list[dict[str, Any]]) -> Callable[[dict[str, Any]], list[tuple[str, str]]]:
    return BankingNegatives(rows).candidates
