"""``regllm-lf generate dpo``: preference pairs with hard negatives, built from the train splits only.

chosen = the true answer; rejected = a realistic wrong answer of one kind (``metadata.negative_kind``):

each task's ``negatives`` hook says which kinds it makes (``tasks/<task>/negatives.py``).

Deterministic: every choice is a hash of the source row id. Test rows never enter.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from regllm_lf import project
from regllm_lf.core.jsonio import read_records
from regllm_lf.core.problems import DataError
from regllm_lf.prepare.split import pick
from regllm_lf.tasks.registry import all_tasks

DPO_ENTRY = "regllm_dpo"
DPO_FILE_NAME = f"{DPO_ENTRY}.jsonl"


def dpo_file(dataset_dir: Path | None = None) -> Path:
    return (dataset_dir or project.datasets_dir()) / DPO_FILE_NAME


def _pair(row: dict[str, Any], rejected: str, kind: str) -> dict[str, Any] | None:
    chosen = row["messages"][-1]["content"]
    if rejected == chosen or not rejected.strip():
        return None
    source = row["metadata"]
    return {
        "messages": row["messages"][:-1],
        "chosen": {"role": "assistant", "content": chosen},
        "rejected": {"role": "assistant", "content": rejected},
        "metadata": {
            "id": f"dpo-{source['id']}",
            "dataset": "dpo",
            "topic": source["topic"],
            "source_id": source["id"],
            "source_dataset": source["dataset"],
            "negative_kind": kind,
        },
    }


def train_rows() -> dict[str, list[dict[str, Any]]]:
    problems: list = []
    rows = {t.name: [r.data for r in read_records(t.split_file("train"), problems)] for t in all_tasks()}
    if problems:
        raise DataError(problems)
    return rows


def generate_dpo_rows(rows: dict[str, list[dict[str, Any]]] | None = None) -> list[dict[str, Any]]:
    """One preference pair per train row that admits a hard negative, in the splits' order."""
    rows = train_rows() if rows is None else rows
    pairs = []
    for task in all_tasks():
        make_negatives = task.hook("negatives")
        if make_negatives is None or task.name not in rows:
            continue
        candidates = make_negatives(rows[task.name])
        for row in rows[task.name]:
            options = candidates(row)
            if options:
                kind, rejected = pick(options, row["metadata"]["id"], "tipo")
                pair = _pair(row, rejected, kind)
                if pair:
                    pairs.append(pair)
    return pairs
