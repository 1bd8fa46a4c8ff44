"""Metric parsers with adversarial inputs, and the metrics on gold answers (which must score perfectly)."""

from __future__ import annotations

import pytest

from regllm_lf.core.spanish_numbers import figure_matches, parse_figures, parse_number
from regllm_lf.evaluation.runner import load_questions
from regllm_lf.evaluation.scoring import Scorer, aggregate
from regllm_lf.tasks.banking_qa.metrics import score as banking_scores
from regllm_lf.tasks.regulation.citations import Citation, parse_citations
from regllm_lf.tasks.regulation.metrics import score as regulation_scores


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1.797.062", 1797062),
        ("1,797,062", 1797062),
        ("11.076", 11076),
        ("12,3", 12.3),
        ("12.3", 12.3),
        ("0,123", 0.123),
        ("0.123", 0.123),
        ("1.234,5", 1234.5),
        ("1,234.5", 1234.5),
        ("-3,4", -3.4),
        ("845", 845),
    ],
)
def test_parse_number(text: str, value: float) -> None:
    assert parse_number(text) == pytest.approx(value)


@pytest.mark.parametrize(
    ("text", "value", "unit"),
    [
        ("un beneficio de 11.076 millones EUR en 2023", 11076, "millones EUR"),
        ("ganó 11.076 M€", 11076, "millones EUR"),
        ("activos por 1.797.062 millones de euros", 1797062, "millones EUR"),
        ("profit of 11,076 million euros", 11076, "millones EUR"),
        ("unos 11,1 miles de millones de euros", 11100, "millones EUR"),
        ("1,8 billones de euros", 1_800_000, "millones EUR"),
        ("EUR 8.0bn", 8000, "millones EUR"),
        ("una ratio CET1 del 12,3 %", 12.3, "%"),
        ("CET1 ratio of 12.3%", 12.3, "%"),
        ("subió 0,4 puntos porcentuales", 0.4, "pp"),
    ],
)
def test_parse_figures_with_units(text: str, value: float, unit: str) -> None:
    figures = parse_figures(text)
    assert any(f.unit == unit and f.value == pytest.approx(value) for f in figures), figures


def test_years_are_not_figures_and_tolerance() -> None:
    assert [f.value for f in parse_figures("en 2023 y 2022")] == []
    [figure] = parse_figures("11.080 millones EUR")
    assert figure_matches(figure, 11076, "millones EUR")  # within 0.5 %
    assert not figure_matches(figure, 10500, "millones EUR")
    [ratio] = parse_figures("12,3 %")
    assert figure_matches(ratio, 12.3, "%") and not figure_matches(ratio, 12.4, "%")
    assert not figure_matches(ratio, 12.3, "millones EUR")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[EBA/GL/2017/16, párrafo 143]", [("EBA/GL/2017/16", "143")]),
        ("[EBA/GL/2017/16, 143]", []),  # without a unit it is not a citation
        ("[CRR, art. 178]", [("CRR", "178")]),
        ("[CRR, artículo 178]", [("CRR", "178")]),
        ("[CRR, arts. 153 y 154]", [("CRR", "153"), ("CRR", "154")]),
        ("[EBA/GL/2017/16, párrafos 73-78]", [("EBA/GL/2017/16", str(n)) for n in range(73, 79)]),
        ("[EBA/GL/2016/07, párr. 71]", [("EBA/GL/2016/07", "71")]),
    ],
)
def test_citation_forms(text: str, expected: list) -> None:
    assert parse_citations(text) == [Citation(*item) for item in expected]


def test_banking_scores() -> None:
    metadata = {
        "facts": [
            {
                "bank_id": "santander",
                "year": 2023,
                "metric": "net_attributable_profit",
                "value": 11076,
                "unit": "millones EUR",
            }
        ]
    }
    assert banking_scores(metadata, "Banco Santander ganó 11.076 millones EUR en 2023.")["numeric_accuracy"] == 1.0
    assert banking_scores(metadata, "Banco Santander ganó 9.605 millones EUR en 2023.")["numeric_accuracy"] == 0.0
    assert banking_scores(metadata, "BBVA ganó 11.076 millones EUR en 2023.")["numeric_accuracy"] == 0.0
    assert banking_scores(metadata, "Banco Santander ganó 11.076 millones EUR.")["numeric_accuracy"] == 0.0
    out = {"facts": []}
    assert banking_scores(out, "No dispongo de esa cifra.") == {"abstention_rate": 1.0, "hallucination_rate": 0.0}
    assert banking_scores(out, "Fue de 845 millones EUR.") == {"abstention_rate": 0.0, "hallucination_rate": 1.0}


def test_regulation_scores_penalise_invented_paragraphs() -> None:
    metadata = {"citations": ["[EBA/GL/2017/16, párrafo 143]"]}
    perfect = regulation_scores(metadata, "Se descuenta [EBA/GL/2017/16, párrafo 143].")
    assert perfect == {"citation_precision": 1.0, "citation_recall": 1.0, "citation_resolvable": 1.0}
    invented = regulation_scores(metadata, "Véase [EBA/GL/2017/16, párrafo 143] y [EBA/GL/2017/16, párrafo 9999].")
    assert invented["citation_precision"] == 0.5 and invented["citation_resolvable"] == 0.5


def test_gold_answers_score_perfectly() -> None:
    scorer = Scorer()
    results = []
    for question in load_questions("test"):
        results.append({"scores": scorer.score(question.metadata, question.gold)})
    summary = aggregate(results)
    for name in (
        "numeric_accuracy",
        "abstention_rate",
        "citation_precision",
        "citation_recall",
        "citation_resolvable",
        "sql_runs",
    ):
        assert summary[name]["value"] == 1.0 and summary[name]["n"] > 0, (name, summary[name])
    assert summary["hallucination_rate"]["value"] == 0.0
    # Cue matching is a proxy: the ceiling on our own gold reviews (documented in metrics.raised_findings).
    assert summary["finding_recall"]["value"] >= 0.85 and summary["finding_precision"]["value"] >= 0.6
