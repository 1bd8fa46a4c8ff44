"""The streaming split's per-row work (parse, schema, roles, domain rules, split, JSON text, digests) in
worker processes, for large JSON Lines sources.

Each worker reads its own byte range of a file (whole lines, split at newlines by the parent), so the
parent never holds the input: it checks each file's encoding first (as ``iter_records`` does), then takes
the chunks' results back in file order and keeps what needs every row — ids seen, the writing, the
train/test digests. Problems and output are those of the serial path (tests/test_parallel_split.py):
worker line numbers are relative to the chunk and shifted by the lines of the chunks before it.

``validate`` of large files uses the same workers, without preparing the rows for writing.
Small inputs (the repo's own data) stay serial: starting workers costs more than it saves.
Workers are forked from the parent (its imports and whatever it already loaded); each loads the
catalogues its rows need once, as the serial path does. Where fork is missing, everything is serial.
``$REGLLM_WORKERS`` sets the number of workers (1: none). The gain needs idle CPUs: on a machine already
busy with other work the workers only share the same cores.
"""

from __future__ import annotations

import codecs
import multiprocessing
import os
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from regllm_lf.core.jsonio import _check_readable, _parse_line
from regllm_lf.core.problems import Problem, display_path
from regllm_lf.prepare.rows import row_id
from regllm_lf.prepare.validate import StreamValidator, expand_paths

# Below this many bytes in all (about 28,000 rows of 1.2 kB) one process does it in about 2 s: workers
# would save under a second and cost each their own memory.
PARALLEL_MIN_BYTES = 32 << 20
# Bytes per chunk (about 3,500 rows): large enough to amortise the hand-over, small enough to keep
# every worker busy and memory flat.
CHUNK_BYTES = 4 << 20
WORKERS_VARIABLE = "REGLLM_WORKERS"


def workers() -> int:
    """Worker processes to use: ``$REGLLM_WORKERS`` (1: one process), else the CPUs this process may
    run on, at most 8."""
    chosen = os.environ.get(WORKERS_VARIABLE, "")
    if chosen.isdigit() and int(chosen) > 0:
        return int(chosen)
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    return min(cpus, 8)


def worth_it(paths: list[Path]) -> bool:
    """Whether ``paths`` are JSON Lines files large enough to split among workers."""
    if workers() < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return False
    if not all(path.suffix == ".jsonl" and path.is_file() for path in paths):
        return False
    return sum(path.stat().st_size for path in paths) >= PARALLEL_MIN_BYTES


@dataclass(frozen=True)
class _Chunk:
    file: int  # position of the file among the sources (the same file may be given twice)
    path: str
    shown: str
    start: int
    end: int
    test_share: float | None  # None: check only (``validate``), nothing to prepare for writing


@dataclass(frozen=True)
class _Result:
    lines: int  # lines in the chunk, blank ones included
    problems: list[Problem]  # line numbers relative to the chunk
    rows: list[tuple[int, str | None, Any]]  # (relative line, id, prepared row or None when it has problems)
    catalogue_problems: list[Problem]


# The parent's validator (its domain rules and their loaded catalogues), inherited by forked workers.
_validator: StreamValidator | None = None


def _check_chunk(chunk: _Chunk) -> _Result:
    from regllm_lf.prepare.stream import prepared_row

    assert _validator is not None
    with open(chunk.path, "rb") as stream:
        stream.seek(chunk.start)
        data = stream.read(chunk.end - chunk.start)
    raws = data.split(b"\n")
    if data.endswith(b"\n"):
        raws.pop()
    problems: list[Problem] = []
    rows: list[tuple[int, str | None, Any]] = []
    for number, raw in enumerate(raws, start=1):
        if number == 1 and chunk.start == 0 and raw.startswith(codecs.BOM_UTF8):
            raw = raw[len(codecs.BOM_UTF8) :]
        line = raw.decode("utf-8")  # the file's encoding was checked whole before any chunk was handed out
        if not line.strip():
            continue
        record = _parse_line(line, chunk.shown, number, problems)
        if record is None:
            continue
        found = _validator.row_check(record)
        problems += found
        prepare = not found and chunk.test_share is not None
        rows.append((number, row_id(record), prepared_row(record.data, chunk.test_share) if prepare else None))
    catalogue = _validator.rules.catalogue_problems if _validator.rules is not None else []
    return _Result(len(raws), problems, rows, list(catalogue))


def _chunks(file: int, path: Path, shown: str, test_share: float | None) -> list[_Chunk]:
    """``path`` cut into byte ranges of about ``CHUNK_BYTES`` that end after a newline."""
    size = path.stat().st_size
    chunks, start = [], 0
    with path.open("rb") as stream:
        while start < size:
            end = min(start + CHUNK_BYTES, size)
            if end < size:
                stream.seek(end - 1)
                end += len(stream.readline()) - 1  # up to and including the next newline
            chunks.append(_Chunk(file, str(path), shown, start, end, test_share))
            start = end
    return chunks


def _in_order(pool: Any, chunks: list[_Chunk], window: int) -> Iterator[_Result]:
    """The chunks' results in order, at most ``window`` handed out at a time: memory stays flat even
    when the workers run ahead of the writer (``imap`` would queue every result)."""
    pending: deque = deque()
    for chunk in chunks:
        pending.append(pool.apply_async(_check_chunk, (chunk,)))
        if len(pending) >= window:
            yield pending.popleft().get()
    while pending:
        yield pending.popleft().get()


def prepared_rows(
    paths: list[Path], problems: list[Problem], validator: StreamValidator, test_share: float | None
) -> Iterator[tuple[str, str, bytes | None, list[bytes] | None]]:
    """``stream._prepared_rows`` with the per-row work done by worker processes, rows in file order.
    With ``test_share`` None the rows are only checked (``validate``) and none is yielded."""
    global _validator
    chunks: list[_Chunk] = []
    for file, path in enumerate(expand_paths(paths, problems)):
        shown = display_path(path)
        if _check_readable(path, shown, problems):
            chunks += _chunks(file, path, shown, test_share)
    _validator = validator  # each worker loads the catalogues its rows need, once, as the serial path does
    size = min(workers(), max(len(chunks), 1))
    pool = multiprocessing.get_context("fork").Pool(size)
    try:
        offset, current = 0, None
        for chunk, result in zip(chunks, _in_order(pool, chunks, 2 * size), strict=True):
            if chunk.file != current:
                offset, current = 0, chunk.file
            problems += [replace(problem, line=problem.line + offset) for problem in result.problems]
            if validator.rules is not None:
                validator.rules.catalogue_problems += result.catalogue_problems
            for line, identifier, prepared in result.rows:
                validator.rows += 1
                unique = validator.note_id(identifier, chunk.shown, line + offset)
                if unique and prepared is not None:
                    yield prepared
            offset += result.lines
        pool.close()
    finally:
        pool.terminate()
        pool.join()
        _validator = None
