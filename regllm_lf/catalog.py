"""The three datasets: where each source lives and what its registered splits are called."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from regllm_lf.paths import DATA_DIR, DATASETS_DIR

SPLITS = ("train", "test")


@dataclass(frozen=True)
class DatasetSource:
    name: str  # metadata.dataset of its rows
    source: Path  # the file users edit (or the generator writes)
    generated: bool  # True when a generator writes ``source`` from other files

    def split_file(self, split: str, dataset_dir: Path = DATASETS_DIR) -> Path:
        return dataset_dir / f"regllm_{self.name}_{split}.jsonl"

    def entry_name(self, split: str) -> str:
        return f"regllm_{self.name}_{split}"


DATASETS = (
    DatasetSource("sql_review", DATA_DIR / "finetuning" / "sql_methodology_comparison_dataset.jsonl", False),
    DatasetSource("banking_qa", DATA_DIR / "finetuning" / "banking_qa_dataset.jsonl", True),
    DatasetSource("regulation", DATA_DIR / "processed" / "train_data.json", False),
)


def source_files() -> list[Path]:
    return [dataset.source for dataset in DATASETS]


def dataset_named(name: str) -> DatasetSource:
    for dataset in DATASETS:
        if dataset.name == name:
            return dataset
    known = ", ".join(dataset.name for dataset in DATASETS)
    raise KeyError(f"unknown dataset {name!r}; known: {known}")
