"""Writing files safely: atomically (a temporary file beside the target, then a rename), checked
before a batch of writes starts, and without leaving the temporary files of a killed writer behind."""

from __future__ import annotations

import glob
import os
import re
import tempfile
from pathlib import Path

from regllm_lf.core.problems import Problem, display_path


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True


def remove_orphans(path: Path) -> list[Path]:
    """Delete temporary files that a killed writer of ``path`` left beside it (its process is gone)."""
    pattern = re.compile(rf"\.{re.escape(path.name)}\.(\d+)\.[^.]+\.tmp")
    removed = []
    try:
        candidates = list(path.parent.glob(f".{glob.escape(path.name)}.*.tmp"))
    except OSError:
        return removed
    for candidate in candidates:
        match = pattern.fullmatch(candidate.name)
        if match and int(match.group(1)) != os.getpid() and not _process_alive(int(match.group(1))):
            candidate.unlink(missing_ok=True)
            removed.append(candidate)
    return removed


def write_atomic(path: Path, content: str | bytes) -> None:
    """Write via a temporary file in the same folder and rename: readers never see half a file.

    The temporary file's name carries our process id, so a later write removes what a killed writer left.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_orphans(path)
    data = content.encode("utf-8") if isinstance(content, str) else content
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp", dir=path.parent)
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


def unwritable(paths: list[Path]) -> list[Problem]:
    """Why some of ``paths`` cannot be written (checked before the first write of a batch)."""
    problems = []
    for path in paths:
        shown = display_path(path)
        folder = next((parent for parent in path.parents if parent.exists()), None)
        if path.is_dir():
            problems.append(Problem(shown, 0, "file", "is a directory, expected a file"))
        elif folder is not None and not folder.is_dir():
            problems.append(Problem(shown, 0, "file", f"{display_path(folder)} is a file, expected a directory"))
        elif path.exists() and not path.stat().st_mode & 0o222:
            problems.append(Problem(shown, 0, "file", "is read-only"))
        elif folder is not None and (not folder.stat().st_mode & 0o222 or not os.access(folder, os.W_OK)):
            problems.append(Problem(shown, 0, "file", f"its folder {display_path(folder)} is read-only"))
    return problems


def write_if_changed(path: Path, content: str) -> bool:
    """Write ``content`` atomically unless the file already holds exactly it; True when written."""
    remove_orphans(path)
    if path.exists() and path.read_bytes() == content.encode("utf-8"):
        return False
    write_atomic(path, content)
    return True
