"""Random spreadsheet edits — quotes, delimiters, newlines, emoji, semicolons, numbers in both styles, and
stray characters dropped into the raw CSV text — either land exactly or are refused with the CSV line:
the source never holds a value the CSV did not say, and a refused import writes nothing."""

from __future__ import annotations

import csv
import io
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import DATA_DIR
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from regllm_lf.core.jsonio import loads_strict
from regllm_lf.core.problems import DataError
from regllm_lf.core.row_metadata import decode_row
from regllm_lf.core.spanish_numbers import format_number, is_ambiguous, parse_number
from regllm_lf.prepare.spreadsheet_export import export_all
from regllm_lf.prepare.spreadsheet_import import import_csv

TOKENS = [*"abcñáéZ09 .-=", '"', "'", ",", ";", "\t", "\n", "\r\n", "😀", "❌", "€", '""', "“", "»", "−"]
pieces = st.lists(st.sampled_from(TOKENS), min_size=1, max_size=12).map("".join)
REGULATION = "regulation_qa.csv"
FINANCIALS = "spanish_banks_financials.csv"
FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    root = tmp_path_factory.mktemp("fuzz")
    shutil.copytree(DATA_DIR, root / "data")
    (root / "datasets").mkdir()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("REGLLM_ROOT", str(root))
        export_all(root / "exports")
        yield root / "data", root / "exports"


def _snapshot(data: Path) -> dict[Path, bytes]:
    return {path: path.read_bytes() for path in data.rglob("*.json*")}


def _restore(snapshot: dict[Path, bytes]) -> None:
    for path, content in snapshot.items():
        if path.read_bytes() != content:
            path.write_bytes(content)


def _rows(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_bytes().decode("utf-8-sig"), newline="")))


def _write(rows: list[list[str]], delimiter: str) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue()


def _write_with_unescaped_quote(rows: list[list[str]], delimiter: str, target: tuple[int, int, float]) -> str:
    """Every cell quoted, and one quote inside the target cell left undoubled (a hand edit in a text editor)."""
    lines = []
    for number, row in enumerate(rows):
        cells = []
        for column, value in enumerate(row):
            escaped = value.replace('"', '""')
            if (number, column) == target[:2]:
                cut = int(target[2] * len(escaped))
                escaped = escaped[:cut] + '"' + escaped[cut:]
            cells.append(f'"{escaped}"')
        lines.append(delimiter.join(cells))
    return "\r\n".join(lines) + "\r\n"


def _oracle(text: str, delimiter: str) -> list[list[str]] | None:
    """The cells a strict reader sees, or None when the text is not a well-formed table."""
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True))
    except csv.Error:
        return None
    rows = [row for row in rows if any(cell.strip() for cell in row)]
    return rows if all(len(row) == len(rows[0]) for row in rows) else None


def _refused_with_csv_line(error: DataError, name: str) -> bool:
    return any(problem.path.endswith(name) and problem.line > 0 for problem in error.problems)


def _normalized(cell: str) -> str:
    return cell.replace("\r\n", "\n").replace("\r", "\n")


@FUZZ
@given(
    edits=st.lists(
        st.tuples(st.integers(1, 40), st.sampled_from(["user", "assistant", "title", "source"]), pieces),
        min_size=1,
        max_size=4,
    ),
    delimiter=st.sampled_from([",", ";", "\t"]),
    stray=st.one_of(st.none(), st.tuples(st.floats(0, 1), st.sampled_from(['"', ",", ";", "\n", "\r"]))),
    unescaped=st.one_of(st.none(), st.tuples(st.integers(1, 40), st.integers(0, 7), st.floats(0, 1))),
)
def test_text_edits_land_exactly_or_are_refused(
    project: tuple[Path, Path],
    edits: list,
    delimiter: str,
    stray: tuple[float, str] | None,
    unescaped: tuple[int, int, float] | None,
) -> None:
    data, out = project
    snapshot = _snapshot(data)
    rows = _rows(out / REGULATION)
    header = rows[0]
    for row_number, column, text in edits:
        index = header.index(column)
        rows[row_number][index] = rows[row_number][index] + text if column == "assistant" else text
    text = _write(rows, delimiter) if unescaped is None else _write_with_unescaped_quote(rows, delimiter, unescaped)
    if stray is not None:
        where = int(stray[0] * len(text))
        text = text[:where] + stray[1] + text[where:]
    path = out / "edited" / REGULATION
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(text.encode("utf-8"))
    said = _oracle(text, delimiter)
    try:
        try:
            import_csv(path)
        except DataError as error:
            assert said is None or error.problems, "refused without a reason"
            if said is None:
                assert _refused_with_csv_line(error, REGULATION), error.problems
            assert _snapshot(data) == snapshot, "a refused import wrote something"
            return
        assert said is not None, "a malformed CSV was imported"
        rows = loads_strict((data / "processed/train_data.json").read_text())
        source = {row["metadata"]["id"]: decode_row(row) for row in rows}
        for cells in said[1:]:
            values = dict(zip(said[0], cells, strict=True))
            row = source[values["id"]]
            by_role = {m["role"]: m["content"] for m in row["messages"]}
            for column in ("user", "assistant", "system"):
                assert by_role[column] == _normalized(values[column])
            for column in ("title", "source"):
                assert row["metadata"][column] == _normalized(values[column])
    finally:
        _restore(snapshot)


def _styles(value: float, decimals: int) -> st.SearchStrategy[str]:
    english = f"{value:,.{decimals}f}"
    return st.sampled_from([format_number(value, decimals), english, english.replace(",", ""), f"{value:.{decimals}f}"])


@st.composite
def written_numbers(draw: st.DrawFn) -> str:
    decimals = draw(st.integers(0, 3))
    value = draw(st.integers(-(10**7), 10**7)) / 10**decimals
    return draw(_styles(value, decimals))


@FUZZ
@given(row_number=st.integers(1, 56), written=written_numbers(), delimiter=st.sampled_from([",", ";"]))
def test_number_edits_land_exactly_or_are_refused(
    project: tuple[Path, Path], row_number: int, written: str, delimiter: str
) -> None:
    data, out = project
    snapshot = _snapshot(data)
    rows = _rows(out / FINANCIALS)
    header = rows[0]
    row = rows[row_number]
    row[header.index("value")] = written
    unit, stored = row[header.index("unit")], float(_rows(out / FINANCIALS)[row_number][header.index("value")])
    path = out / "edited" / FINANCIALS
    path.parent.mkdir(exist_ok=True)
    path.write_text(_write(rows, delimiter), encoding="utf-8")
    bank_file = data / "processed" / row[0] / f"{row[0]}_{row[2]}.json"
    readings = {parse_number(written, style) for style in ("thousands", "decimal")}
    try:
        try:
            import_csv(path)
        except DataError as error:
            assert _snapshot(data) == snapshot
            line = 1 + sum(cell.count("\n") for earlier in rows[:row_number] for cell in earlier) + row_number
            assert any(p.line == line and p.field == "value" for p in error.problems), error.problems
            # refused only when the ambiguity is real for a ratio, or when the figure's schema says no
            schema_refusal = any("(in " in p.message for p in error.problems)
            assert (unit == "%" and is_ambiguous(written) and stored not in readings) or schema_refusal
            return
        value = loads_strict(bank_file.read_text(encoding="utf-8"))["metrics"][row[3]]["value"]
        if stored in readings:
            assert value == stored  # the stored value under either reading: not an edit
        elif is_ambiguous(written):
            assert unit != "%" and value == parse_number(written, "thousands")
        else:
            assert value == parse_number(written)
    finally:
        _restore(snapshot)
