"""Generate the banking Q&A dataset from the bank figure files.

Four kinds of question (``metadata.topic``): a single figure, a year-over-year change, a cross-bank
ranking per metric and year, and out-of-coverage questions whose gold answer says the figure is not
available. Every answer names the bank, year, the bank's definition and the source document.
Adding a bank/year file and re-running extends the set with no code change.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path
from typing import Any

import yaml

from regllm_lf import project
from regllm_lf.core.spanish_numbers import format_figure, format_number
from regllm_lf.prepare.split import hash_unit
from regllm_lf.tasks.banking_qa.figures import Figure, load_figures


def templates_path() -> Path:
    return project.data_dir() / "banking" / "templates.yaml"


RANKING_MIN_BANKS = 3


@dataclass(frozen=True)
class Templates:
    system_prompt: str
    metrics: dict[str, dict[str, str]]
    questions: dict[str, list[str]]
    out_of_coverage: dict[str, list[Any]]

    def question(self, kind: str, row_id: str, **values: Any) -> str:
        choices = self.questions[kind]
        return choices[int(hash_unit(row_id, "pregunta") * len(choices))].format(**values)

    def metric_words(self, metric: str) -> dict[str, str]:
        return {"article": self.metrics[metric]["article"], "metric": self.metrics[metric]["name"]}


def load_templates(path: Path | None = None) -> Templates:
    data = yaml.safe_load((path or templates_path()).read_text(encoding="utf-8"))
    return Templates(data["system_prompt"].strip(), data["metrics"], data["questions"], data["out_of_coverage"])


def _of_the(article: str) -> str:
    """Spanish contraction: de + el = del."""
    return "del" if article == "el" else f"de {article}"


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def _fact(figure: Figure) -> dict[str, Any]:
    return {
        "bank_id": figure.bank_id,
        "year": figure.year,
        "metric": figure.metric,
        "value": figure.value,
        "unit": figure.unit,
    }


def _figure_sentence(figure: Figure, templates: Templates) -> str:
    words = templates.metric_words(figure.metric)
    variant = f" ({figure.variant})" if figure.variant else ""
    restated = (
        " Es la cifra reexpresada en un informe posterior, no la publicada originalmente."
        if figure.reporting == "restated"
        else ""
    )
    return (
        f"{_capitalised(words['article'])} {words['metric']}{variant} de {figure.bank} en {figure.year} fue de "
        f"{format_figure(figure.value, figure.unit)}. Definición del banco: {figure.definition.rstrip('.')}."
        f"{restated} Fuente: {figure.source_text()}."
    )


def _row(
    row_id: str, topic: str, question: str, answer: str, figures: list[Figure], templates: Templates
) -> dict[str, Any]:
    return {
        "messages": [
            {"role": "system", "content": templates.system_prompt},
            {"role": "user", "content": question},
            {"role": "assistant", "content": answer},
        ],
        "metadata": {
            "id": row_id,
            "dataset": "banking_qa",
            "topic": topic,
            "facts": [_fact(figure) for figure in figures],
            "sources": list(dict.fromkeys(figure.source_text() for figure in figures)),
        },
    }


def single_fact_rows(figures: list[Figure], templates: Templates) -> list[dict[str, Any]]:
    rows = []
    for figure in figures:
        row_id = f"bank-dato-{figure.bank_id}-{figure.year}-{figure.metric}"
        question = templates.question(
            "dato_puntual", row_id, bank=figure.bank, year=figure.year, **templates.metric_words(figure.metric)
        )
        rows.append(_row(row_id, "dato_puntual", question, _figure_sentence(figure, templates), [figure], templates))
    return rows


def _change_sentence(before: Figure, after: Figure) -> str:
    difference = after.value - before.value
    direction = "un aumento" if difference > 0 else "una disminución" if difference < 0 else "sin cambio"
    if before.unit == "%":
        decimals = max(
            len(format_number(before.value).partition(",")[2]), len(format_number(after.value).partition(",")[2])
        )
        amount = f"{format_number(abs(difference), decimals)} puntos porcentuales"
    else:
        relative = abs(difference) / abs(before.value) * 100 if before.value else 0.0
        amount = f"{format_figure(abs(difference), before.unit)} ({format_number(round(relative, 1), 1)} %)"
    return f"{direction} de {amount}" if difference else direction


def change_rows(figures: list[Figure], templates: Templates) -> list[dict[str, Any]]:
    by_bank_metric: dict[tuple[str, str], list[Figure]] = defaultdict(list)
    for figure in figures:
        by_bank_metric[(figure.bank_id, figure.metric)].append(figure)
    rows = []
    for (bank_id, metric), series in sorted(by_bank_metric.items()):
        for before, after in combinations(sorted(series, key=lambda figure: figure.year), 2):
            if after.year != before.year + 1 or before.variant != after.variant or before.unit != after.unit:
                continue  # only consecutive years measured the same way are comparable
            row_id = f"bank-variacion-{bank_id}-{metric}-{before.year}-{after.year}"
            words = templates.metric_words(metric)
            question = templates.question(
                "variacion_interanual", row_id, bank=after.bank, year_from=before.year, year_to=after.year, **words
            )
            variant = f" ({after.variant})" if after.variant else ""
            answer = (
                f"{_capitalised(words['article'])} {words['metric']}{variant} de {after.bank} pasó de "
                f"{format_figure(before.value, before.unit)} en {before.year} a "
                f"{format_figure(after.value, after.unit)} en {after.year}: "
                f"{_change_sentence(before, after)}.\n\n"
                f"- {before.year}: {_figure_sentence(before, templates)}\n"
                f"- {after.year}: {_figure_sentence(after, templates)}"
            )
            rows.append(_row(row_id, "variacion_interanual", question, answer, [before, after], templates))
    return rows


def _join_names(names: list[str]) -> str:
    return ", ".join(names[:-1]) + f" y {names[-1]}" if len(names) > 1 else names[0]


def ranking_rows(figures: list[Figure], templates: Templates) -> list[dict[str, Any]]:
    by_metric_year: dict[tuple[str, int], list[Figure]] = defaultdict(list)
    for figure in figures:
        by_metric_year[(figure.metric, figure.year)].append(figure)
    rows = []
    for (metric, year), group in sorted(by_metric_year.items()):
        if len(group) < RANKING_MIN_BANKS:
            continue
        ordered = sorted(group, key=lambda figure: (-figure.value, figure.bank_id))
        row_id = f"bank-ranking-{metric}-{year}"
        words = templates.metric_words(metric)
        banks = _join_names(sorted(figure.bank for figure in group))
        question = templates.question("ranking", row_id, banks=banks, year=year, **words)
        lines = [
            f"{position}. {figure.bank}: {format_figure(figure.value, figure.unit)}"
            + (f" ({figure.variant})" if figure.variant else "")
            for position, figure in enumerate(ordered, start=1)
        ]
        answer = (
            f"Clasificación por {words['metric']} en {year}, de mayor a menor, "
            "con la definición que publica cada banco "
            f"(no siempre homogénea):\n"
            + "\n".join(lines)
            + "\n\nFuentes:\n"
            + "\n".join(
                f"- {figure.bank}: {figure.source_text()}. Definición: {figure.definition.rstrip('.')}."
                for figure in ordered
            )
        )
        rows.append(_row(row_id, "ranking", question, answer, ordered, templates))
    return rows


def _coverage_answer(bank: str, year: int, metric: str, templates: Templates, covered: str) -> str:
    words = templates.metric_words(metric)
    return (
        f"No dispongo {_of_the(words['article'])} {words['metric']} de {bank} en {year} en mis fuentes verificadas "
        f"({covered}), así que no puedo darte esa cifra sin riesgo de equivocarme. "
        f"Puedes consultarla en el informe anual o en la presentación de resultados de {bank} de {year}."
    )


def out_of_coverage_rows(figures: list[Figure], templates: Templates) -> list[dict[str, Any]]:
    settings = templates.out_of_coverage
    banks = {figure.bank_id: figure.bank for figure in figures}
    years = sorted({figure.year for figure in figures})
    covered = (
        f"cubren {_join_names(sorted(banks.values()))} en los ejercicios {_join_names([str(y) for y in years])}, "
        "y solo las métricas confirmadas en un documento del banco"
    )
    available = {(figure.bank_id, figure.year, figure.metric) for figure in figures}
    probes: list[tuple[str, str, int, str]] = []
    for bank in settings["banks"]:
        if bank in banks.values():
            continue  # a bank file was added since the probe list was written
        slug = "".join(char for char in bank.lower() if char.isalnum())
        probes += [(slug, bank, year, metric) for year in settings["bank_years"] for metric in settings["bank_metrics"]]
    for bank_id, bank in sorted(banks.items()):
        probes += [
            (bank_id, bank, year, metric)
            for year in settings["other_years"]
            for metric in settings["other_year_metrics"]
        ]
        probes += [
            (bank_id, bank, year, metric)
            for year in years
            for metric in templates.metrics
            if (bank_id, year, metric) not in available
        ]
    rows = []
    for slug, bank, year, metric in probes:
        row_id = f"bank-sin-dato-{slug}-{year}-{metric}"
        question = templates.question(
            "fuera_de_cobertura", row_id, bank=bank, year=year, **templates.metric_words(metric)
        )
        rows.append(
            _row(
                row_id,
                "fuera_de_cobertura",
                question,
                _coverage_answer(bank, year, metric, templates, covered),
                [],
                templates,
            )
        )
    return rows


def generate_banking_rows(
    figures: list[Figure] | None = None, templates: Templates | None = None
) -> list[dict[str, Any]]:
    figures = load_figures() if figures is None else figures
    templates = load_templates() if templates is None else templates
    return (
        single_fact_rows(figures, templates)
        + change_rows(figures, templates)
        + ranking_rows(figures, templates)
        + out_of_coverage_rows(figures, templates)
    )
