"""Read JSON and JSON Lines files keeping each record's line number, strictly; render them for writing.

Line numbers come from our own parsing (``json.JSONDecoder.raw_decode`` over the text), so an error
always points at the right line of a ``.json`` array as well as of a ``.jsonl`` file. (Atomic writes are in
``core.files``.)

JSON is read strictly: Python's ``json`` accepts ``NaN``, ``Infinity`` and ``1e999`` (inf), which strict
JSON (and every other reader) refuses; here they are problems naming the field, and our writers refuse
to produce them (``allow_nan=False``).
"""

from __future__ import annotations

import codecs
import json
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from regllm_lf.core import row_metadata

# The writers live in core.files; they stay importable from here, where callers have always found them.
from regllm_lf.core.files import remove_orphans, unwritable, write_atomic, write_if_changed  # noqa: F401
from regllm_lf.core.problems import Problem, display_path, field_path

BOM = "\ufeff"
_WHITESPACE = " \t\r\n"
TOO_DEEP = "nested too deeply to be a row"


@dataclass(frozen=True)
class Record:
    path: str
    line: int
    data: Any


@dataclass(frozen=True)
class NonFinite:
    """Stands for a ``NaN`` / ``Infinity`` / ``-Infinity`` constant met while decoding."""

    name: str


JSON_DECODER = json.JSONDecoder(parse_constant=NonFinite)

# Rows are read with a decoder whose hooks note every NaN/Infinity constant and every float literal that
# overflows (1e999): only a row where one was met is walked for ``non_finite_fields`` (the walk was 15 %
# of a large validation). The list only grows (a few bytes per such value, which is rare), so another
# thread's note costs a needless walk, never a missed value.
_NON_FINITE_SEEN: list[None] = []


def _noted_constant(name: str) -> NonFinite:
    _NON_FINITE_SEEN.append(None)
    return NonFinite(name)


def _noted_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        _NON_FINITE_SEEN.append(None)
    return value


ROW_DECODER = json.JSONDecoder(parse_constant=_noted_constant, parse_float=_noted_float)


def non_finite_fields(value: Any, path: tuple = ()) -> list[tuple[tuple, str]]:
    """(field path, what) for every NaN or infinity inside ``value`` (JSON constants, YAML ``.nan``, 1e999)."""
    if isinstance(value, NonFinite):
        return [(path, value.name)]
    if isinstance(value, float) and not math.isfinite(value):
        return [(path, str(value))]
    if isinstance(value, dict):
        return [found for key, item in value.items() for found in non_finite_fields(item, (*path, key))]
    if isinstance(value, list):
        return [found for number, item in enumerate(value) for found in non_finite_fields(item, (*path, number))]
    return []


def non_finite_message(what: str) -> str:
    return f"{what} is not a finite number (NaN and Infinity are refused: strict JSON has neither)"


def loads_strict(text: str) -> Any:
    """``json.loads`` that refuses NaN, infinities and lone surrogates: ValueError naming the field."""
    try:
        notes = len(_NON_FINITE_SEEN)
        value = ROW_DECODER.decode(text)
    except RecursionError:
        raise ValueError(TOO_DEEP) from None
    found = non_finite_fields(value) if len(_NON_FINITE_SEEN) != notes else []
    if found:
        path, what = found[0]
        raise ValueError(f"{field_path(path)}: {non_finite_message(what)}")
    surrogates = lone_surrogate_fields(value) if may_hold_surrogates(text) else []
    if surrogates:
        path, at = surrogates[0]
        raise ValueError(f"{field_path(path)}: {lone_surrogate_message(at)}")
    return value


