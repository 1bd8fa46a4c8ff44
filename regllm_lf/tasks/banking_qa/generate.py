"""Generate the banking Q&A dataset from the bank figure files.

Four kinds of question (``metadata.topic``): a single figure, a year-over-year change on one basis
(``basis``), a cross-bank ranking per metric, year and variant, and out-of-coverage questions
(``coverage``). Every answer names the bank, year, the bank's definition and the source document.
Banks, years and metrics come from the data: adding a bank-year file and re-running extends the set
with no code change.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from regllm_lf import project
from regllm_lf.core.spanish_numbers import format_number
from regllm_lf.prepare.split import hash_unit
from regllm_lf.tasks.banking_qa.basis import Comparison, ranking_group, year_on_year
from regllm_lf.tasks.banking_qa.figures import BankData, Figure, load_bank_data


def templates_path() -> Path:
    return project.data_dir() / "banking" / "templates.yaml"


RANKING_MIN_BANKS = 3


@dataclass(frozen=True)
class Templates:
    system_prompt: str
    metrics: dict[str, dict[str, str]]
    questions: dict[str, list[str]]
    out_of_coverage: dict[str, Any]
    variant_phrases: dict[str, str]

    def question(self, kind: str, row_id: str, **values: Any) -> str:
        choices = self.questions[kind]
        return choices[int(hash_unit(row_id, "pregunta") * len(choices))].format(**values)

    def metric_words(self, metric: str) -> dict[str, str]:
        words = self.metrics.get(metric) or self.out_of_coverage.get("untracked_metrics", {})[metric]
        return {"article": words["article"], "metric": words["name"]}

    def variant_text(self, variant: str | None) -> str:
        return f" ({self.variant_phrases.get(variant, variant)})" if variant else ""


def load_templates(path: Path | None = None) -> Templates:
    data = yaml.safe_load((path or templates_path()).read_text(encoding="utf-8"))
    return Templates(
        data["system_prompt"].strip(),
        data["metrics"],
        data["questions"],
        data["out_of_coverage"],
        data.get("variant_phrases", {}),
    )


def capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def shown(figure: Figure, value: float | None = None) -> str:
    """``11.076 millones EUR`` or ``3,0 %``, with the decimals the source printed."""
    number = format_number(figure.value if value is None else value, figure.decimals)
    return f"{number} %" if figure.unit == "%" else f"{number} {figure.unit}"


def _fact(figure: Figure) -> dict[str, Any]:
    return {
        "bank_id": figure.bank_id,
        "year": figure.year,
        "metric": figure.metric,
        "value": figure.value,
        "unit": figure.unit,
        "decimals": figure.decimals,
        "reporting": figure.reporting,
    }


def _restatement_sentence(figure: Figure) -> str:
    later = [value for value in figure.restatements if value.value != figure.value]
    if figure.reporting != "original" or not later:
        return ""
    return "".join(f" En {value.document.title} la cifra aparece reexpresada: {shown(value)}." for value in later)


def figure_sentence(figure: Figure, templates: Templates) -> str:
    words = templates.metric_words(figure.metric)
    basis = (
        f" Es la cifra que muestra un informe posterior ({figure.document.year}); no consta la publicada originalmente."
        if figure.reporting == "restated"
        else ""
    )
    return (
        f"{capitalised(words['article'])} {words['metric']}{templates.variant_text(figure.variant)} de {figure.bank} "
        f"en {figure.year} fue de {shown(figure)}. Definición del banco: {figure.definition.rstrip('.')}."
        f"{basis}{_restatement_sentence(figure)} Fuente: {figure.source_text()}."
    )


def make_row(
    row_id: str, topic: str, question: str, answer: str, figures: list[Figure], templates: Templates, **extra: Any
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
            **extra,
        },
    }


def single_fact_rows(figures: list[Figure], templates: Templates) -> list[dict[str, Any]]:
    rows = []
    for figure in figures:
        row_id = f"bank-dato-{figure.bank_id}-{figure.year}-{figure.metric}"
        question = templates.question(
            "dato_puntual", row_id, bank=figure.bank, year=figure.year, **templates.metric_words(figure.metric)
        )
        rows.append(make_row(row_id, "dato_puntual", question, figure_sentence(figure, templates), [figure], templates))
    return rows


def change_text(comparison: Comparison) -> str:
    """``un aumento de 1.661 millones EUR (26,1 %)`` or ``una disminución de 0,40 puntos porcentuales``."""
    before, after = comparison.before, comparison.after
    difference = after.value - before.value
    direction = "un aumento" if difference > 0 else "una disminución" if difference < 0 else "sin cambio"
    if not difference:
        return direction
    if after.unit == "%":  # exact values, shown with the precision both carry
        amount = format_number(abs(difference), after.decimals)
        return f"{direction} de {amount} {'punto porcentual' if amount == '1' else 'puntos porcentuales'}"
    relative = abs(difference) / abs(before.value) * 100
    return f"{direction} de {shown(after, abs(difference))} ({format_number(round(relative, 1), 1)} %)"


def _basis_sentence(comparison: Comparison) -> str:
    """Which values were compared, in words: the later report's comparative, restated or not."""
    before, after = comparison.before, comparison.after
    opening = "Comparación sobre una misma base: "
    original = comparison.original_before
    if before.reporting == "restated" and original is not None and original.value != before.value:
        return (
            f"{opening}la variación se calcula sobre la cifra de {before.year} reexpresada en "
            f"{before.document.title} ({shown(before)}); la publicada originalmente fue {shown(original)}."
        )
    if before.reporting == "restated" and original is not None:
        return (
            f"{opening}la cifra de {before.year} es la comparativa de {before.document.title} ({shown(before)}), "
            "igual a la publicada originalmente."
        )
    if comparison.same_report:
        return f"{opening}ambas cifras proceden de {after.document.title}."
    return (
        f"{opening}ambas cifras son las publicadas originalmente en los resultados de {before.year} y de "
        f"{after.year}; no consta una reexpresión de {before.year} en el informe de {after.year}."
    )


