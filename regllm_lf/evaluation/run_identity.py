"""One eval output folder holds one run: its identity is recorded, checked on resume, and a lock keeps a
second ``regllm-lf eval`` out while one is writing.

The identity is what the answers depend on: the model name, the endpoint, the sampling parameters, the
split and the SHA-256 of each dataset's question file. Resuming into a folder whose identity differs
would report one model's answers under another's name, so it is refused (``--restart`` discards the
old answers instead). ``run.json`` also lists the question ids asked and those that failed, for the
report's counts.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from regllm_lf.core.jsonio import dump_json, loads_strict, write_atomic
from regllm_lf.core.problems import DataError, Problem, display_path

RUN_FILE = "run.json"
LOCK_FILE = ".eval.lock"
IDENTITY_KEYS = ("model", "base_url", "split", "sampling")
REPORT_FILES = ("report.md", "report.html", "report.png", "summary.json")


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def run_identity(
    model: str, base_url: str, split: str, sampling: dict[str, Any], files: dict[str, Path]
) -> dict[str, Any]:
    return {
        "model": model,
        "base_url": base_url.rstrip("/"),
        "split": split,
        "sampling": sampling,
        "datasets": {name: file_sha256(path) for name, path in sorted(files.items())},
    }


def differences(recorded: dict[str, Any], current: dict[str, Any]) -> list[tuple[str, str]]:
    """(field, what differs) between a recorded identity and the current one; datasets in both only."""
    found = [
        (key, f"this folder holds answers for {recorded.get(key)!r}, this run asks for {current[key]!r}")
        for key in IDENTITY_KEYS
        if recorded.get(key) != current[key]
    ]
    recorded_sets = recorded.get("datasets") or {}
    for name, digest in current["datasets"].items():
        if name in recorded_sets and recorded_sets[name] != digest:
            why = f"the questions changed since these answers (sha256 {recorded_sets[name][:12]} → {digest[:12]})"
            found.append((f"datasets.{name}", why))
    return found


def read_run(out_dir: Path) -> dict[str, Any] | None:
    path = out_dir / RUN_FILE
    if not path.exists():
        return None
    try:
        recorded = loads_strict(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as error:
        raise DataError([Problem(display_path(path), 1, "json", f"{error}; fix or remove it, or --restart")]) from None
    if not isinstance(recorded, dict):
        raise DataError([Problem(display_path(path), 1, "json", "expected an object; remove it or use --restart")])
    return recorded


def start_run(out_dir: Path, identity: dict[str, Any], question_ids: list[str], restart: bool) -> None:
    """Check that ``out_dir`` may receive this run (DataError otherwise), then record it in run.json."""
    from regllm_lf.evaluation.runner import RESULTS_FILE

    results = out_dir / RESULTS_FILE
    if restart:
        for name in (RESULTS_FILE, *REPORT_FILES):
            (out_dir / name).unlink(missing_ok=True)
    recorded = read_run(out_dir)
    has_answers = results.exists() and results.stat().st_size > 0
    if has_answers and recorded is None:
        message = "answers without run.json: which model gave them is unknown; use another --out, or --restart"
        raise DataError([Problem(display_path(results), 0, "run", message)])
    if has_answers and recorded is not None:
        found = differences(recorded, identity)
        if found:
            hint = " (use another --out, or --restart to discard the answers there)"
            shown = display_path(out_dir / RUN_FILE)
            raise DataError([Problem(shown, 1, field, message + hint) for field, message in found])
    write_atomic(out_dir / RUN_FILE, dump_json({**identity, "questions": len(question_ids), "asked": question_ids}))


def finish_run(out_dir: Path, failed_ids: list[str]) -> None:
    recorded = read_run(out_dir) or {}
    write_atomic(out_dir / RUN_FILE, dump_json({**recorded, "failed": sorted(failed_ids)}))


@contextmanager
def locked_run_dir(out_dir: Path) -> Iterator[None]:
    """Exclusive use of ``out_dir`` for this process; DataError at once if another eval holds it."""
    out_dir.mkdir(parents=True, exist_ok=True)
    with open(out_dir / LOCK_FILE, "a+") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.seek(0)
            holder = lock.read().strip() or "?"
            message = f"another eval (pid {holder}) is writing into this folder: wait for it, or choose another --out"
            raise DataError([Problem(display_path(out_dir), 0, "--out", message)]) from None
        lock.seek(0)
        lock.truncate()
        lock.write(str(os.getpid()))
        lock.flush()
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
