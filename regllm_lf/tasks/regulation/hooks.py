"""What only code can say about regulation Q&A: metrics, hard negatives, citations after a spreadsheet edit."""

from __future__ import annotations

from typing import Any

from regllm_lf.tasks.regulation.citations import canonical_citations
from regllm_lf.tasks.regulation.metrics import score
from regllm_lf.tasks.regulation.negatives import negatives

__all__ = ["after_edit", "negatives", "score"]


def after_edit(row: dict[str, Any]) -> dict[str, Any]:
    """An edited answer's citations are re-read from its text (the column is derived, not editable)."""
    answer = "\n".join(m["content"] for m in row["messages"] if m["role"] == "assistant")
    row["metadata"]["citations"] = canonical_citations(answer)
    return row