def change_rows(figures: list[Figure], templates: Templates) -> list[dict[str, Any]]:
    by_bank_metric: dict[tuple[str, str], dict[int, Figure]] = defaultdict(dict)
    for figure in figures:
        by_bank_metric[(figure.bank_id, figure.metric)][figure.year] = figure
    rows = []
    for (bank_id, metric), series in sorted(by_bank_metric.items()):
        for year in sorted(series):
            if year - 1 not in series:
                continue
            comparison = year_on_year(series[year - 1], series[year])
            if comparison is None:
                continue  # no pair on one basis: no question rather than a mixed one
            before, after = comparison.before, comparison.after
            row_id = f"bank-variacion-{bank_id}-{metric}-{before.year}-{after.year}"
            words = templates.metric_words(metric)
            question = templates.question(
                "variacion_interanual", row_id, bank=after.bank, year_from=before.year, year_to=after.year, **words
            )
            answer = (
                f"{capitalised(words['article'])} {words['metric']}{templates.variant_text(after.variant)} de "
                f"{after.bank} pasó de {shown(before)} en {before.year} a {shown(after)} en {after.year}: "
                f"{change_text(comparison)}. {_basis_sentence(comparison)}\n\n"
                f"- {before.year}: {figure_sentence(series[year - 1], templates)}\n"
                f"- {after.year}: {figure_sentence(after, templates)}"
            )
            rows.append(make_row(row_id, "variacion_interanual", question, answer, [before, after], templates))
    return rows


def join_names(names: list[str]) -> str:
    return ", ".join(names[:-1]) + f" y {names[-1]}" if len(names) > 1 else names[0]


def ranking_rows(figures: list[Figure], templates: Templates) -> list[dict[str, Any]]:
    by_metric_year: dict[tuple[str, int], list[Figure]] = defaultdict(list)
    for figure in figures:
        by_metric_year[(figure.metric, figure.year)].append(figure)
    rows = []
    for (metric, year), group in sorted(by_metric_year.items()):
        for variant, members in sorted(ranking_group(group).items(), key=lambda item: item[0] or ""):
            if len(members) < RANKING_MIN_BANKS:
                continue
            ordered = sorted(members, key=lambda figure: (-figure.value, figure.bank_id))
            suffix = f"-{variant.replace(' ', '_')}" if variant else ""
            row_id = f"bank-ranking-{metric}-{year}{suffix}"
            words = templates.metric_words(metric)
            words = {**words, "metric": words["metric"] + templates.variant_text(variant)}
            banks = join_names(sorted(figure.bank for figure in members))
            question = templates.question("ranking", row_id, banks=banks, year=year, **words)
            lines = [f"{position}. {figure.bank}: {shown(figure)}" for position, figure in enumerate(ordered, 1)]
            answer = (
                f"Clasificación por {words['metric']} en {year}, de mayor a menor, con las cifras tal como las "
                f"publicó originalmente cada banco y la definición de cada uno (no siempre homogénea):\n"
                + "\n".join(lines)
                + "\n\nFuentes:\n"
                + "\n".join(
                    f"- {figure.bank}: {figure.source_text()}. Definición: {figure.definition.rstrip('.')}."
                    for figure in ordered
                )
            )
            rows.append(make_row(row_id, "ranking", question, answer, ordered, templates))
    return rows


def generate_banking_rows(data: BankData | None = None, templates: Templates | None = None) -> list[dict[str, Any]]:
    from regllm_lf.tasks.banking_qa.coverage import out_of_coverage_rows  # noqa: PLC0415 (uses this module)

    data = load_bank_data() if data is None else data
    templates = load_templates() if templates is None else templates
    answered = (
        single_fact_rows(data.figures, templates)
        + change_rows(data.figures, templates)
        + ranking_rows(data.figures, templates)
    )
    return answered + out_of_coverage_rows(data, templates, len(answered))
