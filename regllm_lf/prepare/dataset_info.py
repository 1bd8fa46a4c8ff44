"""Read, merge and atomically write LLaMA-Factory's ``dataset_info.json``.

Entries that are not ours stay byte-for-byte as they were: instead of re-serialising the whole file we
splice our entries into the original text (replacing the value of an entry we own, or appending a new
one before the closing brace). Running twice changes nothing. A file lock serialises concurrent
registrations; the write itself is atomic (temporary file + rename).
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from regllm_lf.core.jsonio import BOM, write_atomic

ENTRY_PREFIX = "regllm_"
INFO_FILE = "dataset_info.json"
SHAREGPT_TAGS = {
    "role_tag": "role",
    "content_tag": "content",
    "user_tag": "user",
    "assistant_tag": "assistant",
    "system_tag": "system",
}


class RegistryError(Exception):
    """The existing dataset_info.json cannot be merged safely; it was left untouched."""


def sharegpt_entry(file_name: str, ranking: bool = False) -> dict[str, Any]:
    """An entry for OpenAI-style ``messages`` rows in LLaMA-Factory's sharegpt formatting.

    Not ``"formatting": "openai"``: in 0.9.5 that appends "detailed thinking off" to system prompts.
    """
    entry: dict[str, Any] = {"file_name": file_name, "formatting": "sharegpt"}
    if ranking:
        entry["ranking"] = True
        entry["columns"] = {"messages": "messages", "chosen": "chosen", "rejected": "rejected"}
    else:
        entry["columns"] = {"messages": "messages"}
    entry["tags"] = dict(SHAREGPT_TAGS)
    return entry


def file_name_for(data_file: Path, dataset_dir: Path, repo_root: Path | None = None) -> str:
    """``file_name`` as LLaMA-Factory resolves it: ``os.path.join(dataset_dir, file_name)``.

    Relative when both live in this repository (the committed files stay portable), absolute otherwise
    (e.g. registering into a LLaMA-Factory checkout elsewhere).
    """
    from regllm_lf import project

    root = (repo_root or project.root()).resolve()
    data_file, dataset_dir = data_file.resolve(), dataset_dir.resolve()
    if data_file.is_relative_to(root) and dataset_dir.is_relative_to(root):
        return Path(os.path.relpath(data_file, dataset_dir)).as_posix()
    return str(data_file)


@dataclass(frozen=True)
class _Member:
    key: str
    value_start: int
    value_end: int


def _top_level_members(text: str) -> tuple[list[_Member], int]:
    """Members of the top-level object with their value spans, and the offset of its closing brace."""
    decoder = json.JSONDecoder()
    whitespace = " \t\r\n"

    def skip(position: int) -> int:
        while position < len(text) and text[position] in whitespace:
            position += 1
        return position

    position = skip(0)
    position += 1  # the opening brace, already checked by json.loads
    members: list[_Member] = []
    while True:
        position = skip(position)
        if text[position] == "}":
            return members, position
        if text[position] == ",":
            position = skip(position + 1)
        key, position = decoder.raw_decode(text, position)
        position = skip(position) + 1  # the colon
        value_start = skip(position)
        _, value_end = decoder.raw_decode(text, value_start)
        members.append(_Member(key, value_start, value_end))
        position = value_end


def _render_value(value: Any, indent: str = "  ") -> str:
    """A value rendered like LLaMA-Factory's own file: 2-space indent, nested one level."""
    return json.dumps(value, ensure_ascii=False, indent=2).replace("\n", "\n" + indent)


def merge_entries(text: str | None, entries: dict[str, dict[str, Any]]) -> str:
    """The new file text: ``entries`` upserted, everything else unchanged byte for byte."""
    if text is None or not text.strip():
        body = ",\n".join(
            f"  {json.dumps(key, ensure_ascii=False)}: {_render_value(value)}" for key, value in entries.items()
        )
        return "{\n" + body + "\n}\n"
    members, closing = _top_level_members(text)
    last_span = {member.key: member for member in members}
    replacements = []
    appended = []
    for key, value in entries.items():
        rendered = _render_value(value)
        if key in last_span:
            member = last_span[key]
            replacements.append((member.value_start, member.value_end, rendered))
        else:
            appended.append(f"{json.dumps(key, ensure_ascii=False)}: {rendered}")
    if appended:
        if members:
            insertion = members[-1].value_end
            addition = "".join(f",\n  {item}" for item in appended)
        else:
            insertion = closing
            addition = "\n" + ",\n".join(f"  {item}" for item in appended) + "\n"
        replacements.append((insertion, insertion, addition))
    for start, end, replacement in sorted(replacements, reverse=True):
        text = text[:start] + replacement + text[end:]
    return text


def _parse_existing(path: Path, raw: bytes) -> str:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise RegistryError(f"{path}: not UTF-8 (byte {error.start}); left untouched") from error
    if text.startswith(BOM):
        text = text[1:]
    if not text.strip():
        return ""
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError as error:
        raise RegistryError(
            f"{path}:{error.lineno}: json: {error.msg} (column {error.colno}); "
            "fix it first, the file was left untouched"
        ) from error
    if not isinstance(parsed, dict):
        raise RegistryError(f"{path}:1: json: expected an object of dataset entries; the file was left untouched")
    for name, entry in parsed.items():
        if not isinstance(entry, dict):
            raise RegistryError(f"{path}: {name}: expected an object, found {type(entry).__name__}; left untouched")
    return text


@contextmanager
def _locked(dataset_dir: Path) -> Iterator[None]:
    lock_path = dataset_dir / f".{INFO_FILE}.lock"
    with open(lock_path, "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def register_entries(dataset_dir: Path, entries: dict[str, dict[str, Any]]) -> Path:
    """Upsert ``entries`` into ``dataset_dir/dataset_info.json``; returns the file's path."""
    for name in entries:
        if not name.startswith(ENTRY_PREFIX):
            raise ValueError(f"entry {name!r}: our entry names start with {ENTRY_PREFIX!r}")
    dataset_dir.mkdir(parents=True, exist_ok=True)
    path = dataset_dir / INFO_FILE
    with _locked(dataset_dir):
        existing = _parse_existing(path, path.read_bytes()) if path.exists() else None
        new_text = merge_entries(existing, entries)
        if existing is None or new_text != existing:
            write_atomic(path, new_text)
    return path