def lone_surrogate_fields(value: Any, path: tuple = ()) -> list[tuple[tuple, int]]:
    """(field path, position) of every string or key holding a lone surrogate: JSON's ``\\udXXX`` escapes
    decode to one, and no UTF-8 writer (nor the terminal) can write it back, so paths show it escaped."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as error:
            return [(path, error.start)]
        return []
    if isinstance(value, dict):
        found = []
        for key, item in value.items():
            shown = key.encode("utf-8", "backslashreplace").decode("utf-8")
            found += [((*path, shown), at) for _, at in lone_surrogate_fields(key)]
            found += lone_surrogate_fields(item, (*path, shown))
        return found
    if isinstance(value, list):
        return [found for number, item in enumerate(value) for found in lone_surrogate_fields(item, (*path, number))]
    return []


def lone_surrogate_message(position: int) -> str:
    return f"lone surrogate at position {position} (not valid UTF-8)"


# A surrogate can only come from an escape (the text itself is valid UTF-8): only such texts are walked.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def may_hold_surrogates(text: str) -> bool:
    return "\\u" in text and _SURROGATE_ESCAPE.search(text) is not None


def _checked_record(
    shown: str, line: int, value: Any, problems: list[Problem], walk_numbers: bool = True, walk_strings: bool = True
) -> Record | None:
    """The row as a Record (metadata decoded), or None after recording its NaN/infinity, lone surrogate or
    undecodable metadata. The walks can be skipped when the caller knows there is nothing to find."""
    found = non_finite_fields(value) if walk_numbers else []
    problems += [Problem(shown, line, field_path(path), non_finite_message(what)) for path, what in found]
    surrogates = lone_surrogate_fields(value) if walk_strings else []
    problems += [Problem(shown, line, field_path(path), lone_surrogate_message(at)) for path, at in surrogates]
    if found or surrogates:
        return None
    try:  # rows are read in memory's shape: metadata.details decoded (core.row_metadata)
        return Record(shown, line, row_metadata.decode_row(value))
    except row_metadata.MetadataError as error:
        problems.append(Problem(shown, line, error.field, error.message))
        return None


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def read_text(path: Path, problems: list[Problem]) -> str | None:
    """File text as str, or None after recording why it cannot be read.

    A UTF-8 BOM is accepted and dropped; CRLF line ends are accepted (JSON treats CR as whitespace).
    """
    shown = display_path(path)
    if path.is_dir():
        problems.append(Problem(shown, 0, "file", "is a directory, expected a .json or .jsonl file"))
        return None
    try:
        raw = path.read_bytes()
    except OSError as error:
        problems.append(Problem(shown, 0, "file", f"cannot be read: {error.strerror or error}"))
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        problems.append(
            Problem(shown, line, "encoding", f"invalid UTF-8 byte 0x{raw[error.start]:02x} at byte {error.start}")
        )
        return None
    if text.startswith(BOM):
        text = text[1:]
    if not text.strip():
        problems.append(Problem(shown, 1, "file", "is empty"))
        return None
    return text


def _parse_line(line: str, shown: str, number: int, problems: list[Problem]) -> Record | None:
    """One JSON Lines row, strictly (no NaN/Infinity, too-deep nesting reported); None after a problem."""
    try:
        notes = len(_NON_FINITE_SEEN)
        value = ROW_DECODER.decode(line)
    except json.JSONDecodeError as error:
        problems.append(Problem(shown, number, "json", f"{error.msg} (column {error.colno})"))
        return None
    except RecursionError:
        problems.append(Problem(shown, number, "json", TOO_DEEP))
        return None
    walk_numbers = len(_NON_FINITE_SEEN) != notes
    return _checked_record(shown, number, value, problems, walk_numbers, may_hold_surrogates(line))


def parse_jsonl(text: str, shown: str, problems: list[Problem]) -> list[Record]:
    records = []
    for number, line in enumerate(text.split("\n"), start=1):
        if line.strip():
            record = _parse_line(line, shown, number, problems)
            if record is not None:
                records.append(record)
    return records


def parse_json_array(text: str, shown: str, problems: list[Problem]) -> list[Record]:
    """Each element of a top-level JSON array, with the line where the element starts."""
    position = len(text) - len(text.lstrip(_WHITESPACE))
    if not text.startswith("[", position):
        problems.append(Problem(shown, _line_of(text, position), "json", "expected a JSON array of rows"))
        return []
    position += 1
    records: list[Record] = []
    expect_value = True
    while True:
        while position < len(text) and text[position] in _WHITESPACE:
            position += 1
        if position >= len(text):
            problems.append(Problem(shown, _line_of(text, position), "json", "unterminated array"))
            return records
        char = text[position]
        if char == "]" and (records == [] or not expect_value):
            trailing = text[position + 1 :].strip(_WHITESPACE)
            if trailing:
                problems.append(Problem(shown, _line_of(text, position + 1), "json", "extra data after the array"))
            return records
        if char == "," and not expect_value:
            position += 1
            expect_value = True
            continue
        if not expect_value:
            problems.append(Problem(shown, _line_of(text, position), "json", f"expected ',' or ']', found {char!r}"))
            return records
        try:
            value, end = JSON_DECODER.raw_decode(text, position)
        except json.JSONDecodeError as error:
            problems.append(Problem(shown, error.lineno, "json", f"{error.msg} (column {error.colno})"))
            return records
        except RecursionError:
            problems.append(Problem(shown, _line_of(text, position), "json", TOO_DEEP))
            return records
        record = _checked_record(shown, _line_of(text, position), value, problems)
        if record is not None:
            records.append(record)
        position = end
        expect_value = False


def read_records(path: Path, problems: list[Problem]) -> list[Record]:
    """Rows of a .jsonl (one per line) or .json (array) file; problems are appended, never raised."""
    text = read_text(path, problems)
    if text is None:
        return []
    shown = display_path(path)
    if path.suffix == ".jsonl":
        return parse_jsonl(text, shown, problems)
    return parse_json_array(text, shown, problems)


@dataclass(frozen=True)
class Member:
    """One ``"key": value`` of a JSON object, with the value's span in the text."""

    key: str
    value_start: int
    value_end: int


