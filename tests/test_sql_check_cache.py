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


class CountingRegime:
    """Stands in for the regime rule: objects to any block applying 0.0003 (a PD floor out of force)."""

    def __init__(self) -> None:
        self.calls: list[tuple] = []

    def problems(self, day, topic: str, blocks: list[tuple[str, str]]) -> list[str]:  # noqa: ANN001
        self.calls.append((day, topic, tuple(blocks)))
        return [f"{label}: floor" for label, sql in blocks if "0.0003" in sql]


def test_a_regime_pass_is_remembered_per_day_topic_and_code_and_a_failure_is_not(fresh_cache: Path) -> None:
    import datetime as dt

    regime = CountingRegime()
    day, other_day = dt.date(2023, 12, 31), dt.date(2025, 6, 30)
    good, bad = [("corrected SQL block 1", "SELECT GREATEST(pd, 0.0005)")], [("b", "SELECT GREATEST(pd, 0.0003)")]
    for _ in range(2):  # a second run: the cache is read again from disk
        check_cache.pass_cache.cache_clear()
        assert rules._regime_problems(regime, day, "pd_estimacion", good) == []
        assert rules._regime_problems(regime, day, "pd_estimacion", bad) == ["b: floor"]
    assert [call[2] for call in regime.calls] == [tuple(good), tuple(bad), tuple(bad)]
    # Another day, topic or code is checked again, never taken from the pass.
    rules._regime_problems(regime, other_day, "pd_estimacion", good)
    rules._regime_problems(regime, day, "lgd_estimacion", good)
    rules._regime_problems(regime, day, "pd_estimacion", [("x", "SELECT GREATEST(pd, 0.0005) AS pd_floor")])
    assert len(regime.calls) == 6


def test_the_key_changes_with_the_regime_constants(fresh_cache: Path, tmp_path: Path) -> None:
    copy = tmp_path / "root"
    (copy / "data" / "regulation").mkdir(parents=True)
    constants = copy / "data" / "regulation" / "regime_constants.yaml"
    constants.write_text("constants: []\n")
    before = check_cache._key(copy)
    check_cache._key.cache_clear()
    constants.write_text("constants: []\nscopes: {}\n")
    assert check_cache._key(copy) != before
