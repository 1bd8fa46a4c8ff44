"""SQL snippets (ours, and a model's in evaluation) run sandboxed: no file, network or extension access,
settings locked, and a time limit per snippet; a snippet that tries to escape or runs too long is a
problem of its row, never a hang."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from helpers import DATA_DIR

from regllm_lf.cli import main
from regllm_lf.tasks.sql_review import rules, sqlcheck
from regllm_lf.tasks.sql_review.blocks import sql_blocks
from regllm_lf.tasks.sql_review.sqlcheck import SqlChecker

ESCAPES = [
    "SELECT * FROM read_csv('/etc/passwd')",
    "SELECT * FROM '/etc/passwd'",
    "SELECT * FROM read_text('/etc/hostname')",
    "SELECT * FROM read_parquet('/tmp/cualquiera.parquet')",
    "SELECT * FROM glob('/etc/*')",
    "SELECT * FROM read_json_auto('https://example.com/datos.json')",
    "WITH x AS (SELECT * FROM read_csv_auto('/etc/passwd')) SELECT * FROM x",
    "SELECT * FROM cartera UNION ALL SELECT * FROM read_csv('/etc/group')",
]
NOT_QUERIES = [
    "INSTALL httpfs",
    "LOAD httpfs",
    "ATTACH '/tmp/otra.db' AS otra",
    "COPY (SELECT 1) TO '/tmp/fuera.csv'",
    "SET enable_external_access = true",
    "SELECT 1; SET lock_configuration = false",
]


@pytest.fixture(scope="module")
def checker() -> SqlChecker:
    return SqlChecker(time_limit=1.0)


@pytest.mark.parametrize("sql", ESCAPES)
def test_file_and_network_access_is_refused(checker: SqlChecker, sql: str) -> None:
    reason = checker.problem(sql)  # a bare path is not even looked up as a file: no such table
    assert reason is not None and ("disabled by configuration" in reason or "/etc/passwd does not exist" in reason)


@pytest.mark.parametrize("sql", NOT_QUERIES)
def test_only_single_queries_run(checker: SqlChecker, sql: str) -> None:
    reason = checker.problem(sql)
    assert reason is not None and ("only queries" in reason or "expected one statement" in reason), reason


def test_settings_are_locked(checker: SqlChecker) -> None:
    with pytest.raises(Exception, match="locked"):
        checker.connection.execute("SET enable_external_access = true")
    assert checker.connection.execute("SELECT current_setting('enable_external_access')").fetchone() == (False,)


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT count(*) FROM range(100000000) a, range(100000000) b",
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT max(i) FROM n",
    ],
)
def test_a_snippet_past_the_time_limit_is_stopped(checker: SqlChecker, sql: str) -> None:
    started = time.monotonic()
    reason = checker.problem(sql)
    assert reason is not None and "did not finish it within 1 s" in reason
    assert time.monotonic() - started < 10
    assert checker.problem("SELECT count(*) FROM cartera") is None  # the next snippet runs normally


def test_validate_names_the_row_of_a_hostile_snippet(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sqlcheck, "TIME_LIMIT_SECONDS", 1.0)
    rules._checker_of.cache_clear()
    source = DATA_DIR / "finetuning" / "sql_methodology_comparison_dataset.jsonl"
    rows = [json.loads(line) for line in source.read_text(encoding="utf-8").splitlines()[:3]]
    for row, hostile in zip(
        rows[1:],
        ["SELECT * FROM read_csv('/etc/passwd')", "SELECT count(*) FROM range(100000000) a, range(100000000) b"],
        strict=True,
    ):
        user = row["messages"][1]
        [original] = sql_blocks(user["content"])[:1] or [""]
        user["content"] = user["content"].replace(original, hostile)
    path = tmp_path / "hostile.jsonl"
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
    try:
        assert main(["validate", str(path)]) == 1
    finally:
        rules._checker_of.cache_clear()
    err = capsys.readouterr().err
    assert "hostile.jsonl:2:" in err and "disabled by configuration" in err
    assert "hostile.jsonl:3:" in err and "did not finish it within 1 s" in err
    assert "hostile.jsonl:1:" not in err and "Traceback" not in err
