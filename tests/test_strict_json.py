"""NaN and Infinity are refused wherever JSON (or YAML) is read, never written, and any finite value
formats the Spanish way and reads back."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import pytest
from helpers import DATA_DIR
from hypothesis import given
from hypothesis import strategies as st

from regllm_lf.cli import main
from regllm_lf.core.jsonio import dump_json, dump_jsonl, loads_strict, read_records
from regllm_lf.core.spanish_numbers import decimals_of, format_number, is_ambiguous, parse_number
from regllm_lf.core.structured import load_structured

NON_FINITE = ["NaN", "Infinity", "-Infinity", "1e999", "-1e400"]


@pytest.mark.parametrize("constant", NON_FINITE)
@pytest.mark.parametrize("suffix", [".jsonl", ".json"])
def test_validate_refuses_non_finite_numbers_in_rows(
    constant: str, suffix: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    row = json.loads((DATA_DIR / "processed" / "train_data.json").read_text(encoding="utf-8"))[0]
    text = json.dumps(row, ensure_ascii=False).replace('"metadata": {', f'"metadata": {{"peso": {constant}, ', 1)
    path = tmp_path / f"rows{suffix}"
    path.write_text(text + "\n" if suffix == ".jsonl" else f"[\n{text}\n]\n", encoding="utf-8")
    assert main(["validate", "--no-domain", str(path)]) == 1
    err = capsys.readouterr().err
    line = 1 if suffix == ".jsonl" else 2
    assert f"rows{suffix}:{line}: metadata.peso: " in err and "is not a finite number" in err
    assert "Traceback" not in err


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "1e999"])
def test_a_bank_figure_that_is_not_finite_stops_the_generator(
    constant: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copytree(DATA_DIR, tmp_path / "data")
    (tmp_path / "datasets").mkdir()
    monkeypatch.setenv("REGLLM_ROOT", str(tmp_path))
    bank = tmp_path / "data" / "processed" / "bbva" / "bbva_2022.json"
    text = bank.read_text(encoding="utf-8")
    bank.write_text(text.replace('"value": 713140', f'"value": {constant}', 1), encoding="utf-8")
    generated = tmp_path / "data" / "finetuning" / "banking_qa_dataset.jsonl"
    before = generated.read_bytes()
    assert main(["generate", "banking"]) == 1
    err = capsys.readouterr().err
    assert "bbva_2022.json:" in err and "metrics.total_assets.value: " in err and "not a finite number" in err
    assert generated.read_bytes() == before


@pytest.mark.parametrize(
    ("suffix", "text", "field"),
    [
        (".yaml", "documentos:\n  - peso: .nan\n", "documentos[0].peso"),
        (".yaml", "a:\n  b: -.inf\n", "a.b"),
        (".json", '{"a": [1, NaN]}', "a[1]"),
    ],
)
def test_catalogues_refuse_non_finite_numbers(suffix: str, text: str, field: str, tmp_path: Path) -> None:
    path = tmp_path / f"catalogo{suffix}"
    path.write_text(text, encoding="utf-8")
    problems: list = []
    assert load_structured(path, problems) is None
    assert [problem.field for problem in problems] == [field]


def test_strict_loads_and_writers_refuse_non_finite() -> None:
    for constant in NON_FINITE:
        with pytest.raises(ValueError, match="not a finite number"):
            loads_strict(f'{{"x": {constant}}}')
    for value in (math.nan, math.inf):
        with pytest.raises(ValueError):
            dump_json({"x": value})
        with pytest.raises(ValueError):
            dump_jsonl([{"x": value}])


def test_deep_nesting_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "deep.jsonl"
    path.write_text("[" * 200_000 + "\n", encoding="utf-8")
    problems: list = []
    assert read_records(path, problems) == [] and "nested too deeply" in problems[0].message


@given(
    st.one_of(
        st.floats(allow_nan=False, allow_infinity=False, min_value=-1e15, max_value=1e15),
        st.integers(-(10**12), 10**12).map(float),
        st.integers(-(10**9), 10**9).map(lambda number: number / 1000),
    )
)
def test_any_finite_value_formats_and_reads_back(value: float) -> None:
    text = format_number(value)
    # Written the Spanish way: a lone "." groups thousands, a lone "," is the decimal comma.
    style = "decimal" if is_ambiguous(text) and "," in text else "thousands"
    assert parse_number(text, style) == pytest.approx(round(value, decimals_of(value)), rel=1e-12, abs=1e-300)


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_any_finite_value_formats_at_all(value: float) -> None:
    assert format_number(value)


def test_only_rows_with_a_non_finite_value_are_reported(tmp_path: Path) -> None:
    # Rows are walked for NaN/infinity only when the decoder met one: finite floats, even huge ones,
    # pass; each non-finite value is found wherever it sits, in the row where it is.
    path = tmp_path / "rows.jsonl"
    lines = ['{"a": 1.5, "b": [1e308, -0.0]}', '{"a": {"b": [1, {"c": -1e400}]}}', '{"a": 2.5}', '{"x": [NaN]}']
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    problems: list = []
    records = read_records(path, problems)
    assert [record.line for record in records] == [1, 3]
    assert [(problem.line, problem.field) for problem in problems] == [(2, "a.b[1].c"), (4, "x[0]")]
