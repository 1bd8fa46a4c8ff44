"""Domain rules of a SQL review row: its findings exist and are raised, its SQL parses and runs, and it
applies the rules in force on its reference date (constants, citations, findings)."""

from __future__ import annotations

import datetime as dt
import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from regllm_lf import project
from regllm_lf.core.jsonio import Record
from regllm_lf.core.problems import Problem
from regllm_lf.tasks.regulation.citations import RegulationIndex, load_index
from regllm_lf.tasks.sql_review.blocks import sql_blocks
from regllm_lf.tasks.sql_review.check_cache import current as passed_snippets
from regllm_lf.tasks.sql_review.findings import Finding, load_findings
from regllm_lf.tasks.sql_review.regime import Regime, load_regime

if TYPE_CHECKING:
    from regllm_lf.tasks.sql_review.sqlcheck import SqlChecker

_DATE_LITERAL = re.compile(r"\bDATE\s*'(\d{4}-\d{2}-\d{2})'", re.IGNORECASE)
_SQL_FENCE = re.compile(r"```.*?```", re.DOTALL)


def findings_catalogue() -> dict[str, Finding]:
    """The findings catalogue, checked against the regulation index (DataError if either is broken)."""
    return _catalogues_of(project.root())[0]


def load_catalogues() -> None:
    """Load the findings, the index and the regime constants once, so a broken one is reported once."""
    _catalogues_of(project.root())


@cache
def _catalogues_of(root: Path) -> tuple[dict[str, Finding], RegulationIndex, Regime]:  # one per project root
    index = load_index()
    return load_findings(index=index), index, load_regime(index)


def sql_checker() -> SqlChecker:
    return _checker_of(project.root())


@cache
def _checker_of(root: Path) -> SqlChecker:
    # Imported here: DuckDB and sqlglot load only when a snippet must run.
    from regllm_lf.tasks.sql_review.sqlcheck import SqlChecker

    return SqlChecker()


def _date_problems(day: dt.date, user: str, blocks: list[tuple[str, str]]) -> list[tuple[str, str]]:
    problems = []
    prose = _SQL_FENCE.sub("", user)  # the date must be said in words, not only inside the code
    if str(day.year) not in prose:
        problems.append(("messages.content", f"the request must state the reference date ({day.year} not mentioned)"))
    for label, sql in blocks:
        later = sorted({text for text in _DATE_LITERAL.findall(sql) if dt.date.fromisoformat(text) > day})
        if later:
            problems.append(("messages.content", f"{label} reads dates after the reference date {day}: {later}"))
    return problems


def row_problems(record: Record) -> list[Problem]:
    findings, index, regime = _catalogues_of(project.root())
    metadata = record.data["metadata"]
    answer = "\n".join(m["content"] for m in record.data["messages"] if m["role"] == "assistant")
    user = "\n".join(m["content"] for m in record.data["messages"] if m["role"] == "user")
    day = dt.date.fromisoformat(metadata["reference_date"])

    def problem(field: str, message: str) -> Problem:
        return Problem(record.path, record.line, field, message)

    problems = []
    for finding_id in metadata["findings"]:
        finding = findings.get(finding_id)
        if finding is None:
            problems.append(problem("metadata.findings", f"unknown finding id {finding_id!r}"))
            continue
        if not finding.raised_in(answer):
            problems.append(
                problem(
                    "metadata.findings",
                    f"{finding_id}: the review contains none of the finding's cues {list(finding.cues)}",
                )
            )
        if not finding.period.covers(day):
            problems.append(
                problem("metadata.findings", f"{finding_id} applies {finding.period.describe()}, not on {day}")
            )
    if metadata["compliant"] and metadata["findings"]:
        problems.append(problem("metadata.compliant", "a compliant review lists no findings"))
    for bracket in index.not_in_force(answer, day):
        problems.append(problem("messages.content", f"citation {bracket} is not in force on the reference date {day}"))
    user_sql = [sql for m in record.data["messages"] if m["role"] == "user" for sql in sql_blocks(m["content"])]
    corrected_sql = sql_blocks(answer)
    if not user_sql:
        problems.append(problem("messages.content", "the request holds no ```sql block"))
    if not metadata["compliant"] and not corrected_sql:
        problems.append(problem("messages.content", "a non-compliant review needs corrected SQL"))
    labelled = {
        "reviewed SQL": [(f"reviewed SQL block {n}", sql) for n, sql in enumerate(user_sql, start=1)],
        "corrected SQL": [(f"corrected SQL block {n}", sql) for n, sql in enumerate(corrected_sql, start=1)],
    }
    for label, sql in labelled["reviewed SQL"] + labelled["corrected SQL"]:
        reason = _sql_problem(sql)
        if reason:
            problems.append(problem("messages.content", f"{label}: {reason}"))
    problems += [
        problem(field, message)
        for field, message in _date_problems(day, user, labelled["reviewed SQL"] + labelled["corrected SQL"])
    ]
    # The code the review endorses: the reviewed SQL when compliant, otherwise its correction.
    applied = labelled["reviewed SQL"] if metadata["compliant"] else labelled["corrected SQL"]
    problems += [
        problem("messages.content", message) for message in _regime_problems(regime, day, metadata["topic"], applied)
    ]
    return problems


def _regime_problems(regime: Regime, day: dt.date, topic: str, blocks: list[tuple[str, str]]) -> list[str]:
    """``regime.problems``, skipped for code already found to apply the rules of that day and topic: it parses
    every block with sqlglot, most of ``validate``'s time on unchanged data. The pass cache's key covers the
    code of this folder, sqlglot's version and the regime constants."""
    passed = passed_snippets()
    entry = "\0".join(["regime", day.isoformat(), topic, *(sql for _, sql in blocks)])
    if entry in passed:
        return []
    messages = regime.problems(day, topic, blocks)
    if not messages:
        passed.add(entry)
    return messages


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
