"""Out-of-coverage questions: the honest answer is "not available".

Only what lies outside the data is asked: a bank with no file, a year no bank file covers, a metric we
do not track. A tracked metric recorded as a gap in a bank file is never asked (we did not find it; it
may well exist). The number of probes follows ``out_of_coverage.share`` in the templates: probes are
ranked by a hash of their id and the first ones taken, so growing the data never swaps chosen probes.
"""

from __future__ import annotations

from typing import Any

from regllm_lf.prepare.split import hash_unit
from regllm_lf.tasks.banking_qa.figures import BankData
from regllm_lf.tasks.banking_qa.generate import Templates, join_names, make_row


def _slug(name: str) -> str:
    return "".join(char for char in name.lower() if char.isalnum())


def _years_text(years: list[int]) -> str:
    consecutive = years == list(range(years[0], years[-1] + 1))
    return f"{years[0]} a {years[-1]}" if consecutive and len(years) > 2 else join_names([str(y) for y in years])


def probes(data: BankData, templates: Templates) -> list[tuple[str, str, str, int, str]]:
    """(kind, bank slug, bank name, year, metric) for every question outside the data's coverage."""
    settings = templates.out_of_coverage
    found: list[tuple[str, str, str, int, str]] = []
    covered_names = {_slug(name) for name in data.banks.values()} | set(data.banks)
    for bank in settings["banks"]:
        if _slug(bank) in covered_names or any(_slug(bank) in name for name in covered_names):
            continue  # a bank file was added since the probe list was written
        found += [
            ("otro_banco", _slug(bank), bank, year, metric)
            for year in data.years
            for metric in settings["bank_metrics"]
        ]
    for bank_id, bank in sorted(data.banks.items()):
        found += [
            ("otro_ejercicio", bank_id, bank, year, metric)
            for year in settings["other_years"]
            if year not in data.years
            for metric in settings["other_year_metrics"]
        ]
        found += [
            ("metrica_no_cubierta", bank_id, bank, year, metric)
            for year in data.years
            for metric in settings.get("untracked_metrics", {})
        ]
    return found


def _answer(kind: str, bank: str, year: int, metric: str, data: BankData, templates: Templates) -> str:
    words = templates.metric_words(metric)
    of_the = "del" if words["article"] == "el" else f"de {words['article']}"
    banks = join_names(sorted(data.banks.values()))
    if kind == "otro_banco":
        why = f"{bank} no está entre los bancos de mis fuentes verificadas ({banks})"
    elif kind == "otro_ejercicio":
        why = f"mis fuentes verificadas cubren los ejercicios {_years_text(data.years)}, no {year}"
    else:
        tracked = join_names([templates.metric_words(m)["metric"] for m in templates.metrics])
        why = f"{words['metric']} no está entre las métricas que recojo ({tracked})"
    return (
        f"No dispongo {of_the} {words['metric']} de {bank} en {year}: {why}, así que no puedo darte esa cifra "
        f"sin riesgo de equivocarme. Puedes consultarla en el informe anual o en la presentación de resultados "
        f"de {bank} de {year}."
    )


def probe_count(share: float, answered: int) -> int:
    """How many probes make ``share`` of all rows when ``answered`` rows carry a figure."""
    if not 0 <= share < 1:
        raise ValueError(f"out_of_coverage.share must be in [0, 1), not {share!r}")
    return round(share * answered / (1 - share))


def out_of_coverage_rows(data: BankData, templates: Templates, answered: int) -> list[dict[str, Any]]:
    candidates = []
    for kind, slug, bank, year, metric in probes(data, templates):
        row_id = f"bank-sin-dato-{slug}-{year}-{metric}"
        candidates.append((hash_unit(row_id, "cobertura"), row_id, kind, bank, year, metric))
    chosen = sorted(candidates)[: probe_count(float(templates.out_of_coverage.get("share", 0.2)), answered)]
    rows = []
    for _, row_id, kind, bank, year, metric in sorted(chosen, key=lambda item: item[1]):
        question = templates.question(
            "fuera_de_cobertura", row_id, bank=bank, year=year, **templates.metric_words(metric)
        )
        answer = _answer(kind, bank, year, metric, data, templates)
        probe = {"kind": kind, "bank": bank, "year": year, "metric": metric}
        rows.append(make_row(row_id, "fuera_de_cobertura", question, answer, [], templates, probe=probe))
    return rows
