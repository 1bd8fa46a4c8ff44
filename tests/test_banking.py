"""Bank figure files → banking Q&A: Spanish numbers, sources named, one basis per comparison, gaps never
taught as "not available", the out-of-coverage share, and a new year needing no code change."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import pytest

from regllm_lf.core.spanish_numbers import format_figure, format_number
from regllm_lf.tasks.banking_qa.basis import Incomparable, compare, comparison_problem, year_on_year
from regllm_lf.tasks.banking_qa.coverage import probe_count, probes
from regllm_lf.tasks.banking_qa.figures import (
    TRACKED_METRICS,
    Document,
    Figure,
    load_bank_data,
)
from regllm_lf.tasks.banking_qa.generate import generate_banking_rows, load_templates, shown


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [
        (11076, "millones EUR", "11.076 millones EUR"),
        (1797062, "millones EUR", "1.797.062 millones EUR"),
        (12.3, "%", "12,3 %"),
        (13.21, "%", "13,21 %"),
        (330.5, "millones EUR", "330,5 millones EUR"),
        (0.45, "%", "0,45 %"),
    ],
)
def test_spanish_number_format(value: float, unit: str, expected: str) -> None:
    assert format_figure(value, unit) == expected


@pytest.mark.parametrize(
    ("value", "decimals", "expected"),
    [
        (-1234.5, None, "-1.234,5"),
        (2.0, 2, "2,00"),
        (1e-05, None, "0,00001"),
        (1e20, None, "100.000.000.000.000.000.000"),
        (-0.0, None, "0"),
        (123456789.125, None, "123.456.789,125"),
        (5e-324, 0, "0"),
        (1.7976931348623157e308, 0, format(1.7976931348623157e308, ",.0f").replace(",", ".")),
    ],
)
def test_format_number_formats_any_finite_value(value: float, decimals: int | None, expected: str) -> None:
    assert format_number(value, decimals) == expected


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_format_number_refuses_non_finite(value: float) -> None:
    with pytest.raises(ValueError, match="not a finite number"):
        format_number(value)


@pytest.fixture(scope="module")
def data():  # noqa: ANN201
    return load_bank_data()


@pytest.fixture(scope="module")
def rows() -> list[dict]:
    return generate_banking_rows()


def test_every_single_fact_answer_names_figure_bank_year_and_source(data, rows: list[dict]) -> None:  # noqa: ANN001
    figures = {(f.bank_id, f.year, f.metric): f for f in data.figures}
    single = [row for row in rows if row["metadata"]["topic"] == "dato_puntual"]
    assert len(single) == len(figures)
    for row in single:
        fact = row["metadata"]["facts"][0]
        figure = figures[(fact["bank_id"], fact["year"], fact["metric"])]
        answer = row["messages"][-1]["content"]
        assert shown(figure) in answer and figure.bank in answer and str(figure.year) in answer
        assert figure.document.title in answer and "Fuente:" in answer
        assert row["messages"][0] == {"role": "system", "content": load_templates().system_prompt}


def test_decimals_as_printed_by_the_source(data) -> None:  # noqa: ANN001
    figures = {(f.bank_id, f.year, f.metric): f for f in data.figures}
    assert shown(figures[("bbva", 2024, "npl_ratio")]) == "3,0 %"  # 3.0 in the file, "3,0%" in the report
    assert shown(figures[("bbva", 2025, "cet1_ratio")]) == "12,70 %"
    assert shown(figures[("bbva", 2025, "npl_ratio")]) == "2,7 %"


def test_dataset_kinds_and_out_of_coverage_share(rows: list[dict]) -> None:
    topics = [row["metadata"]["topic"] for row in rows]
    assert set(topics) == {"dato_puntual", "variacion_interanual", "ranking", "fuera_de_cobertura"}
    probes = topics.count("fuera_de_cobertura")
    share = load_templates().out_of_coverage["share"]
    assert probes == probe_count(share, len(rows) - probes)
    assert abs(probes / len(rows) - share) < 0.01
    for row in rows:
        if row["metadata"]["topic"] == "fuera_de_cobertura":
            assert row["metadata"]["facts"] == [] and "No dispongo" in row["messages"][-1]["content"]


@pytest.mark.parametrize(("share", "answered", "expected"), [(0.2, 80, 20), (0.0, 80, 0), (0.5, 10, 10), (0.25, 3, 1)])
def test_probe_count(share: float, answered: int, expected: int) -> None:
    assert probe_count(share, answered) == expected


def test_gaps_are_never_taught_as_not_available(data, rows: list[dict]) -> None:  # noqa: ANN001
    gaps = {(gap.bank_id, gap.year, gap.metric) for gap in data.gaps}
    assert ("kutxabank", 2023, "net_attributable_profit") in gaps  # the data really has gaps
    asked = set()
    for row in rows:
        probe = row["metadata"].get("probe")
        if probe:
            asked.add((probe["bank"], probe["year"], probe["metric"]))
            assert probe["metric"] not in TRACKED_METRICS or probe["kind"] != "metrica_no_cubierta"
            assert probe["year"] not in data.years or probe["kind"] != "otro_ejercicio"
            assert probe["bank"] not in data.banks.values() or probe["kind"] != "otro_banco"
    assert not {(data.banks[b], y, m) for b, y, m in gaps} & asked
    gap_ids = {f"bank-dato-{b}-{y}-{m}" for b, y, m in gaps}
    assert not gap_ids & {row["metadata"]["id"] for row in rows}


def test_every_tracked_metric_is_a_figure_or_a_gap(data) -> None:  # noqa: ANN001
    for bank_id in data.banks:
        for year in data.years:
            have = {f.metric for f in data.figures if (f.bank_id, f.year) == (bank_id, year)}
            gaps = {g.metric for g in data.gaps if (g.bank_id, g.year) == (bank_id, year)}
            if have or gaps:
                assert have | gaps == set(TRACKED_METRICS) and not have & gaps


def test_rankings_use_original_figures_of_one_variant_sorted(rows: list[dict]) -> None:
    rankings = [row for row in rows if row["metadata"]["topic"] == "ranking"]
    assert {row["metadata"]["facts"][0]["year"] for row in rankings} == {2022, 2023, 2024, 2025}
    for row in rankings:
        values = [fact["value"] for fact in row["metadata"]["facts"]]
        assert values == sorted(values, reverse=True) and len(values) >= 3
        assert {fact["reporting"] for fact in row["metadata"]["facts"]} == {"original"}
    cet1 = [row for row in rankings if "cet1_ratio" in row["metadata"]["id"]]
    assert cet1 and all(row["metadata"]["id"].endswith("-fully_loaded") for row in cet1)


def test_year_on_year_uses_the_restated_comparative_and_says_so(rows: list[dict]) -> None:
    by_id = {row["metadata"]["id"]: row["messages"][-1]["content"] for row in rows}
    bbva = by_id["bank-variacion-bbva-net_attributable_profit-2022-2023"]
    assert "6.358 millones EUR en 2022" in bbva and "(26,1 %)" in bbva and "sobre la cifra de 2022 reexpresada" in bbva
    caixa = by_id["bank-variacion-caixabank-net_attributable_profit-2022-2023"]
    assert "3.129 millones EUR en 2022" in caixa and "(53,9 %)" in caixa
    sabadell = by_id["bank-variacion-sabadell-rote-2022-2023"]
    assert "7,76 %" in sabadell and "3,73 puntos porcentuales" in sabadell
    assert not re.search(r"(?<![\d,])1 puntos", "".join(by_id.values()))  # "1 punto porcentual"
    # refused on purpose: a new RoTE definition, a rounded value, a CET1 whose variant is not stated
    for refused in ("santander-rote-2024-2025", "sabadell-rote-2024-2025", "bbva-cet1_ratio-2024-2025"):
        assert f"bank-variacion-{refused}" not in by_id


def _figure(year: int, value: float, reporting: str = "original", report_year: int | None = None, **changes) -> Figure:
    document = Document(f"doc_{report_year or year}", f"Informe {report_year or year}", report_year or year, None)
    base = Figure("banco", "Banco", year, "roe", value, "%", "ROE", reporting, None, document, 1, None, "x.json", 1)
    return replace(base, **changes)


@pytest.mark.parametrize(
    ("before", "after", "problem"),
    [
        (_figure(2022, 7.8, decimals=1), _figure(2023, 11.49, decimals=2), "different precision"),
        (_figure(2022, 7.76, decimals=2), _figure(2023, 11.4, decimals=1), "different precision"),
        (_figure(2024, 16.3), _figure(2025, 16.3, variant="post-AT1"), "different variants"),
        (_figure(2022, 12.5, variant="fully loaded"), _figure(2023, 12.4, variant="phased-in"), "different variants"),
        (_figure(2022, 14.4, "restated", 2024), _figure(2023, 16.2), "different bases"),
        (_figure(2022, 14.6), _figure(2023, 16.2, "restated", 2024), "different bases"),
        (_figure(2022, 14.6), _figure(2023, 16.2, unit="millones EUR"), "different units"),
        (_figure(2023, 14.6), _figure(2023, 16.2), "is not before"),
        (_figure(2022, 14.6), _figure(2023, 16.2, metric="rote"), "different bank or metric"),
    ],
)
def test_basis_rule_refuses(before: Figure, after: Figure, problem: str) -> None:
    assert problem in comparison_problem(before, after)
    with pytest.raises(Incomparable, match=problem):
        compare(before, after)


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (_figure(2022, 14.6), _figure(2023, 16.2)),  # both as first published
        (_figure(2022, 14.4, "restated", 2023), _figure(2023, 16.2)),  # the comparative of the later report
        (_figure(2022, 10.7, "restated", 2024), _figure(2023, 11.9, "restated", 2024)),  # both from one report
    ],
)
def test_basis_rule_accepts(before: Figure, after: Figure) -> None:
    assert comparison_problem(before, after) is None
    assert compare(before, after).before is before


def test_year_on_year_prefers_the_later_reports_comparative() -> None:
    restated = _figure(2022, 14.4, "restated", 2023)
    original = replace(_figure(2022, 14.6), restatements=(restated,))
    comparison = year_on_year(original, _figure(2023, 16.2))
    assert comparison.before is restated and comparison.original_before is original
    only_later = replace(_figure(2022, 14.6), restatements=(_figure(2022, 14.4, "restated", 2024),))
    assert year_on_year(only_later, _figure(2023, 16.2)).before.value == 14.6  # no 2023 comparative: originals
    assert year_on_year(_figure(2022, 14.6), _figure(2023, 16.2, "restated", 2024)) is None


def test_a_new_year_needs_no_code_change(bank_sources: tuple[Path, Path]) -> None:
    """The year range is data: a 2026 file adds its figures, its changes and drops the 2026 probes."""
    processed, urls = bank_sources

    def other_year_2026(data) -> bool:  # noqa: ANN001
        return any(kind == "otro_ejercicio" and year == 2026 for kind, _, _, year, _ in probes(data, load_templates()))

    assert other_year_2026(load_bank_data(processed, urls))
    data = json.loads(urls.read_text(encoding="utf-8"))
    data["banks"]["bbva"]["documents"].append(
        {"id": "bbva_2026_prueba", "title": "Informe de prueba 2026", "year": 2026, "kind": "banco"}
    )
    urls.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    new_file = json.loads((processed / "bbva" / "bbva_2025.json").read_text(encoding="utf-8"))
    new_file["year"] = 2026
    for item in new_file["metrics"].values():
        item["source"] = {"document_id": "bbva_2026_prueba", "page": 3}
        item.pop("restatements", None)
    new_file["metrics"]["net_attributable_profit"]["value"] = 11000
    (processed / "bbva" / "bbva_2026.json").write_text(json.dumps(new_file), encoding="utf-8")
    after = generate_banking_rows(load_bank_data(processed, urls))
    ids = {row["metadata"]["id"] for row in after}
    assert "bank-dato-bbva-2026-net_attributable_profit" in ids
    assert "bank-variacion-bbva-net_attributable_profit-2025-2026" in ids
    assert not other_year_2026(load_bank_data(processed, urls))
    change = next(r for r in after if r["metadata"]["id"] == "bank-variacion-bbva-net_attributable_profit-2025-2026")
    assert "un aumento de 489 millones EUR (4,7 %)" in change["messages"][-1]["content"]


def test_adding_a_bank_file_extends_the_dataset(bank_sources: tuple[Path, Path]) -> None:
    processed, urls = bank_sources
    data = json.loads(urls.read_text(encoding="utf-8"))
    data["banks"]["bankinter"] = {
        "name": "Bankinter",
        "investor_relations_url": "https://example.org/ir",
        "documents": [{"id": "bankinter_2023_prueba", "title": "Documento de prueba", "year": 2023, "kind": "banco"}],
    }
    urls.write_text(json.dumps(data), encoding="utf-8")
    (processed / "bankinter").mkdir()
    figure = {
        "value": 845,
        "unit": "millones EUR",
        "definition": "Prueba",
        "reporting": "original",
        "source": {"document_id": "bankinter_2023_prueba", "page": 1},
    }
    gaps = {metric: {"searched": "nada buscado: prueba"} for metric in TRACKED_METRICS[2:]}
    gaps["total_assets"] = {"searched": "nada buscado: prueba"}
    content = {"bank_id": "bankinter", "bank": "Bankinter", "year": 2023, "metrics": {}, "gaps": gaps}
    content["metrics"]["net_attributable_profit"] = figure
    (processed / "bankinter" / "bankinter_2023.json").write_text(json.dumps(content), encoding="utf-8")
    after = generate_banking_rows(load_bank_data(processed, urls))
    assert "bank-dato-bankinter-2023-net_attributable_profit" in {row["metadata"]["id"] for row in after}
    assert any("845 millones EUR" in row["messages"][-1]["content"] for row in after)
    probes = [row["metadata"].get("probe", {}) for row in after]
    assert not any(p.get("bank") == "Bankinter" and p["kind"] == "otro_banco" for p in probes)
