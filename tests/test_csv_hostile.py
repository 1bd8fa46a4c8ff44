"""``import-csv`` on hostile spreadsheets, one table per class of the bad-input issue, several members
each: every case lands exactly or exits 1 with ``file:line: column: message``, writes nothing, and
prints no traceback."""

from __future__ import annotations

import csv
import io
import json
import shutil
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from helpers import DATA_DIR

from regllm_lf.cli import main
from regllm_lf.core.row_metadata import decode_row
from regllm_lf.core.spanish_numbers import format_figure
from regllm_lf.prepare.spreadsheet_export import export_all

REGULATION, SQL, FINANCIALS = "regulation_qa.csv", "sql_methodology_comparison.csv", "spanish_banks_financials.csv"
Rows = list[list[str]]


@dataclass
class Exported:
    data: Path
    out: Path

    def rows(self, name: str) -> Rows:
        return list(csv.reader(io.StringIO((self.out / name).read_bytes().decode("utf-8-sig"), newline="")))

    def write(self, name: str, rows: Rows, delimiter: str = ",", encoding: str = "utf-8", bom: bool = True) -> Path:
        buffer = io.StringIO()
        csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
        text = ("\ufeff" if bom and encoding.startswith("utf") else "") + buffer.getvalue()
        path = self.out / "edited" / name
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(text.encode(encoding, errors="replace"))
        return path

    def write_text(self, name: str, text: str) -> Path:
        path = self.out / "edited" / name
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(text.encode("utf-8"))
        return path

    def source_rows(self) -> dict[str, dict]:
        rows = json.loads((self.data / "processed" / "train_data.json").read_text(encoding="utf-8"))
        return {row["metadata"]["id"]: decode_row(row) for row in rows}

    def figure(self, row: list[str]) -> dict:
        bank = json.loads((self.data / "processed" / row[0] / f"{row[0]}_{row[2]}.json").read_text(encoding="utf-8"))
        return bank["metrics"][row[3]]


@pytest.fixture
def exported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Exported:
    shutil.copytree(DATA_DIR, tmp_path / "data")
    (tmp_path / "datasets").mkdir()
    monkeypatch.setenv("REGLLM_ROOT", str(tmp_path))
    export_all(tmp_path / "exports")
    return Exported(tmp_path / "data", tmp_path / "exports")


def _snapshot(data: Path) -> dict[str, bytes]:
    return {str(p.relative_to(data)): p.read_bytes() for p in sorted(data.rglob("*")) if p.is_file()}


def _start_line(rows: Rows, index: int) -> int:
    """The CSV line where row ``index`` starts (cells may hold line breaks)."""
    return 1 + index + sum(cell.count("\n") for row in rows[:index] for cell in row)


def _refused(exported: Exported, capsys: pytest.CaptureFixture[str], argv: list[str], *expected: str) -> str:
    before = _snapshot(exported.data)
    assert main(["import-csv", *argv]) == 1
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    for fragment in expected:
        assert fragment in err, err
    assert _snapshot(exported.data) == before, "a refused import wrote something"
    return err


def _lands(capsys: pytest.CaptureFixture[str], argv: list[str], changed: int) -> None:
    assert main(["import-csv", *argv]) == 0, capsys.readouterr().err
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err and f"{changed} row(s) changed" in out


def _row_index(rows: Rows, column: str, test: Callable[[str], bool]) -> int:
    return next(number for number, row in enumerate(rows) if number and test(row[rows[0].index(column)]))


# --- 1: structure — quoting, field counts, the export's columns ---------------------------------------------


def _stray_quote(exported: Exported) -> tuple[Path, str, int]:
    """The issue's case: ``recoge a los "deudores"`` typed into an already-quoted cell, quotes not doubled."""
    text = (exported.out / REGULATION).read_bytes().decode("utf-8-sig")
    rows = exported.rows(REGULATION)
    answer = rows[3][rows[0].index("assistant")]
    start = text.index(answer)
    text = text[:start] + 'recoge a los "deudores" y ' + text[start:]
    return exported.write_text(REGULATION, text), "a quote inside a quoted cell must be doubled", _start_line(rows, 3)


