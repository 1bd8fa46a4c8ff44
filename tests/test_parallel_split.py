"""The streaming split in worker processes gives the serial path's problems and output bytes exactly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from regllm_lf.core.jsonio import read_records
from regllm_lf.prepare import parallel
from regllm_lf.prepare.domain import DomainRules
from regllm_lf.prepare.stream import split_sources_streaming
from regllm_lf.prepare.validate import validate_files
from regllm_lf.tasks.registry import task_named

ROWS = 600


def _rows(count: int, start: int = 0) -> list[dict]:
    """Regulation rows with new ids and a numbered case (citations resolve; no text repeats)."""
    seed = [record.data for record in read_records(task_named("regulation").source, [])]
    rows = []
    for number in range(start, start + count):
        row = json.loads(json.dumps(seed[number % len(seed)]))
        row["metadata"]["id"] = f"par-{number:05d}"
        for message in row["messages"]:
            if message["role"] != "system":
                message["content"] += f" (caso {number})"
        rows.append(row)
    return rows


def _lines(rows: list[dict]) -> list[str]:
    return [json.dumps(row, ensure_ascii=False) for row in rows]


def _run(paths: list[Path], out: Path, monkeypatch: pytest.MonkeyPatch, workers: bool) -> tuple:
    """(problems, counts, {file: bytes}) of one run, in worker processes or not."""
    calls = []
    real = parallel.prepared_rows

    def spy(*arguments):  # noqa: ANN002, ANN202 - records that the worker path ran
        calls.append(True)
        return real(*arguments)

    with monkeypatch.context() as patch:
        patch.setattr(parallel, "PARALLEL_MIN_BYTES", 0 if workers else 1 << 60)
        patch.setattr(parallel, "CHUNK_BYTES", 20_000)  # about 16 rows per chunk: many chunk boundaries
        patch.setattr(parallel, "workers", lambda: 2)  # even on a one-CPU machine
        patch.setattr(parallel, "prepared_rows", spy)
        problems, counts = split_sources_streaming(paths, lambda split: out / f"{split}.jsonl", DomainRules())
    assert bool(calls) == workers
    written = {path.name: path.read_bytes() for path in sorted(out.iterdir())} if out.exists() else {}
    return [str(problem) for problem in problems], counts, written


def test_workers_write_the_serial_bytes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = tmp_path / "rows.jsonl"
    # A BOM, CRLF line ends and blank lines: line numbers must still match across chunks.
    body = "\ufeff" + "\r\n".join(_lines(_rows(ROWS))) + "\r\n\n  \n"
    source.write_bytes(body.encode("utf-8"))
    serial = _run([source], tmp_path / "serial", monkeypatch, workers=False)
    workers = _run([source], tmp_path / "workers", monkeypatch, workers=True)
    assert serial[0] == []
    assert sum(serial[1].values()) == ROWS
    assert workers == serial
    assert sorted(serial[2]) == ["test.jsonl", "train.jsonl"]


def _bad_sources(tmp_path: Path) -> list[Path]:
    """Two files with bad rows of every kind at chunk boundaries and across files; the first given twice."""
    lines = _lines(_rows(ROWS))
    bad = {
        3: "{not json",
        40: lines[40].replace('"messages"', '"mensajes"'),  # schema: unknown field, missing messages
        77: lines[77].replace('"topic": "', '"topic": NaN, "x": "'),  # NaN
        150: lines[150].replace(" (caso 150)", " [CRR, art. 9999] (caso 150)"),  # citation not in the index
        151: lines[151].replace(" (caso 151)", " \\u0007 (caso 151)"),  # control character
        200: lines[200].replace('"topic": "', '"topic": "\\udc80', 1),  # lone surrogate in metadata
        333: lines[10],  # duplicate id (and texts) of line 11, many chunks later
        599: lines[599].replace('"role": "assistant"', '"role": "user"'),  # role order, last line
    }
    for index, text in bad.items():
        lines[index] = text
    first = tmp_path / "first.jsonl"
    first.write_text("\n".join(lines[:300]) + "\n\n", encoding="utf-8")
    second = tmp_path / "second.jsonl"  # ids are unique across files too
    second.write_text("\n".join(lines[300:] + _lines(_rows(1, start=7))) + "\n", encoding="utf-8")
    return [first, second, first]


def test_workers_report_the_serial_problems(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # problems name the files relative to here
    sources = _bad_sources(tmp_path)
    serial = _run(sources, tmp_path / "serial", monkeypatch, workers=False)
    workers = _run(sources, tmp_path / "workers", monkeypatch, workers=True)
    assert workers == serial
    assert serial[2] == {}  # nothing written
    where = {problem.split(": ")[0] for problem in serial[0]}
    assert {"first.jsonl:4", "first.jsonl:41", "first.jsonl:78", "first.jsonl:151", "first.jsonl:152"} <= where
    assert "first.jsonl:201: metadata.topic: lone surrogate at position 0 (not valid UTF-8)" in serial[0]
    assert {"second.jsonl:34", "second.jsonl:300", "second.jsonl:301"} <= where
    assert any("duplicate id 'par-00010' (first at first.jsonl:11)" in problem for problem in serial[0])
    assert any("duplicate id 'par-00007' (first at first.jsonl:8)" in problem for problem in serial[0])
    # The same file given twice: every id of its second reading repeats, at the lines of the first.
    assert "first.jsonl:300: metadata.id: duplicate id 'par-00299' (first at first.jsonl:300)" in serial[0]


def test_small_inputs_stay_serial(tmp_path: Path) -> None:
    source = tmp_path / "rows.jsonl"
    source.write_text("\n".join(_lines(_rows(20))) + "\n", encoding="utf-8")
    assert not parallel.worth_it([source])
    assert not parallel.worth_it([tmp_path / "rows.json"])


def test_regllm_workers_chooses_the_worker_count(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = tmp_path / "rows.jsonl"
    source.write_text("\n".join(_lines(_rows(20))) + "\n", encoding="utf-8")
    monkeypatch.setattr(parallel, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setenv("REGLLM_WORKERS", "1")
    assert parallel.workers() == 1
    assert not parallel.worth_it([source])  # one process: no workers
    monkeypatch.setenv("REGLLM_WORKERS", "3")
    assert parallel.workers() == 3
    assert parallel.worth_it([source])


def test_validate_with_workers_reports_the_serial_problems(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    sources = _bad_sources(tmp_path)
    monkeypatch.setattr(parallel, "CHUNK_BYTES", 20_000)
    monkeypatch.setattr(parallel, "workers", lambda: 2)
    monkeypatch.setattr(parallel, "PARALLEL_MIN_BYTES", 1 << 60)
    serial = validate_files(sources)
    monkeypatch.setattr(parallel, "PARALLEL_MIN_BYTES", 0)
    spied = []
    real = parallel.prepared_rows
    monkeypatch.setattr(parallel, "prepared_rows", lambda *a, **k: spied.append(k) or real(*a, **k))
    workers = validate_files(sources)
    assert spied == [{"test_share": None}]
    assert [str(p) for p in workers[0]] == [str(p) for p in serial[0]] and workers[1] == serial[1]
    # 901 rows read; the unparsable line, the NaN and the lone surrogate (twice in first.jsonl) are not rows
    assert len(serial[0]) > 300 and serial[1] == 901 - 6
    assert "first.jsonl:201: metadata.topic: lone surrogate at position 0 (not valid UTF-8)" in map(str, serial[0])
