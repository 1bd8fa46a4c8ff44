"""Read JSON and JSON Lines files keeping each record's line number, and write files atomically.

Line numbers come from our own parsing (``json.JSONDecoder.raw_decode`` over the text), so an error
always points at the right line of a ``.json`` array as well as of a ``.jsonl`` file.
"""

from __future__ import annotations

import codecs
import json
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from regllm_lf.core.problems import Problem, display_path

BOM = "\ufeff"
_DECODER = json.JSONDecoder()
_WHITESPACE = " \t\r\n"


@dataclass(frozen=True)
class Record:
    path: str
    line: int
    data: Any


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


def parse_jsonl(text: str, shown: str, problems: list[Problem]) -> list[Record]:
    records = []
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            records.append(Record(shown, number, json.loads(line)))
        except json.JSONDecodeError as error:
            problems.append(Problem(shown, number, "json", f"{error.msg} (column {error.colno})"))
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
            value, end = _DECODER.raw_decode(text, position)
        except json.JSONDecodeError as error:
            problems.append(Problem(shown, error.lineno, "json", f"{error.msg} (column {error.colno})"))
            return records
        records.append(Record(shown, _line_of(text, position), value))
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
            try:
                yield Record(shown, number, json.loads(line))
            except json.JSONDecodeError as error:
                problems.append(Problem(shown, number, "json", f"{error.msg} (column {error.colno})"))


def write_atomic(path: Path, content: str | bytes) -> None:
    """Write via a temporary file in the same folder and rename: readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = content.encode("utf-8") if isinstance(content, str) else content
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        if path.exists():
            os.chmod(temporary, path.stat().st_mode & 0o777)
        else:
            os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def dump_jsonl(rows: list[dict]) -> str:
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)


def dump_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2) + "\n"


def write_if_changed(path: Path, content: str) -> bool:
    """Write ``content`` atomically unless the file already holds exactly it; True when written."""
    if path.exists() and path.read_bytes() == content.encode("utf-8"):
        return False
    write_atomic(path, content)
    return True
