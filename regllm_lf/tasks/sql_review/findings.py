"""Catalogue of SQL methodology findings (``data/sql/findings.yaml``).

A finding may apply only from/until a date (``from`` / ``until``): omitting the 1,06 factor is a finding
until 31-12-2024, applying it is one from 1-1-2025. Its references must be in force within its period.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from regllm_lf import project
from regllm_lf.core.problems import DataError, Problem
from regllm_lf.core.structured import load_checked
from regllm_lf.tasks.regulation.citations import parse_citations
from regllm_lf.tasks.regulation.periods import ALWAYS, Period


def findings_path() -> Path:
    return project.data_dir() / "sql" / "findings.yaml"


@dataclass(frozen=True)
class Finding:
    id: str
    title: str
    severity: str
    topic: str
    references: tuple[str, ...]
    description: str
    cues: tuple[str, ...]
    period: Period = ALWAYS

    def raised_in(self, text: str) -> bool:
        """True when ``text`` contains one of the cue phrases (case-insensitive)."""
        lowered = text.lower()
        return any(cue.lower() in lowered for cue in self.cues)


def load_findings(path: Path | None = None, index=None) -> dict[str, Finding]:  # noqa: ANN001 - RegulationIndex
    """Findings by id; with ``index``, every reference must resolve in it."""
    loaded = load_checked(path or findings_path(), "findings")
    problems: list[Problem] = []
    findings: dict[str, Finding] = {}
    for position, item in enumerate(loaded.data["findings"]):
        if item["id"] in findings:
            problems.append(loaded.problem(("findings", position, "id"), f"duplicate finding id {item['id']!r}"))
        period = Period.of(item)
        if not period.is_valid():
            problems.append(loaded.problem(("findings", position, "from"), "'from' is after 'until'"))
        if index is not None:
            for number, reference in enumerate(item["references"]):
                field = ("findings", position, "references", number)
                if not index.is_canonical(reference):
                    problems.append(loaded.problem(field, f"{reference} does not resolve in the regulation index"))
                    continue
                days = [day for day in (period.start, period.end) if day is not None]
                if not all(index.in_force(parse_citations(reference)[0], day) for day in days):
                    problems.append(loaded.problem(field, f"{reference} is not in force {period.describe()}"))
        findings[item["id"]] = Finding(
            item["id"],
            item["title"],
            item["severity"],
            item["topic"],
            tuple(item["references"]),
            item["description"],
            tuple(item["cues"]),
            period,
        )
    if problems:
        raise DataError(problems)
    return findings
