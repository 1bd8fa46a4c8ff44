"""SQL review metrics: gold findings raised (by catalogue cues) and corrected SQL that runs."""

from __future__ import annotations

from typing import Any

from regllm_lf.tasks.sql_review.blocks import sql_blocks
from regllm_lf.tasks.sql_review.rules import findings_catalogue, sql_checker


def raised_findings(answer: str, findings: dict, topic: str | None = None) -> set[str]:
    """Catalogue findings the review raises: each ❌/⚠️ line counts for the one finding whose cues it
    matches best (the longest total cue text; a finding of the question's own topic on a tie). A cue
    inside a ✅ line says something is right, not that a finding is raised; an answer with no marks at
    all is read line by line the same way. On our own gold reviews this recovers every listed finding
    with ~82 % precision: cue matching is a proxy, the ceiling a perfect answer reaches."""
    marked = [line for line in answer.splitlines() if "❌" in line or "⚠" in line]
    lines = marked if marked or "✅" in answer else answer.splitlines()
    raised = set()
    for line in lines:
        lowered = line.lower()
        best, best_score = None, (False, 0, False)
        for finding_id, finding in sorted(findings.items()):
            matched = sum(len(cue) for cue in finding.cues if cue.lower() in lowered)
            score = (matched > 0, matched, finding.topic == topic)
            if matched and score > best_score:
                best, best_score = finding_id, score
        if best:
            raised.add(best)
    return raised


def score(metadata: dict[str, Any], answer: str) -> dict[str, float | None]:
    findings, checker = findings_catalogue(), sql_checker()
    gold = set(metadata.get("findings", []))
    raised = raised_findings(answer, findings, metadata.get("topic"))
    blocks = sql_blocks(answer)
    needs_fix = not metadata.get("compliant", False)
    return {
        "finding_recall": len(raised & gold) / len(gold) if gold else None,
        "finding_precision": len(raised & gold) / len(raised) if raised else (None if not gold else 0.0),
        "sql_runs": float(bool(blocks) and all(checker.problem(sql) is None for sql in blocks)) if needs_fix else None,
    }
