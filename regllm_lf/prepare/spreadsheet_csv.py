"""Read an edited spreadsheet CSV, or refuse it with the file, the line and why — never guess.

What LibreOffice and Excel save is accepted: UTF-8 with or without a BOM, UTF-16 (Excel's "Unicode
text"), Windows-1252 (the default "CSV" of both on Western systems; ``--encoding`` names another);
comma, semicolon or tab delimiters; CRLF, LF or CR line ends. What is refused, naming the CSV line: a
quote that does not open or close a cell (Python's csv module would silently glue or split cells), a row
whose field count differs from the header's, a header that is not the export's layout, a cell over
``CELL_LIMIT`` characters.

A legacy encoding cannot hold every character of our data (❌, ⚠️, →, −): a spreadsheet writes ``?``
instead. ``CsvTable.unchanged`` treats a cell that differs from the stored text only by those
replacements as unedited, and ``CsvTable.lossy_edit`` names an edited cell whose stored text the
encoding could not hold (importing it would replace those characters with ``?``).
"""

from __future__ import annotations

import codecs
import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from regllm_lf.core.problems import DataError, Problem, display_path

LEGACY_ENCODING = "cp1252"
CELL_LIMIT = 1_000_000  # characters; Python's csv default (131,072) is below what a long review may hold
DELIMITERS = (",", ";", "\t")
_UNICODE_ENCODINGS = ("utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "utf-32")


@dataclass(frozen=True)
class CsvRow:
    line: int  # where the row starts in the file (a cell may span lines)
    values: dict[str, str]


@dataclass
class CsvTable:
    path: Path
    encoding: str
    delimiter: str
    rows: list[CsvRow] = field(default_factory=list)

    @property
    def shown(self) -> str:
        return display_path(self.path)

    @property
    def legacy(self) -> bool:
        return codecs.lookup(self.encoding).name not in _UNICODE_ENCODINGS

    def problem(self, line: int, column: str, message: str) -> Problem:
        return Problem(self.shown, line, column, message)

    def storable(self, text: str) -> str:
        """``text`` as it comes back after a save in this file's encoding (``?`` for what it cannot hold)."""
        return text.encode(self.encoding, errors="replace").decode(self.encoding) if self.legacy else text

    def unchanged(self, cell: str, stored: str) -> bool:
        return cell == stored or (self.legacy and cell == self.storable(stored))

    def lossy_edit(self, row: CsvRow, column: str, stored: str) -> Problem | None:
        """A problem when ``column`` was edited but the stored text holds characters this encoding lost."""
        lost = sorted({char for char in stored if self.storable(char) != char})
        if not lost or self.unchanged(row.values[column], stored):
            return None
        return self.problem(
            row.line,
            column,
            f"the file was saved as {self.encoding}, which cannot hold {' '.join(lost)} of this cell's "
            "stored text (they became '?'): save the CSV as UTF-8 to edit this cell",
        )


def decode(raw: bytes, shown: str, encoding: str | None = None) -> tuple[str, str]:
    """(text, encoding): the named encoding, else UTF-16 by its BOM, else UTF-8, else Windows-1252."""
    if encoding is not None:
        try:
            return raw.decode(encoding).removeprefix("\ufeff"), encoding
        except LookupError:
            raise DataError([Problem(shown, 0, "encoding", f"unknown encoding {encoding!r}")]) from None
        except UnicodeDecodeError as error:
            line = raw.count(b"\n", 0, error.start) + 1
            message = f"not {encoding}: byte 0x{raw[error.start]:02x} at byte {error.start}"
            raise DataError([Problem(shown, line, "encoding", message)]) from None
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return decode(raw, shown, "utf-16")
    try:
        return raw.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode(LEGACY_ENCODING), LEGACY_ENCODING
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        message = (
            f"neither UTF-8 nor {LEGACY_ENCODING} (byte 0x{raw[error.start]:02x} at byte {error.start}): "
            "save it as CSV UTF-8, or name its encoding with --encoding"
        )
        raise DataError([Problem(shown, line, "encoding", message)]) from None


def read_bytes(path: Path) -> bytes:
    shown = display_path(path)
    if not path.exists():
        raise DataError([Problem(shown, 0, "file", "does not exist")])
    if path.is_dir():
        raise DataError([Problem(shown, 0, "file", "is a directory, expected a CSV file")])
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise DataError([Problem(shown, 0, "file", f"cannot be read: {error.strerror or error}")]) from None
    if raw.startswith(b"PK\x03\x04"):
        message = "is a workbook (.xlsx/.ods), not a CSV: save it as CSV (File > Save As)"
        raise DataError([Problem(shown, 0, "file", message)])
    if not raw.strip():
        raise DataError([Problem(shown, 1, "file", "is empty")])
    return raw


def _header_problems(shown: str, header: list[str], expected: tuple[str, ...]) -> list[Problem]:
    problems = []
    missing = [column for column in expected if column not in header]
    unknown = [column for column in header if column not in expected]
    repeated = sorted({column for column in header if header.count(column) > 1})
    if missing:
        problems.append(Problem(shown, 1, "header", f"missing column(s): {', '.join(missing)}"))
    if unknown:
        problems.append(Problem(shown, 1, "header", f"unknown column(s): {', '.join(map(repr, unknown))}"))
    if repeated:
        problems.append(Problem(shown, 1, "header", f"repeated column(s): {', '.join(repeated)}"))
    if problems:
        problems.append(Problem(shown, 1, "header", f"the export's columns are: {', '.join(expected)}"))
    return problems


def _records(text: str, delimiter: str, shown: str, problems: list[Problem]) -> list[tuple[int, list[str]]]:
    """(first line, fields) of every record; stops at the first quoting error (the rest cannot be trusted)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    records = []
    previous_limit = csv.field_size_limit(CELL_LIMIT)
    try:
        while True:
            start = reader.line_num + 1
            try:
                fields = next(reader)
            except StopIteration:
                return records
            except csv.Error as error:
                message = str(error)
                if "field larger than field limit" in message:
                    message = f"a cell is longer than {CELL_LIMIT:,} characters"
                elif "expected after" in message or "unexpected end of data" in message:
                    message = f'{message}: a quote inside a quoted cell must be doubled ("")'
                problems.append(Problem(shown, start, "csv", message))
                return records
            records.append((start, fields))
    finally:
        csv.field_size_limit(previous_limit)


def read_csv(path: Path, columns: tuple[str, ...], encoding: str | None = None) -> CsvTable:
    """Every data row of ``path`` keyed by the export's ``columns``; DataError with every problem found."""
    shown = display_path(path)
    text, used = decode(read_bytes(path), shown, encoding)
    header_line = text.splitlines()[0] if text.strip() else ""
    delimiter = max(DELIMITERS, key=header_line.count)
    problems: list[Problem] = []
    records = _records(text, delimiter, shown, problems)
    if not records:
        raise DataError(problems or [Problem(shown, 1, "header", "no header row")])
    header = [name.strip() for name in records[0][1]]
    problems += _header_problems(shown, header, columns)
    table = CsvTable(path, used, delimiter)
    for line, fields in records[1:]:
        if not any(value.strip() for value in fields):
            continue  # a blank line, or an empty row a spreadsheet kept: no value to import
        if len(fields) != len(header):
            message = (
                f"has {len(fields)} cells, the header has {len(header)}: a stray quote or delimiter? "
                "(nothing was imported)"
            )
            problems.append(Problem(shown, line, "row", message))
            continue
        cells = [value.replace("\r\n", "\n").replace("\r", "\n") for value in fields]
        table.rows.append(CsvRow(line, dict(zip(header, cells, strict=True))))
    if problems:
        raise DataError(problems)
    return table
