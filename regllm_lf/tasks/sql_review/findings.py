"""Catalogue of SQL methodology findings (``data/sql/findings.yaml``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from regllm_lf import project
from regllm_lf.core.problems import DataError, Problem
from regllm_lf.core.structured import load_checked


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
        if index is not None:
            for number, reference in enumerate(item["references"]):
                if not index.is_canonical(reference):
                    problems.append(
                        loaded.problem(
                            ("findings", position, "references", number),
                            f"{reference} does not resolve in the regulation index",
                        )
                    )
        findings[item["id"]] = Finding(
            item["id"],
            item["title"],
            item["severity"],
            item["topic"],
            tuple(item["references"]),
            item["description"],
            tuple(item["cues"]),
        )
    if problems:
        raise DataError(problems)
    return findings
