"""Domain rules of a SQL review row: its findings exist and are raised, its SQL parses and runs."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from regllm_lf import project
from regllm_lf.core.jsonio import Record
from regllm_lf.core.problems import Problem
from regllm_lf.tasks.regulation.citations import load_index
from regllm_lf.tasks.sql_review.blocks import sql_blocks
from regllm_lf.tasks.sql_review.check_cache import current as passed_snippets
from regllm_lf.tasks.sql_review.findings import Finding, load_findings

if TYPE_CHECKING:
    from regllm_lf.tasks.sql_review.sqlcheck import SqlChecker


def findings_catalogue() -> dict[str, Finding]:
    """The findings catalogue, checked against the regulation index (DataError if either is broken)."""
    return _findings_of(project.root())


@cache
def _findings_of(root: Path) -> dict[str, Finding]:  # one per project root: tests switch roots
    return load_findings(index=load_index())


def sql_checker() -> SqlChecker:
    return _checker_of(project.root())


@cache
def _checker_of(root: Path) -> SqlChecker:
    # Imported here: DuckDB and sqlglot load only when a snippet must run.
    from regllm_lf.tasks.sql_review.sqlcheck import SqlChecker

    return SqlChecker()


def row_problems(record: Record) -> list[Problem]:
    findings = findings_catalogue()
    metadata = record.data["metadata"]
    answer = "\n".join(m["content"] for m in record.data["messages"] if m["role"] == "assistant")

    def problem(field: str, message: str) -> Problem:
        return Problem(record.path, record.line, field, message)

    problems = []
    for finding_id in metadata["findings"]:
        finding = findings.get(finding_id)
        if finding is None:
            problems.append(problem("metadata.findings", f"unknown finding id {finding_id!r}"))
        elif not finding.raised_in(answer):
            problems.append(
                problem(
                    "metadata.findings",
                    f"{finding_id}: the review contains none of the finding's cues {list(finding.cues)}",
                )
            )
    if metadata["compliant"] and metadata["findings"]:
        problems.append(problem("metadata.compliant", "a compliant review lists no findings"))
    user_sql = [block for m in record.data["messages"] if m["role"] == "user" for block in sql_blocks(m["content"])]
    corrected_sql = sql_blocks(answer)
    if not user_sql:
        problems.append(problem("messages.content", "the request holds no ```sql block"))
    if not metadata["compliant"] and not corrected_sql:
        problems.append(problem("messages.content", "a non-compliant review needs corrected SQL"))
    for label, blocks in (("reviewed SQL", user_sql), ("corrected SQL", corrected_sql)):
        for number, sql in enumerate(blocks, start=1):
            reason = _sql_problem(sql)
            if reason:
                problems.append(problem("messages.content", f"{label} block {number}: {reason}"))
    return problems


_checked: dict[tuple[Path, str], str | None] = {}


def _sql_problem(sql: str) -> str | None:
    """``sql_checker().problem(sql)``, memoised by project and snippet (large sets repeat their SQL) and
    across runs for snippets that passed (``check_cache``)."""
    key = (project.root(), sql)
    if key not in _checked:
        passed = passed_snippets()
        if sql in passed:
            _checked[key] = None
        else:
            _checked[key] = sql_checker().problem(sql)
            if _checked[key] is None:
                passed.add(sql)
    return _checked[key]
