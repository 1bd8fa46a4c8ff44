"""``regllm-lf generate dpo``: preference pairs with hard negatives, built from the train splits only.

chosen = the true answer; rejected = a realistic wrong answer of one kind (``metadata.negative_kind``):

- banking: ``otro_banco`` (another bank's figure for the same metric and year), ``otro_anio`` (the same
  bank's figure for another year), ``cifra_alterada`` (the figure off by a plausible 3–25 %),
  ``alucinacion`` (an invented figure where the true answer says it is not available);
- regulation: ``cita_erronea`` (a real paragraph of the same document, the wrong one), ``cita_inexistente``
  (a paragraph the document does not have);
- SQL review: ``hallazgo_omitido`` (one finding left out), ``falso_cumplimiento`` (flawed code called compliant).

Deterministic: every choice is a hash of the source row id. Test rows never enter.
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any

from regllm_lf.catalog import DATASETS
from regllm_lf.citations import RegulationIndex, load_index, parse_citations
from regllm_lf.jsonio import read_records
from regllm_lf.numbers_es import decimals_of, format_figure
from regllm_lf.paths import DATASETS_DIR
from regllm_lf.problems import DataError
from regllm_lf.splits import hash_unit

DPO_FILE = DATASETS_DIR / "regllm_dpo.jsonl"
DPO_ENTRY = "regllm_dpo"


def _pick(options: list[Any], row_id: str, salt: str) -> Any:
    return options[int(hash_unit(row_id, salt) * len(options))]


def _pair(row: dict[str, Any], rejected: str, kind: str) -> dict[str, Any] | None:
    chosen = row["messages"][-1]["content"]
    if rejected == chosen or not rejected.strip():
        return None
    source = row["metadata"]
    return {
        "messages": row["messages"][:-1],
        "chosen": {"role": "assistant", "content": chosen},
        "rejected": {"role": "assistant", "content": rejected},
        "metadata": {
            "id": f"dpo-{source['id']}",
            "dataset": "dpo",
            "topic": source["topic"],
            "source_id": source["id"],
            "source_dataset": source["dataset"],
            "negative_kind": kind,
        },
    }


class BankingNegatives:
    def __init__(self, rows: list[dict[str, Any]]) -> None:
        from regllm_lf.banking_qa import load_templates

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
            other = _pick(sorted(others, key=lambda f: f["bank_id"]), row_id, "banco")
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
        figure = format_figure(self._altered(_pick(pool, row_id, "inventada"), row_id), pool[0]["unit"])
        text = (
            f"{words['article'].capitalize()} {words['metric']} de {bank.group('bank')} en {probe.group('year')} "
            f"fue de {figure}, según su informe anual de {probe.group('year')}."
        )
        return [("alucinacion", text)]


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
        wrong = target.__class__(target.document, _pick(keys, row_id, "cita"))
        options.append(("cita_erronea", answer.replace(original, index.canonical(wrong))))
    first_number = re.match(r"([A-Z]?)(\d+)(.*)", target.key)
    if first_number:
        letter, number, rest = first_number.groups()
        missing = target.__class__(target.document, f"{letter}{int(number) + 700}{rest}")
        if not index.resolves(missing):
            options.append(("cita_inexistente", answer.replace(original, index.canonical(missing))))
    return options


FALSE_COMPLIANCE = (
    "**ANÁLISIS DE CONFORMIDAD METODOLÓGICA**\n\n**Hallazgos:**\n"
    "1. ✅ **Metodología conforme**: el cálculo sigue los requisitos aplicables y no se observan incumplimientos.\n\n"
    "**Conclusión:** No requiere corrección."
)


def sql_candidates(row: dict[str, Any]) -> list[tuple[str, str]]:
    if row["metadata"]["compliant"]:
        return []
    answer = row["messages"][-1]["content"]
    lines = answer.split("\n")
    flagged = [number for number, line in enumerate(lines) if "❌" in line]
    options = [("falso_cumplimiento", FALSE_COMPLIANCE)]
    if len(flagged) >= 1 and len(lines) > 3:
        options.append(("hallazgo_omitido", "\n".join(line for n, line in enumerate(lines) if n != flagged[0])))
    return options


def train_rows() -> dict[str, list[dict[str, Any]]]:
    problems: list = []
    rows = {d.name: [r.data for r in read_records(d.split_file("train"), problems)] for d in DATASETS}
    if problems:
        raise DataError(problems)
    return rows


def generate_dpo_rows(
    rows: dict[str, list[dict[str, Any]]] | None = None, index: RegulationIndex | None = None
) -> list[dict[str, Any]]:
    """One preference pair per train row that admits a hard negative, in the splits' order."""
    rows = train_rows() if rows is None else rows
    index = load_index() if index is None else index
    banking = BankingNegatives(rows["banking_qa"])
    pairs = []
    for dataset in DATASETS:
        for row in rows[dataset.name]:
            if dataset.name == "banking_qa":
                options = banking.candidates(row)
            elif dataset.name == "regulation":
                options = citation_candidates(row, index)
            else:
                options = sql_candidates(row)
            if options:
                kind, rejected = _pick(options, row["metadata"]["id"], "tipo")
                pair = _pair(row, rejected, kind)
                if pair:
                    pairs.append(pair)
    return pairs
