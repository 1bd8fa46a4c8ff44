"""The streaming path (large sets) gives the same records, problems and split files as the in-memory one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from regllm_lf.core.jsonio import dump_jsonl, iter_records, read_records
from regllm_lf.core.row_metadata import dump_rows
from regllm_lf.prepare.domain import DomainRules
from regllm_lf.prepare.split import split_rows
from regllm_lf.prepare.stream import split_sources_streaming
from regllm_lf.prepare.validate import StreamValidator, validate_records
from regllm_lf.tasks.registry import all_tasks, task_named

GOOD = {"messages": [{"role": "user", "content": "¿PD?"}, {"role": "assistant", "content": "Probabilidad."}]}

# Each body is written as bytes: BOM, CRLF, Unicode-space lines, bad JSON, lone surrogates, bad UTF-8.
BODIES = {
    "plain": (json.dumps(GOOD) + "\n") * 3,
    "bom_crlf": "\ufeff" + json.dumps(GOOD) + "\r\n\r\n" + json.dumps(GOOD, ensure_ascii=False) + "\r\n",
    "unicode_blank": json.dumps(GOOD) + "\n\u00a0\u2028\n  \n" + json.dumps(GOOD),
    "bad_json": json.dumps(GOOD) + "\n{not json}\n[1, 2\n" + json.dumps(GOOD) + "\n",
    "surrogate": '{"messages": [{"role": "user", "content": "a\\ud800b"}]}\n{"x": NaN}\n'
    + '{"n": 123456789012345678901234567890}\n',
    "empty": " \n\n\t\n",
    "empty_bom": "\ufeff\n",
}


def _write(path: Path, body: str | bytes) -> Path:
    path.write_bytes(body.encode("utf-8") if isinstance(body, str) else body)
    return path


def _same_reading(path: Path) -> None:
    expected_problems: list = []
    expected = read_records(path, expected_problems)
    problems: list = []
    got = list(iter_records(path, problems))
    assert [(r.path, r.line) for r in got] == [(r.path, r.line) for r in expected]
    assert repr([r.data for r in got]) == repr([r.data for r in expected])
    assert problems == expected_problems


@pytest.mark.parametrize("name", sorted(BODIES))
def test_iter_records_reads_like_read_records(tmp_path: Path, name: str) -> None:
    _same_reading(_write(tmp_path / f"{name}.jsonl", BODIES[name]))


def test_iter_records_reports_bad_utf8_like_read_records(tmp_path: Path) -> None:
    body = (json.dumps(GOOD) + "\n").encode() * 2 + b'{"a": "\xff"}\n' + (json.dumps(GOOD) + "\n").encode() * 2
    path = _write(tmp_path / "bad.jsonl", body)
    _same_reading(path)
    problems: list = []
    assert list(iter_records(path, problems)) == []
    assert [problem.line for problem in problems] == [3]


def test_iter_records_reports_a_folder(tmp_path: Path) -> None:
    folder = tmp_path / "folder.jsonl"
    folder.mkdir()
    _same_reading(folder)


def test_stream_validator_matches_validate_records_on_the_shipped_rows() -> None:
    records = [record for task in all_tasks() if not task.generated for record in read_records(task.source, [])]
    first = records[0]
    broken = type(first)(first.path, 99999, {**first.data, "messages": first.data["messages"][:2]})
    records += [first, broken]  # a duplicate id and a row ending with the user's turn
    expected = sorted(set(validate_records(records, DomainRules())))
    validator = StreamValidator(DomainRules())
    passed = list(validator.checked(records))
    assert validator.finish() == expected
    assert len(expected) >= 2
    assert len(passed) == len(records) - 2


def _regulation_rows(tmp_path: Path) -> tuple[Path, list[dict]]:
    rows = [record.data for record in read_records(task_named("regulation").source, [])]
    source = tmp_path / "regulation.jsonl"
    source.write_text(dump_jsonl(rows), encoding="utf-8")
    return source, rows


def test_streaming_split_writes_what_split_rows_and_dump_rows_write(tmp_path: Path) -> None:
    source, rows = _regulation_rows(tmp_path)
    out = tmp_path / "out"
    problems, counts = split_sources_streaming([source], lambda split: out / f"{split}.jsonl", DomainRules())
    assert problems == []
    for name, members in split_rows(rows).items():
        assert (out / f"{name}.jsonl").read_text(encoding="utf-8") == dump_rows(members)
        assert counts[name] == len(members)
    assert sorted(path.name for path in out.iterdir()) == ["test.jsonl", "train.jsonl"]  # no temporary left


def test_streaming_split_writes_nothing_when_a_row_fails(tmp_path: Path) -> None:
    source, rows = _regulation_rows(tmp_path)
    rows[5]["messages"][-1]["content"] += " [CRR, art. 9999]"
    source.write_text(dump_jsonl(rows), encoding="utf-8")
    out = tmp_path / "out"
    problems, _ = split_sources_streaming([source], lambda split: out / f"{split}.jsonl", DomainRules())
    assert [(problem.line, problem.field) for problem in problems] == [
        (6, "messages.content"),
        (6, "metadata.citations"),
    ]
    assert "art. 9999" in problems[0].message
    assert list(out.iterdir()) == []


def test_streaming_split_reports_a_test_row_repeating_a_train_text(tmp_path: Path) -> None:
    source, rows = _regulation_rows(tmp_path)
    split = split_rows(rows)
    train, test = split["train"][0], split["test"][0]
    test["messages"][1]["content"] = "  " + train["messages"][1]["content"].upper()
    source.write_text(dump_jsonl(rows), encoding="utf-8")
    out = tmp_path / "out"
    problems, _ = split_sources_streaming([source], lambda split: out / f"{split}.jsonl", DomainRules())
    assert [problem.message for problem in problems] == [
        f"test row {test['metadata']['id']} repeats text of train row {train['metadata']['id']}"
    ]
    assert list(out.iterdir()) == []


@pytest.mark.parametrize(
    "text",
    ["", " ", "a", " a", "a ", "a  b", "a b c", "a\nb", "a\u00a0b", "a\u2028b", "a\x1cb", "a\u3000 b", "¿Qué es?"],
)
def test_collapsed_texts_are_what_split_and_join_give(text: str) -> None:
    from regllm_lf.prepare.stream import _collapsed

    assert _collapsed(text) == " ".join(text.split())


def test_only_the_ascii_space_is_printable_whitespace() -> None:
    # What ``stream._collapsed``'s shortcut rests on, for every code point this Python knows.
    import sys

    assert [c for c in range(sys.maxunicode + 1) if chr(c).isspace() and chr(c).isprintable()] == [0x20]
