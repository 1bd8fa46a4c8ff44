"""SQL review dataset: every snippet parses and runs on the synthetic portfolio; findings exist."""

from __future__ import annotations

from collections import Counter

from regllm_lf.core.jsonio import read_records
from regllm_lf.tasks.registry import task_named
from regllm_lf.tasks.regulation.citations import load_index
from regllm_lf.tasks.sql_review.blocks import sql_blocks
from regllm_lf.tasks.sql_review.findings import load_findings
from regllm_lf.tasks.sql_review.portfolio import build_portfolio_rows, open_portfolio
from regllm_lf.tasks.sql_review.sqlcheck import SqlChecker

TOPICS = {
    "pd_estimacion",
    "pd_calibracion",
    "lgd_workout",
    "lgd_downturn",
    "ead_ccf",
    "rwa_irb",
    "definicion_default",
    "niif9_ecl",
    "backtesting_validacion",
    "stress_testing",
    "margen_conservadurismo",
}


def _rows() -> list[dict]:
    problems: list = []
    rows = [record.data for record in read_records(task_named("sql_review").source, problems)]
    assert problems == []
    return rows


def test_portfolio_is_deterministic_and_populated() -> None:
    assert build_portfolio_rows() == build_portfolio_rows()
    connection = open_portfolio()
    for table in ("clientes", "operaciones", "cartera", "defaults", "recuperaciones", "tipos_referencia"):
        assert connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0] > 0


def test_every_snippet_parses_and_runs() -> None:
    checker = SqlChecker()
    failures = []
    for row in _rows():
        for message in row["messages"][1:]:
            for sql in sql_blocks(message["content"]):
                reason = checker.problem(sql)
                if reason:
                    failures.append((row["metadata"]["id"], reason))
    assert failures == []


def test_checker_can_fail() -> None:
    checker = SqlChecker()
    assert checker.problem("SELECT * FROM cartera LIMIT 1") is None
    assert "cannot parse" in checker.problem("SELECT * FROM (cartera")
    assert "DuckDB cannot run it" in checker.problem("SELECT columna_que_no_existe FROM cartera")
    assert "only queries" in checker.problem("DELETE FROM cartera")


def test_findings_exist_topics_covered_and_structure() -> None:
    findings = load_findings(index=load_index())
    rows = _rows()
    assert len(rows) >= 60
    topics = Counter(row["metadata"]["topic"] for row in rows)
    assert set(topics) == TOPICS and min(topics.values()) >= 3, topics
    compliant = Counter(row["metadata"]["topic"] for row in rows if row["metadata"]["compliant"])
    assert set(compliant) == TOPICS, compliant
    for row in rows:
        answer = row["messages"][-1]["content"]
        assert answer.startswith("**ANÁLISIS DE CONFORMIDAD METODOLÓGICA**")
        assert "✅" in answer
        for finding_id in row["metadata"]["findings"]:
            assert finding_id in findings and findings[finding_id].raised_in(answer)
        if not row["metadata"]["compliant"]:
            assert "❌" in answer and sql_blocks(answer)
