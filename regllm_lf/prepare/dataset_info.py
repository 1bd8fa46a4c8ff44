"""Read, merge and atomically write LLaMA-Factory's ``dataset_info.json``.

Entries that are not ours stay byte-for-byte as they were: instead of re-serialising the whole file we
splice our entries into the original text (replacing the value of an entry we own, or appending a new
one before the closing brace). Running twice changes nothing. A file lock serialises concurrent
registrations; the write itself is atomic (temporary file + rename).

Before anything is written every check runs (``plan_registration``): the dataset dir is a writable
directory (a missing one is created only when its parent exists, or when asked); the file is not a
directory, not read-only, valid JSON without NaN. A symbolic link is followed and its target updated in
place. A UTF-8 BOM (which LLaMA-Factory refuses) is dropped whenever the file is registered into.
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

from regllm_lf.core.jsonio import (
    BOM,
    JSON_DECODER,
    Member,
    non_finite_fields,
    non_finite_message,
    object_members,
    write_atomic,
)
from regllm_lf.core.problems import field_path

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


def _top_level_members(text: str) -> tuple[list[Member], int]:
    """Members of the top-level object with their value spans, and the offset of its closing brace."""
    return object_members(text)


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
    """The file's text without a BOM; RegistryError (file left untouched) when it cannot be merged safely."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        raise RegistryError(f"{path}:{line}: encoding: not UTF-8 (byte {error.start}); left untouched") from error
    text = text.removeprefix(BOM)
    if not text.strip():
        return ""
    try:
        parsed = JSON_DECODER.decode(text)
    except json.JSONDecodeError as error:
        raise RegistryError(
            f"{path}:{error.lineno}: json: {error.msg} (column {error.colno}); "
            "fix it first, the file was left untouched"
        ) from error
    except RecursionError:
        raise RegistryError(f"{path}:1: json: nested too deeply; the file was left untouched") from None
    if not isinstance(parsed, dict):
        raise RegistryError(f"{path}:1: json: expected an object of dataset entries; the file was left untouched")
    for name, entry in parsed.items():
        if not isinstance(entry, dict):
            raise RegistryError(f"{path}:1: {name}: expected an object, found {type(entry).__name__}; left untouched")
    non_finite = non_finite_fields(parsed)
    if non_finite:
        field, what = non_finite[0]
        raise RegistryError(f"{path}:1: {field_path(field)}: {non_finite_message(what)}; the file was left untouched")
    return text


def is_read_only(path: Path) -> bool:
    """No write permission bit set: the owner marked it read-only (honoured even for root)."""
    return not path.stat().st_mode & 0o222 or not os.access(path, os.W_OK)


def check_dataset_dir(dataset_dir: Path, create: bool = False) -> None:
    """RegistryError unless ``dataset_dir`` is (or may become) a writable directory.

    A missing directory is created only when its parent exists or ``create`` is set: a typo in
    ``--dataset-dir`` must not silently create a whole new tree.
    """
    if dataset_dir.exists() and not dataset_dir.is_dir():
        raise RegistryError(f"{dataset_dir}:0: --dataset-dir: is a file, expected a directory")
    if not dataset_dir.exists():
        parent = dataset_dir.parent
        if not create and not parent.is_dir():
            raise RegistryError(
                f"{dataset_dir}:0: --dataset-dir: does not exist, nor does its parent {parent}: check the path, "
                "or pass --create to make it"
            )
        return
    if is_read_only(dataset_dir):
        raise RegistryError(f"{dataset_dir}:0: --dataset-dir: the directory is read-only; nothing was written")


@dataclass(frozen=True)
class Registration:
    """What registering ``entries`` into one dataset_info.json will do, computed without writing."""

    path: Path  # dataset_dir/dataset_info.json
    target: Path  # the file written: the path itself, or where its symbolic link points
    existing: str | None  # current text without BOM (None: no file yet)
    had_bom: bool
    new_text: str

    @property
    def needs_write(self) -> bool:
        return self.existing is None or self.had_bom or self.new_text != self.existing


def plan_registration(dataset_dir: Path, entries: dict[str, dict[str, Any]], create: bool = False) -> Registration:
    """Every check and the merged text, before anything is written; RegistryError says what is wrong."""
    for name in entries:
        if not name.startswith(ENTRY_PREFIX):
            raise ValueError(f"entry {name!r}: our entry names start with {ENTRY_PREFIX!r}")
    check_dataset_dir(dataset_dir, create)
    path = dataset_dir / INFO_FILE
    target = path
    if path.is_symlink():
        # Update the file the link points at (in its own folder), never replace the link by a copy.
        target = path.resolve()
        if not target.exists() and not target.parent.is_dir():
            why = f"a symbolic link to {target}, whose folder does not exist; left untouched"
            raise RegistryError(f"{path}:0: file: {why}")
    if target.is_dir():
        raise RegistryError(f"{path}:0: file: is a directory, expected a JSON file; left untouched")
    existing, had_bom = None, False
    if target.exists():
        if is_read_only(target):
            raise RegistryError(f"{path}:0: file: the file is read-only; left untouched (make it writable to register)")
        try:
            raw = target.read_bytes()
        except OSError as error:
            raise RegistryError(f"{path}:0: file: cannot be read: {error.strerror or error}; left untouched") from None
        existing, had_bom = _parse_existing(path, raw), raw.startswith(BOM.encode("utf-8"))
    if target != path and target.parent.exists() and is_read_only(target.parent):
        why = f"the folder of its link target, {target.parent}, is read-only; left untouched"
        raise RegistryError(f"{path}:0: file: {why}")
    return Registration(path, target, existing, had_bom, merge_entries(existing, entries))


@contextmanager
def _locked(folder: Path) -> Iterator[None]:
    lock_path = folder / f".{INFO_FILE}.lock"
    with open(lock_path, "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def register_entries(dataset_dir: Path, entries: dict[str, dict[str, Any]], create: bool = False) -> Path:
    """Upsert ``entries`` into ``dataset_dir/dataset_info.json`` (written without a BOM); returns its path."""
    plan = plan_registration(dataset_dir, entries, create)
    try:
        dataset_dir.mkdir(parents=True, exist_ok=True)
        with _locked(plan.target.parent):
            plan = plan_registration(dataset_dir, entries, create)  # again under the lock: another may have written
            if plan.needs_write:
                write_atomic(plan.target, plan.new_text)
    except OSError as error:
        where = error.filename or dataset_dir
        raise RegistryError(f"{where}:0: file: cannot write: {error.strerror or error}") from None
    return plan.path


def bom_warning(path: Path) -> str | None:
    """A warning when ``path`` starts with a UTF-8 BOM, which LLaMA-Factory's json.load refuses."""
    try:
        with open(path, "rb") as stream:
            has_bom = stream.read(3) == BOM.encode("utf-8")
    except OSError:
        return None
    if not has_bom:
        return None
    return (
        f'warning: {path}: starts with a UTF-8 BOM, which LLaMA-Factory refuses ("Unexpected UTF-8 BOM"); '
        f"`regllm-lf register --dataset-dir {path.parent}` rewrites it without"
    )