def _extra_cell(exported: Exported) -> tuple[Path, str, int]:
    rows = exported.rows(REGULATION)
    rows[4].append("celda de más")
    return exported.write(REGULATION, rows), "has 9 cells, the header has 8", _start_line(rows, 4)


def _missing_cell(exported: Exported) -> tuple[Path, str, int]:
    rows = exported.rows(REGULATION)
    rows[5].pop()
    return exported.write(REGULATION, rows, ";"), "has 7 cells, the header has 8", _start_line(rows, 5)


def _renamed_column(exported: Exported) -> tuple[Path, str, int]:
    rows = exported.rows(REGULATION)
    rows[0][rows[0].index("user")] = "pregunta"
    return exported.write(REGULATION, rows), "missing column(s): user", 1


def _repeated_column(exported: Exported) -> tuple[Path, str, int]:
    rows = exported.rows(REGULATION)
    rows[0][rows[0].index("title")] = "source"
    return exported.write(REGULATION, rows), "repeated column(s): source", 1


def _unterminated_quote(exported: Exported) -> tuple[Path, str, int]:
    text = (exported.out / REGULATION).read_bytes().decode("utf-8-sig")
    rows = exported.rows(REGULATION)
    return (
        exported.write_text(REGULATION, text + '"sin cerrar,'),
        "unexpected end of data",
        _start_line(rows, len(rows)),
    )


def _derived_column(exported: Exported) -> tuple[Path, str, int]:
    rows = exported.rows(REGULATION)
    rows[2][rows[0].index("citations")] = "[CRR, art. 178.1.b]"
    return exported.write(REGULATION, rows), "citations: derived from the row's other cells", _start_line(rows, 2)


def _unknown_id(exported: Exported) -> tuple[Path, str, int]:
    rows = exported.rows(REGULATION)
    rows[6][0] = "reg-no-existe-999"
    return exported.write(REGULATION, rows), "id: unknown id 'reg-no-existe-999'", _start_line(rows, 6)


STRUCTURE = [_stray_quote, _extra_cell, _missing_cell, _renamed_column, _repeated_column, _unterminated_quote]
STRUCTURE += [_derived_column, _unknown_id]


@pytest.mark.parametrize("case", STRUCTURE, ids=lambda case: case.__name__.strip("_"))
def test_structure_problems_are_refused_with_the_csv_line(
    case: Callable, exported: Exported, capsys: pytest.CaptureFixture[str]
) -> None:
    path, message, line = case(exported)
    _refused(exported, capsys, [str(path)], f"{REGULATION}:{line}: ", message)


