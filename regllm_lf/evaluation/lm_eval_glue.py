"""lm-evaluation-harness glue for the regllm-lf tasks; ``regllm-lf export-lm-eval DIR`` copies this file
as ``DIR/utils.py``. The task YAMLs beside it reach these functions with ``!function utils.NAME``.

Documents come from the held-out JSONL copied into ``DIR/data/``; answers are scored by regllm-lf's
own scorers (the task's ``score`` hook), so lm_eval's numbers are ``regllm-lf eval``'s numbers. A metric
that does not apply to a question (numeric accuracy on an out-of-coverage one) is None for it and left
out of that metric's mean, as ``regllm-lf eval`` does. Needs ``regllm-lf`` installed where lm_eval runs.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
EXPORT_FILE = "regllm_export.json"  # written by the exporter: project root, data files and their sha256


def _export() -> dict[str, Any]:
    return json.loads((HERE / EXPORT_FILE).read_text(encoding="utf-8"))


def _use_project() -> None:
    """The scorers read the citation index and findings catalogue from the project the export came from."""
    from regllm_lf import project

    if not os.environ.get("REGLLM_ROOT"):
        project.use_root(Path(_export()["project_root"]))


def load(task: str, **_: Any) -> Any:
    """The task's held-out split as a ``datasets.DatasetDict`` with one flat row per question.

    ``metadata`` stays a JSON string (the decoded rich dict): each dataset's has its own shape, which
    Arrow need not infer.
    """
    import datasets
    from regllm_lf.core.row_metadata import decode_metadata

    rows = []
    path = HERE / _export()["tasks"][task]["file"]
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        messages = row["messages"]
        system = messages[0]["content"] if messages[0]["role"] == "system" else ""
        rows.append(
            {
                "id": row["metadata"]["id"],
                "system": system,
                "question": messages[-2]["content"],
                "gold": messages[-1]["content"],
                "metadata": json.dumps(decode_metadata(row["metadata"]), ensure_ascii=False),
            }
        )
    return datasets.DatasetDict({"test": datasets.Dataset.from_list(rows)})


def process_results(doc: dict[str, Any], results: list[str]) -> dict[str, float | None]:
    """Every metric of the question's task, scored by regllm-lf (None where a metric does not apply)."""
    from regllm_lf.evaluation.scoring import Scorer
    from regllm_lf.tasks.registry import task_named

    _use_project()
    metadata = json.loads(doc["metadata"])
    scores = Scorer().score(metadata, results[0] if results else "")
    return {metric.name: scores.get(metric.name) for metric in task_named(metadata["dataset"]).metrics}


def mean(items: list[float | None]) -> float:
    """Mean over the questions the metric applies to (NaN when it applies to none in this run)."""
    from regllm_lf.evaluation.aggregate import mean as regllm_mean

    value = regllm_mean([item for item in items if item is not None])
    return float("nan") if value is None else value
