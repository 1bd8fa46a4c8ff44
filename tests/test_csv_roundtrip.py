"""Export → edit in a spreadsheet → ``import-csv``: edits land by id, nothing is lost or duplicated."""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import pytest
from helpers import DATA_DIR

from regllm_lf.cli import main
from regllm_lf.core.problems import DataError
from regllm_lf.prepare import spreadsheet_import as csv_import
from regllm_lf.prepare.spreadsheet_export import export_all


def _redirect(monkeypatch: pytest.MonkeyPatch, data: Path) -> None:
    """Point the package at a copy of the project: its data/ and an empty datasets/."""
    (data.parent / "datasets").mkdir(exist_ok=True)
    monkeypatch.setenv("REGLLM_ROOT", str(data.parent))


def _rewrite(path: Path, delimiter: str, bom: bool, edit=None) -> Path:  # noqa: ANN001
    text = path.read_bytes().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    if edit:
        edit(rows)
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    path.write_bytes(("\ufeff" if bom else "").encode() + buffer.getvalue().encode("utf-8"))
    return path


@pytest.fixture
def exported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    _redirect(monkeypatch, data)
    out = tmp_path / "exports"
    export_all(out)
    return data, out


def _snapshot(data: Path) -> dict[str, bytes]:
    return {str(p.relative_to(data)): p.read_bytes() for p in sorted(data.rglob("*")) if p.is_file()}


@pytest.mark.parametrize(
    "name", ["sql_methodology_comparison.csv", "regulation_qa.csv", "spanish_banks_financials.csv"]
)
@pytest.mark.parametrize(("delimiter", "bom"), [(",", True), (";", False), ("\t", True)])
def test_import_without_edits_changes_nothing(
    exported: tuple[Path, Path], name: str, delimiter: str, bom: bool
) -> None:
    data, out = exported
    before = _snapshot(data)
    report = csv_import.import_csv(_rewrite(out / name, delimiter, bom))
    assert report.changed == [] and not report.written
    assert _snapshot(data) == before


def test_edit_lands_in_source_by_id(exported: tuple[Path, Path]) -> None:
    data, out = exported

    def edit(rows: list[list[str]]) -> None:
        column = rows[0].index("user")
        rows[2][column] = rows[2][column] + " (editado en LibreOffice)"

    path = _rewrite(out / "regulation_qa.csv", ";", False, edit)
    report = csv_import.import_csv(path)
    assert len(report.changed) == 1 and report.written
    source = data / "processed" / "train_data.json"
    assert source.read_text(encoding="utf-8").count("(editado en LibreOffice)") == 1


def test_unplaceable_rows_are_reported_and_nothing_is_written(
    exported: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    data, out = exported
    before = _snapshot(data)

    def edit(rows: list[list[str]]) -> None:
        rows[3][rows[0].index("user")] += " (editado)"  # a valid edit: still not written beside a bad row
        rows.append(["sql-no-existe-999"] + rows[1][1:])
        rows.append(list(rows[1]))  # the same id twice

    path = _rewrite(out / "sql_methodology_comparison.csv", ",", True, edit)
    assert main(["import-csv", str(path)]) == 1
    errors = capsys.readouterr().err
    text = path.read_text(encoding="utf-8-sig")
    first_id = text.splitlines()[1].split(",")[0]
    last = text[: text.rindex(f"\n{first_id},")].count("\n") + 2  # where the repeated row starts
    assert "id: unknown id 'sql-no-existe-999'" in errors and "repeats line 2" in errors
    assert f"sql_methodology_comparison.csv:{last}: id: '{first_id}' repeats line 2" in errors
    assert _snapshot(data) == before


def test_invalid_edit_is_rejected_and_nothing_written(exported: tuple[Path, Path]) -> None:
    data, out = exported
    before = _snapshot(data)

    def edit(rows: list[list[str]]) -> None:
        rows[1][rows[0].index("assistant")] = "Respuesta con cita inventada [EBA/GL/2017/16, párrafo 9999]."

    with pytest.raises(DataError, match="párrafo 9999"):
        csv_import.import_csv(_rewrite(out / "regulation_qa.csv", ",", True, edit))
    assert _snapshot(data) == before


def test_figure_edit_with_decimal_comma(exported: tuple[Path, Path]) -> None:
    data, out = exported

    def edit(rows: list[list[str]]) -> None:
        header = rows[0]
        row = next(r for r in rows[1:] if r[header.index("unit")] == "%")
        row[header.index("value")] = "99,9"

    report = csv_import.import_csv(_rewrite(out / "spanish_banks_financials.csv", ";", False, edit))
    assert len(report.changed) == 1 and report.written
    assert any('"value": 99.9' in p.read_text(encoding="utf-8") for p in (data / "processed").glob("*/*.json"))


def test_generated_banking_csv_is_refused(exported: tuple[Path, Path]) -> None:
    _, out = exported
    with pytest.raises(DataError, match="generated from data/processed"):
        csv_import.import_csv(out / "banking_qa.csv")