def test_text_edits_with_quotes_separators_and_newlines_land_exactly(
    exported: Exported, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = exported.rows(REGULATION)
    user, title = rows[0].index("user"), rows[0].index("title")
    rows[1][user] = 'Según el "párrafo", ¿qué; se\r\nhace?\t😀'
    rows[2][title] = "Título; con, separadores y «comillas»"
    _lands(capsys, [str(exported.write(REGULATION, rows, ";"))], 2)
    source = exported.source_rows()
    assert source[rows[1][0]]["messages"][1]["content"] == 'Según el "párrafo", ¿qué; se\nhace?\t😀'
    assert source[rows[2][0]]["metadata"]["title"] == "Título; con, separadores y «comillas»"


# --- 2 and 4: numbers — Spanish thousands, ambiguity by unit, non-finite values ------------------------------

LANDS_IN_MILLIONS = {"713.141": 713141, "11.076": 11076, "1.797.062": 1797062, "1,797,062.5": 1797062.5}
LANDS_IN_MILLIONS |= {"2.345,5": 2345.5, "845": 845, "1e-05": 1e-05}
LANDS_IN_PERCENT = {"12,3450": 12.345, "12,35": 12.35, "9.5": 9.5, "0,125": 0.125}
REFUSED_IN_PERCENT = ["12,345", "12.345", "1.000"]
NOT_FINITE = ["NaN", "nan", "Infinity", "-inf", "1e999", "doce", "12,3 %", ""]


def _figure_edit(exported: Exported, unit: str, written: str) -> tuple[Path, list[str], int]:
    rows = exported.rows(FINANCIALS)
    index = _row_index(rows, "unit", lambda value: value == unit)
    rows[index][rows[0].index("value")] = written
    return exported.write(FINANCIALS, rows, ";"), rows[index], _start_line(rows, index)


@pytest.mark.parametrize(("written", "value"), list(LANDS_IN_MILLIONS.items()))
def test_amounts_in_millions_read_spanish_thousands(
    written: str, value: float, exported: Exported, capsys: pytest.CaptureFixture[str]
) -> None:
    path, row, _ = _figure_edit(exported, "millones EUR", written)
    _lands(capsys, [str(path)], 1)
    stored = exported.figure(row)["value"]
    assert stored == value and type(stored) is type(value)


@pytest.mark.parametrize(("written", "value"), list(LANDS_IN_PERCENT.items()))
def test_ratios_read_unambiguous_decimals(
    written: str, value: float, exported: Exported, capsys: pytest.CaptureFixture[str]
) -> None:
    path, row, _ = _figure_edit(exported, "%", written)
    _lands(capsys, [str(path)], 1)
    assert exported.figure(row)["value"] == value


@pytest.mark.parametrize("written", REFUSED_IN_PERCENT)
def test_ambiguous_ratios_are_refused_with_advice(
    written: str, exported: Exported, capsys: pytest.CaptureFixture[str]
) -> None:
    path, _, line = _figure_edit(exported, "%", written)
    _refused(
        exported, capsys, [str(path)], f"{FINANCIALS}:{line}: value: ", "ambiguous for a ratio in %", f"{written}0"
    )


@pytest.mark.parametrize("written", NOT_FINITE)
@pytest.mark.parametrize("unit", ["%", "millones EUR"])
def test_non_numbers_and_non_finite_values_are_refused(
    unit: str, written: str, exported: Exported, capsys: pytest.CaptureFixture[str]
) -> None:
    path, _, line = _figure_edit(exported, unit, written)
    _refused(exported, capsys, [str(path)], f"{FINANCIALS}:{line}: value: not a finite number")


def test_an_unchanged_value_in_either_style_is_not_an_edit(
    exported: Exported, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = exported.rows(FINANCIALS)
    value = rows[0].index("value")
    for row in rows[1:]:
        row[value] = row[value].replace(".", ",")  # a Spanish-locale spreadsheet's way of writing 12.61
    _lands(capsys, [str(exported.write(FINANCIALS, rows, ";"))], 0)


def test_any_finite_value_formats() -> None:
    assert format_figure(1e-05, "%") == "0,00001 %"
    assert format_figure(1797062.5, "millones EUR") == "1.797.062,5 millones EUR"
    assert format_figure(-0.0, "%") == "0 %"
    assert format_figure(1e20, "millones EUR") == "100.000.000.000.000.000.000 millones EUR"


# --- 5: encodings — what LibreOffice and Excel save ----------------------------------------------------------


def _utf16_tabs(exported: Exported) -> list[str]:
    rows = exported.rows(REGULATION)
    return [str(exported.write(REGULATION, rows, "\t", "utf-16"))]  # Excel's "Unicode text"


def _cp1252_lossy(exported: Exported) -> list[str]:
    return [str(exported.write(SQL, exported.rows(SQL), ";", "cp1252"))]  # ❌ → '?': not an edit


def _latin1_named(exported: Exported) -> list[str]:
    rows = exported.rows(FINANCIALS)
    return [str(exported.write(FINANCIALS, rows, ",", "latin-1")), "--encoding", "latin-1"]


@pytest.mark.parametrize("case", [_utf16_tabs, _cp1252_lossy, _latin1_named], ids=lambda c: c.__name__.strip("_"))
def test_other_encodings_change_nothing(case: Callable, exported: Exported, capsys: pytest.CaptureFixture[str]) -> None:
    before = _snapshot(exported.data)
    _lands(capsys, case(exported), 0)
    assert _snapshot(exported.data) == before


def test_cp1252_edit_lands_with_accents(exported: Exported, capsys: pytest.CaptureFixture[str]) -> None:
    rows = exported.rows(REGULATION)
    rows[1][rows[0].index("user")] = "¿Qué año? Señal «€»"
    _lands(capsys, [str(exported.write(REGULATION, rows, ";", "cp1252"))], 1)
    assert exported.source_rows()[rows[1][0]]["messages"][1]["content"] == "¿Qué año? Señal «€»"


def _edit_lossy_cell(exported: Exported) -> tuple[list[str], tuple[str, ...]]:
    rows = exported.rows(SQL)
    column = rows[0].index("assistant")
    index = _row_index(rows, "assistant", lambda text: "❌" in text)
    rows[index][column] += " Editado."
    path = exported.write(SQL, rows, ";", "cp1252")
    return [str(path)], (f"{SQL}:{_start_line(rows, index)}: assistant: ", "save the CSV as UTF-8", "❌")


def _undecodable(exported: Exported) -> tuple[list[str], tuple[str, ...]]:
    path = exported.write(REGULATION, exported.rows(REGULATION))
    path.write_bytes(path.read_bytes().replace("¿".encode(), b"\x81", 1))
    return [str(path)], ("encoding: neither UTF-8 nor cp1252 (byte 0x81", "--encoding")


def _unknown_encoding(exported: Exported) -> tuple[list[str], tuple[str, ...]]:
    return [str(exported.out / REGULATION), "--encoding", "klingon"], ("encoding: unknown encoding 'klingon'",)


def _wrong_encoding(exported: Exported) -> tuple[list[str], tuple[str, ...]]:
    path = exported.write(REGULATION, exported.rows(REGULATION), ",", "cp1252")
    return [str(path), "--encoding", "utf-8"], ("encoding: not utf-8: byte 0x",)


ENCODING_REFUSALS = [_edit_lossy_cell, _undecodable, _unknown_encoding, _wrong_encoding]


@pytest.mark.parametrize("case", ENCODING_REFUSALS, ids=lambda c: c.__name__.strip("_"))
def test_encoding_problems_are_refused(case: Callable, exported: Exported, capsys: pytest.CaptureFixture[str]) -> None:
    argv, expected = case(exported)
    _refused(exported, capsys, argv, *expected)


# --- 6: files that are not CSVs, huge cells ------------------------------------------------------------------


def _missing(exported: Exported) -> tuple[Path, str]:
    return exported.out / "edited" / REGULATION, "file: does not exist"


def _directory(exported: Exported) -> tuple[Path, str]:
    (exported.out / "edited" / REGULATION).mkdir(parents=True)
    return exported.out / "edited" / REGULATION, "file: is a directory"


def _empty(exported: Exported) -> tuple[Path, str]:
    return exported.write_text(REGULATION, ""), "file: is empty"


def _workbook(exported: Exported) -> tuple[Path, str]:
    path = exported.out / "edited" / REGULATION
    path.parent.mkdir(exist_ok=True)
    with zipfile.ZipFile(path, "w") as workbook:
        workbook.writestr("xl/workbook.xml", "<workbook/>")
    return path, "is a workbook (.xlsx/.ods), not a CSV"


def _huge_cell(exported: Exported) -> tuple[Path, str]:
    rows = exported.rows(REGULATION)
    rows[3][rows[0].index("user")] = "¿" + "a" * 1_100_000 + "?"
    return exported.write(REGULATION, rows), f"{REGULATION}:{_start_line(rows, 3)}: csv: a cell is longer than"


def _unknown_name(exported: Exported) -> tuple[Path, str]:
    return exported.write(REGULATION.replace("regulation", "regulacion"), exported.rows(REGULATION)), "unknown export"


FILES = [_missing, _directory, _empty, _workbook, _huge_cell, _unknown_name]


@pytest.mark.parametrize("case", FILES, ids=lambda c: c.__name__.strip("_"))
def test_bad_files_are_refused(case: Callable, exported: Exported, capsys: pytest.CaptureFixture[str]) -> None:
    path, message = case(exported)
    _refused(exported, capsys, [str(path)], message)


def test_a_cell_over_the_csv_module_default_limit_lands(exported: Exported, capsys: pytest.CaptureFixture[str]) -> None:
    rows = exported.rows(REGULATION)
    question = "¿" + "muy larga " * 20_000 + "?"  # 200,002 characters: over csv's 131,072 default
    rows[3][rows[0].index("user")] = question
    _lands(capsys, [str(exported.write(REGULATION, rows))], 1)
    assert exported.source_rows()[rows[3][0]]["messages"][1]["content"] == question