def object_members(text: str, start: int = 0) -> tuple[list[Member], int]:
    """Members of the (already validated) JSON object opening at or after ``start``, and its closing brace.

    Lets a writer replace one value and keep every other byte of a hand-formatted file.
    """

    def skip(position: int) -> int:
        while position < len(text) and text[position] in _WHITESPACE:
            position += 1
        return position

    position = skip(start) + 1  # the opening brace
    members: list[Member] = []
    while True:
        position = skip(position)
        if text[position] == "}":
            return members, position
        if text[position] == ",":
            position = skip(position + 1)
        key, position = JSON_DECODER.raw_decode(text, position)
        value_start = skip(skip(position) + 1)  # past the colon
        _, value_end = JSON_DECODER.raw_decode(text, value_start)
        members.append(Member(key, value_start, value_end))
        position = value_end


def _check_readable(path: Path, shown: str, problems: list[Problem]) -> bool:
    """``read_text``'s checks (folder, unreadable, invalid UTF-8, empty) in 1 MiB chunks, holding no text.

    A file that fails is handed to ``read_text`` (rare, and small files in practice) for the exact problem.
    """
    decoder = codecs.getincrementaldecoder("utf-8")()
    blank, first = True, True
    try:
        with path.open("rb") as stream:
            while chunk := stream.read(1 << 20):
                text = decoder.decode(chunk)
                if blank:
                    blank = not (text[1:] if first and text.startswith(BOM) else text).strip()
                first = False
            decoder.decode(b"", final=True)
    except (OSError, UnicodeDecodeError):
        return read_text(path, problems) is not None
    if blank:
        problems.append(Problem(shown, 1, "file", "is empty"))
        return False
    return True


def iter_records(path: Path, problems: list[Problem]) -> Iterator[Record]:
    """``read_records`` as a stream for .jsonl files: one row in memory at a time, same records and problems.

    Other files (a .json array) are read whole. Encoding and emptiness are checked in a first pass, so a
    file that ``read_records`` rejects yields no record here either.
    """
    if path.suffix != ".jsonl":
        yield from read_records(path, problems)
        return
    shown = display_path(path)
    if not _check_readable(path, shown, problems):
        return
    with path.open("rb") as stream:
        for number, raw in enumerate(stream, start=1):
            if number == 1 and raw.startswith(codecs.BOM_UTF8):
                raw = raw[len(codecs.BOM_UTF8) :]
            # The same text ``parse_jsonl`` gets from ``text.split("\n")`` (orjson was measured no faster).
            line = (raw[:-1] if raw.endswith(b"\n") else raw).decode("utf-8")
            if not line.strip():
                continue
            record = _parse_line(line, shown, number, problems)
            if record is not None:
                yield record


def dump_jsonl(rows: list[dict]) -> str:
    return "".join(json.dumps(row, ensure_ascii=False, allow_nan=False) + "\n" for row in rows)


def dump_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2, allow_nan=False) + "\n"
