"""Passing SQL snippets are remembered across runs, per schema/checker/version key; failures never are."""

from __future__ import annotations

from pathlib import Path

import pytest

from regllm_lf import project
from regllm_lf.tasks.sql_review import check_cache, rules


@pytest.fixture
def fresh_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(check_cache.CACHE_VARIABLE, str(tmp_path / "cache"))
    check_cache.pass_cache.cache_clear()
    monkeypatch.setattr(rules, "_checked", {})
    yield tmp_path / "cache"
    check_cache.pass_cache.cache_clear()


class CountingChecker:
    def __init__(self) -> None:
        self.calls: list[str] = []

    def problem(self, sql: str) -> str | None:
        self.calls.append(sql)
        return "DuckDB cannot run it: boom" if "boom" in sql else None


def test_a_pass_is_remembered_across_runs_and_a_failure_is_not(fresh_cache: Path, monkeypatch) -> None:
    checker = CountingChecker()
    monkeypatch.setattr(rules, "sql_checker", lambda: checker)
    assert rules._sql_problem("SELECT 1") is None
    assert rules._sql_problem("SELECT boom") == "DuckDB cannot run it: boom"
    assert checker.calls == ["SELECT 1", "SELECT boom"]
    # A new run: fresh memo and a cache re-read from disk.
    check_cache.pass_cache.cache_clear()
    monkeypatch.setattr(rules, "_checked", {})
    assert rules._sql_problem("SELECT 1") is None
    assert rules._sql_problem("SELECT boom") == "DuckDB cannot run it: boom"
    assert checker.calls == ["SELECT 1", "SELECT boom", "SELECT boom"]
    assert len(list((fresh_cache / "sql_passes").iterdir())) == 1


def test_the_key_changes_with_the_schema(fresh_cache: Path, tmp_path: Path) -> None:
    before = check_cache._key(project.root())
    copy = tmp_path / "root"
    (copy / "data" / "sql").mkdir(parents=True)
    (copy / "data" / "sql" / "schema.sql").write_text("CREATE TABLE t (x INTEGER);\n")
    assert check_cache._key(copy) != before


def test_unreadable_cache_is_not_used(fresh_cache: Path) -> None:
    fresh_cache.mkdir(parents=True)
    (fresh_cache / "sql_passes").write_text("not a folder")
    cached = check_cache.current()
    cached.add("SELECT 1")  # cannot be written: remembered for this run only
    assert "SELECT 1" in cached
