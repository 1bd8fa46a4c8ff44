"""Domain rules on top of the row schema: citations resolve, findings exist, SQL runs.

The catalogues are loaded lazily: validating a file of banking rows never builds the SQL portfolio.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

from regllm_lf.citations import INDEX_PATH, RegulationIndex, canonical_citations, load_index
from regllm_lf.findings import FINDINGS_PATH, Finding, load_findings
from regllm_lf.jsonio import Record
from regllm_lf.problems import DataError, Problem
from regllm_lf.rows import is_preference_row
from regllm_lf.sqlcheck import SqlChecker, sql_blocks


class DomainRules:
    def __init__(self, index_path: Path = INDEX_PATH, findings_path: Path = FINDINGS_PATH) -> None:
        self.index_path = index_path
        self.findings_path = findings_path
        self.catalogue_problems: list[Problem] = []
        self.sql = SqlChecker()

    @cached_property
    def index(self) -> RegulationIndex | None:
        try:
            return load_index(self.index_path)
        except DataError as error:
            self.catalogue_problems += error.problems
            return None

    @cached_property
    def findings(self) -> dict[str, Finding] | None:
        try:
            return load_findings(self.findings_path, self.index)
        except DataError as error:
            self.catalogue_problems += error.problems
            return None

    def problems(self, record: Record) -> list[Problem]:
        """Domain problems of a row that already satisfies the schema."""
        if is_preference_row(record.data):
            return []  # pairs are derived from validated rows; their rejected side is wrong on purpose
        metadata = record.data["metadata"]
        answer = "\n".join(m["content"] for m in record.data["messages"] if m["role"] == "assistant")
        problems = self._citation_problems(record, answer)
        if metadata["dataset"] == "sql_review":
            problems += self._sql_problems(record, answer)
        return problems

    def _citation_problems(self, record: Record, answer: str) -> list[Problem]:
        cited = canonical_citations(answer)
        if not cited and record.data["metadata"]["dataset"] != "regulation":
            return []
        if self.index is None:
            return []
        problems = [
            Problem(
                record.path,
                record.line,
                "messages.content",
                f"citation {bracket} does not resolve in the regulation index",
            )
            for bracket in self.index.unresolved(answer)
        ]
        declared = record.data["metadata"].get("citations")
        if declared is not None and declared != cited:
            problems.append(
                Problem(
                    record.path,
                    record.line,
                    "metadata.citations",
                    f"must list the answer's citations in order of appearance: {cited}",
                )
            )
        return problems

    def _sql_problems(self, record: Record, answer: str) -> list[Problem]:
        problems = []
        metadata = record.data["metadata"]
        if self.findings is not None:
            for finding_id in metadata["findings"]:
                finding = self.findings.get(finding_id)
                if finding is None:
                    problems.append(
                        Problem(record.path, record.line, "metadata.findings", f"unknown finding id {finding_id!r}")
                    )
                elif not finding.raised_in(answer):
                    problems.append(
                        Problem(
                            record.path,
                            record.line,
                            "metadata.findings",
                            f"{finding_id}: the review contains none of the finding's cues {list(finding.cues)}",
                        )
                    )
        if metadata["compliant"] and metadata["findings"]:
            problems.append(
                Problem(record.path, record.line, "metadata.compliant", "a compliant review lists no findings")
            )
        user_sql = [block for m in record.data["messages"] if m["role"] == "user" for block in sql_blocks(m["content"])]
        corrected_sql = sql_blocks(answer)
        if not user_sql:
            problems.append(Problem(record.path, record.line, "messages.content", "the request holds no ```sql block"))
        if not metadata["compliant"] and not corrected_sql:
            problems.append(
                Problem(record.path, record.line, "messages.content", "a non-compliant review needs corrected SQL")
            )
        for label, blocks in (("reviewed SQL", user_sql), ("corrected SQL", corrected_sql)):
            for number, sql in enumerate(blocks, start=1):
                reason = self.sql.problem(sql)
                if reason:
                    problems.append(
                        Problem(record.path, record.line, "messages.content", f"{label} block {number}: {reason}")
                    )
        return problems
