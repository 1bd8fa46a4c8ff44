"""Validate and split large sources in one streaming pass: memory holds one row, the ids seen and a
hash of each train text, never the rows. Large JSON Lines sources have their per-row work done by
worker processes (``prepare.parallel``), with the same problems and output.

Each valid row is written, as ``dump_rows`` writes it, to a hidden temporary file beside its split
file; the split files appear (atomic rename) only when every row of every source validated and no test
row repeats a train text — otherwise the temporary files are removed and nothing is written.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import IO, Any

from regllm_lf.core.problems import Problem, display_path
from regllm_lf.core.row_metadata import encode_row
from regllm_lf.prepare import parallel
from regllm_lf.prepare.domain import DomainRules
from regllm_lf.prepare.split import TEST_SHARE, split_of
from regllm_lf.prepare.validate import StreamValidator, stream_files
from regllm_lf.tasks.registry import SPLITS

# (id, split, JSON Lines line as UTF-8, text digests); line and digests are None once nothing will be written.
Prepared = tuple[str, str, bytes | None, list[bytes] | None]


def _text_hashes(row: dict[str, Any]) -> list[bytes]:
    # The texts ``split.leaked_rows`` compares (spaces collapsed, lower case), as 16-byte digests.
    return [
        hashlib.blake2b(_collapsed(m["content"]).lower().encode(), digest_size=16).digest()
        for m in row["messages"]
        if m["role"] != "system"
    ]


def _collapsed(text: str) -> str:
    """``" ".join(text.split())``. A printable text has no whitespace but the ASCII space (every other
    character ``str.split`` splits on is a separator or a control), so without a double, leading or
    trailing space it is already collapsed: most texts skip building a list of their words."""
    if text.isprintable() and "  " not in text and text[:1] != " " and text[-1:] != " ":
        return text
    return " ".join(text.split())


_dumps = json.JSONEncoder(ensure_ascii=False).encode


def prepared_row(row: dict[str, Any], test_share: float) -> Prepared:
    """What the writer needs of a valid row: its id, split, JSON Lines line (encoded where it is made: a
    worker process, if any) and text digests."""
    identifier = row["metadata"]["id"]
    return identifier, split_of(identifier, test_share), (_dumps(encode_row(row)) + "\n").encode(), _text_hashes(row)


def _prepared_rows(
    paths: list[Path], problems: list[Problem], validator: StreamValidator, test_share: float
) -> Iterator[Prepared]:
    """The valid rows, one process; once a problem is known, rows are only counted (nothing will be written)."""
    for record in validator.checked(stream_files(paths, problems)):
        if validator.problems or problems:
            identifier = record.data["metadata"]["id"]
            yield identifier, split_of(identifier, test_share), None, None
        else:
            yield prepared_row(record.data, test_share)


def split_sources_streaming(
    paths: list[Path],
    destination: Callable[[str], Path],
    rules: DomainRules | None = None,
    test_share: float = TEST_SHARE,
) -> tuple[list[Problem], dict[str, int]]:
    """(problems, rows per split) after validating ``paths`` and writing each split to ``destination(split)``.

    Problems are ``validate``'s (every one, ``file:line: field: message``) plus train/test text leaks.
    """
    problems: list[Problem] = []
    validator = StreamValidator(rules)
    counts = dict.fromkeys(SPLITS, 0)
    train_texts: dict[bytes, str] = {}
    test_texts: list[tuple[bytes, str]] = []
    temporaries: dict[str, str] = {}
    with ExitStack() as stack:
        streams: dict[str, IO[bytes]] = {}
        for split in SPLITS:
            target = destination(split)
            target.parent.mkdir(parents=True, exist_ok=True)
            handle, temporaries[split] = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
            streams[split] = stack.enter_context(open(handle, "wb"))
        if parallel.worth_it(paths):
            rows = parallel.prepared_rows(paths, problems, validator, test_share)
        else:
            rows = _prepared_rows(paths, problems, validator, test_share)
        try:
            for identifier, split, text, hashes in rows:
                counts[split] += 1
                if text is None or validator.problems or problems:
                    continue  # nothing will be written
                streams[split].write(text)
                if split == "train":
                    for digest in hashes:
                        train_texts.setdefault(digest, identifier)
                else:
                    test_texts.extend((digest, identifier) for digest in hashes)
            for stream in streams.values():
                stream.flush()
                os.fsync(stream.fileno())
        except BaseException:
            _remove(temporaries.values())
            raise
        finally:
            rows.close()  # the workers stop here, whatever happened
    problems = sorted(set(problems + validator.finish()))
    for test_id, digest in ((identifier, digest) for digest, identifier in test_texts):
        if digest in train_texts:
            shown = display_path(paths[0]) if len(paths) == 1 else "(sources)"
            problems.append(
                Problem(shown, 0, "metadata.id", f"test row {test_id} repeats text of train row {train_texts[digest]}")
            )
    if problems:
        _remove(temporaries.values())
        return problems, counts
    for split, temporary in temporaries.items():
        target = destination(split)
        os.chmod(temporary, target.stat().st_mode & 0o777 if target.exists() else 0o644)
        os.replace(temporary, target)
    return problems, counts


def _remove(paths: Any) -> None:
    for path in paths:
        if os.path.exists(path):
            os.unlink(path)
