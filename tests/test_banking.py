"""Bank figure files → banking Q&A: Spanish numbers, sources named, bad input rejected with file and field."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from regllm_lf.core.problems import DataError
from regllm_lf.core.spanish_numbers import format_figure, format_number
from regllm_lf.tasks.banking_qa.figures import banks_urls_path, load_figures, processed_folder
from regllm_lf.tasks.banking_qa.generate import generate_banking_rows, load_templates


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


def test_format_number_negative_and_decimals() -> None:
    assert format_number(-1234.5) == "-1.234,5"
    assert format_number(2.0, 2) == "2,00"


def test_every_single_fact_answer_names_figure_bank_year_and_source() -> None:
    figures = {(f.bank_id, f.year, f.metric): f for f in load_figures()}
    rows = [row for row in generate_banking_rows() if row["metadata"]["topic"] == "dato_puntual"]
    assert len(rows) == len(figures)
    for row in rows:
        fact = row["metadata"]["facts"][0]
        figure = figures[(fact["bank_id"], fact["year"], fact["metric"])]
        answer = row["messages"][-1]["content"]
        assert format_figure(figure.value, figure.unit) in answer
        assert figure.bank in answer and str(figure.year) in answer
        assert figure.document.title in answer and "Fuente:" in answer
        assert row["messages"][0] == {"role": "system", "content": load_templates().system_prompt}


def test_dataset_size_and_kinds() -> None:
    rows = generate_banking_rows()
    topics = {row["metadata"]["topic"] for row in rows}
    assert len(rows) >= 82
    assert topics == {"dato_puntual", "variacion_interanual", "ranking", "fuera_de_cobertura"}
    for row in rows:
        if row["metadata"]["topic"] == "fuera_de_cobertura":
            assert row["metadata"]["facts"] == [] and "No dispongo" in row["messages"][-1]["content"]


def test_ranking_is_sorted_from_highest_to_lowest() -> None:
    for row in generate_banking_rows():
        if row["metadata"]["topic"] == "ranking":
            values = [fact["value"] for fact in row["metadata"]["facts"]]
            assert values == sorted(values, reverse=True)


@pytest.fixture
def sources(tmp_path: Path) -> tuple[Path, Path]:
    processed = tmp_path / "processed"
    shutil.copytree(processed_folder(), processed, ignore=shutil.ignore_patterns("train_data.json"))
    urls = tmp_path / "banks_urls.json"
    shutil.copy(banks_urls_path(), urls)
    return processed, urls


def _edit(path: Path, change) -> None:  # noqa: ANN001
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")


def _first_metric(path: Path) -> str:
    return next(iter(json.loads(path.read_text(encoding="utf-8"))["metrics"]))


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        (lambda m: m.pop("source"), "metrics.{metric}", "'source' is a required property"),
        (lambda m: m.update(value="11.076"), "metrics.{metric}.value", "is not of type 'number'"),
        (lambda m: m.update(unit="miles EUR"), "metrics.{metric}.unit", "is not one of"),
        (
            lambda m: m["source"].update(document_id="no_such_doc"),
            "metrics.{metric}.source.document_id",
            "is not a document of",
        ),
    ],
)
def test_bad_figure_is_rejected_with_file_and_field(
    sources: tuple[Path, Path], change, field: str, message: str
) -> None:  # noqa: ANN001
    processed, urls = sources
    path = processed / "bbva" / "bbva_2023.json"
    metric = _first_metric(path)
    _edit(path, lambda data: change(data["metrics"][metric]))
    with pytest.raises(DataError) as raised:
        load_figures(processed, urls)
    text = str(raised.value)
    assert "bbva_2023.json:" in text and f": {field.format(metric=metric)}: " in text and message in text, text


def test_unknown_metric_is_rejected(sources: tuple[Path, Path]) -> None:
    processed, urls = sources
    path = processed / "bbva" / "bbva_2023.json"
    metric = _first_metric(path)
    _edit(path, lambda data: data["metrics"].update(beneficio_magico=data["metrics"][metric]))
    with pytest.raises(DataError, match=r"bbva_2023.json:\d+: metrics: 'beneficio_magico' is not one of"):
        load_figures(processed, urls)


def test_adding_a_bank_file_extends_the_dataset(sources: tuple[Path, Path]) -> None:
    processed, urls = sources
    before = generate_banking_rows(load_figures(processed, urls))
    _edit(
        urls,
        lambda data: data["banks"].update(
            bankinter={
                "name": "Bankinter",
                "investor_relations_url": "https://example.org/ir",
                "documents": [{"id": "bankinter_2023_prueba", "title": "Documento de prueba", "year": 2023}],
            }
        ),
    )
    (processed / "bankinter").mkdir()
    (processed / "bankinter" / "bankinter_2023.json").write_text(
        json.dumps(
            {
                "bank_id": "bankinter",
                "bank": "Bankinter",
                "year": 2023,
                "metrics": {
                    "net_attributable_profit": {
                        "value": 845,
                        "unit": "millones EUR",
                        "definition": "Prueba",
                        "reporting": "original",
                        "source": {"document_id": "bankinter_2023_prueba", "page": 1},
                    }
                },
            }
        ),
        encoding="utf-8",
    )
    after = generate_banking_rows(load_figures(processed, urls))
    new_ids = {row["metadata"]["id"] for row in after} - {row["metadata"]["id"] for row in before}
    assert "bank-dato-bankinter-2023-net_attributable_profit" in new_ids
    assert any("845 millones EUR" in row["messages"][-1]["content"] for row in after)
    assert not any(row["metadata"]["id"].startswith("bank-sin-dato-bankinter-2023-net") for row in after)
