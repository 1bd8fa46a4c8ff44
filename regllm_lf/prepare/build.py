"""The main data job: generate → validate → split → write ``datasets/`` → register.

Everything is computed and checked first — sources validated, split files, exports and the merged
``dataset_info.json`` files planned in memory, every target checked writable — and only then written,
so a bad edit or an unreadable ``dataset_info.json`` never leaves half-built files. The same planning
lets a test rebuild all generated files and compare them byte for byte with the committed ones.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from regllm_lf import project
from regllm_lf.core.jsonio import Record, dump_jsonl, read_records, unwritable, write_if_changed
from regllm_lf.core.problems import DataError, Problem, display_path
from regllm_lf.core.row_metadata import dump_rows, rows_text
from regllm_lf.prepare.dataset_card import CARD_FILE, dataset_card
from regllm_lf.prepare.dataset_info import (
    check_dataset_dir,
    file_name_for,
    plan_registration,
    register_entries,
    sharegpt_entry,
)
from regllm_lf.prepare.preference import DPO_ENTRY, dpo_file, generate_dpo_rows
from regllm_lf.prepare.split import leaked_rows, split_rows
from regllm_lf.prepare.validate import validate_records
from regllm_lf.tasks.registry import SPLITS, Task, all_tasks


def board_data_dir() -> Path:
    """LLaMA-Factory's DEFAULT_DATA_DIR ("data") seen from the project root."""
    return project.data_dir()


@dataclass
class BuildResult:
    written: list[Path] = field(default_factory=list)
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    info_path: Path | None = None


def generated_records(task: Task) -> list[Record]:
    """A generated task's rows (its ``generate_rows`` hook), as records of the file they will be written to."""
    shown = display_path(task.source)
    return [Record(shown, number, row) for number, row in enumerate(task.hook("generate_rows")(), start=1)]


def source_records() -> dict[str, list[Record]]:
    """Every dataset's rows (banking generated in memory), validated together; DataError on any problem."""
    problems: list[Problem] = []
    by_dataset: dict[str, list[Record]] = {}
    for dataset in all_tasks():
        records = generated_records(dataset) if dataset.generated else read_records(dataset.source, problems)
        for record in records:
            metadata = record.data.get("metadata") if isinstance(record.data, dict) else None
            if isinstance(metadata, dict) and metadata.get("dataset") not in (None, dataset.name):
                problems.append(
                    Problem(record.path, record.line, "metadata.dataset", f"expected {dataset.name!r} in this file")
                )
        by_dataset[dataset.name] = records
    from regllm_lf.prepare.domain import DomainRules  # DuckDB and sqlglot only when building

    problems += validate_records([record for records in by_dataset.values() for record in records], DomainRules())
    if problems:
        raise DataError(problems)
    return by_dataset


def planned_outputs(dataset_dir: Path | None = None) -> tuple[dict[Path, str], dict[str, dict[str, int]]]:
    """(file contents by path, split counts) for the generated sources, the hand-written sources not in the
    written shape, and every split file."""
    outputs, counts, _ = _plan(dataset_dir or project.datasets_dir())
    return outputs, counts


def _plan(dataset_dir: Path) -> tuple[dict[Path, str], dict[str, dict[str, int]], dict[str, list[dict]]]:
    """``planned_outputs`` plus every dataset's rows (the generated ones are not on disk yet)."""
    by_dataset = source_records()
    outputs: dict[Path, str] = {}
    counts: dict[str, dict[str, int]] = {}
    problems: list[Problem] = []
    train_rows: dict[str, list[dict]] = {}
    test_rows: dict[str, list[dict]] = {}
    for dataset in all_tasks():
        rows = [record.data for record in by_dataset[dataset.name]]
        # Generated sources are written; a hand-written one only when it is not in the written shape (a row
        # added with rich metadata gets encoded), so a build never needs to write an unchanged source.
        text = rows_text(dataset.source, rows)
        if dataset.generated or dataset.source.read_bytes() != text.encode("utf-8"):
            outputs[dataset.source] = text
        split = split_rows(rows)
        for test_id, train_id in leaked_rows(split):
            problems.append(
                Problem(
                    display_path(dataset.source),
                    0,
                    "metadata.id",
                    f"test row {test_id} repeats text of train row {train_id}",
                )
            )
        counts[dataset.name] = {name: len(split[name]) for name in SPLITS}
        for name in SPLITS:
            outputs[dataset.split_file(name, dataset_dir)] = dump_rows(split[name])
        train_rows[dataset.name], test_rows[dataset.name] = split["train"], split["test"]
    problems += near_duplicate_problems(train_rows, test_rows)
    pairs = generate_dpo_rows(train_rows)
    shown = display_path(dpo_file(dataset_dir))
    problems += validate_records([Record(shown, number, pair) for number, pair in enumerate(pairs, start=1)])
    if problems:
        raise DataError(problems)
    outputs[dpo_file(dataset_dir)] = dump_jsonl(pairs)
    counts["dpo"] = {"train": len(pairs), "test": 0}
    outputs[dataset_dir / CARD_FILE] = dataset_card(counts, dataset_dir)
    rows = {name: [record.data for record in records] for name, records in by_dataset.items()}
    return outputs, counts, rows


def near_duplicate_problems(train_rows: dict[str, list[dict]], test_rows: dict[str, list[dict]]) -> list[Problem]:
    """Test rows whose question and answer one train row (of any dataset) largely repeats (13-gram overlap)."""
    from regllm_lf.evaluation.overlap import NEAR_DUPLICATE, Reference, row_overlaps

    reference = Reference((row["metadata"]["id"], row) for rows in train_rows.values() for row in rows)
    problems = []
    for dataset in all_tasks():
        rows = [(row["metadata"]["id"], row) for row in test_rows.get(dataset.name, [])]
        for item in row_overlaps(rows, reference):
            if item.duplicate >= NEAR_DUPLICATE:
                message = (
                    f"test row {item.id} nearly repeats train row {item.duplicate_of}: {item.duplicate:.0%} of the "
                    f"13-grams of its question and of its answer are in it (limit {NEAR_DUPLICATE:.0%})"
                )
                problems.append(Problem(display_path(dataset.source), 0, "metadata.id", message))
    return problems


def generate_source(task: Task) -> tuple[Path, int]:
    """Write a generated task's source after validating it; returns (path, rows)."""
    records = generated_records(task)
    problems = validate_records(records) + unwritable([task.source])
    if problems:
        raise DataError(problems)
    write_if_changed(task.source, dump_rows([record.data for record in records]))
    return task.source, len(records)


def registration_targets(dataset_dir: Path) -> list[Path]:
    """Where a build registers: the dataset dir, and LLaMA-Board's default ``data`` for our own datasets/."""
    targets = [dataset_dir]
    if dataset_dir.resolve() == project.datasets_dir().resolve():
        # LLaMA-Board's "Data dir" field defaults to `data`: registering there too makes the board,
        # launched from the repository root, list and preview our datasets with no typing.
        targets.append(board_data_dir())
    return targets


def build(
    dataset_dir: Path | None = None, register: bool = True, export: bool = False, create: bool = False
) -> BuildResult:
    """Plan and check everything, then write: split files, generated sources, exports, registrations."""
    from regllm_lf.prepare.spreadsheet_export import planned_exports

    dataset_dir = dataset_dir or project.datasets_dir()
    check_dataset_dir(dataset_dir, create)
    targets = registration_targets(dataset_dir) if register else []
    for info_dir in targets:  # RegistryError here, before any write (and any long work), leaves all as it was
        plan_registration(info_dir, dataset_entries(info_dir, dataset_dir), create)
    outputs, counts, rows = _plan(dataset_dir)
    if export:
        outputs.update(planned_exports(pending=rows))
    problems = unwritable(list(outputs))
    if problems:
        raise DataError(problems)
    result = BuildResult(counts=counts)
    for path, content in outputs.items():
        write_if_changed(path, content)
        result.written.append(path)
    for info_dir in targets:
        path = register_entries(info_dir, dataset_entries(info_dir, dataset_dir), create)
        result.info_path = result.info_path or path
    return result


def dataset_entries(dataset_dir: Path | None = None, data_dir: Path | None = None) -> dict[str, dict]:
    """Our entries for ``dataset_dir``'s dataset_info.json, pointing at split files in ``data_dir``."""
    dataset_dir, data_dir = dataset_dir or project.datasets_dir(), data_dir or project.datasets_dir()
    entries = {
        dataset.entry_name(split): sharegpt_entry(file_name_for(dataset.split_file(split, data_dir), dataset_dir))
        for dataset in all_tasks()
        for split in SPLITS
    }
    entries[DPO_ENTRY] = sharegpt_entry(file_name_for(dpo_file(data_dir), dataset_dir), ranking=True)
    return entries


def register_datasets(dataset_dir: Path | None = None, data_dir: Path | None = None, create: bool = False) -> Path:
    """Register the split files of ``data_dir`` into ``dataset_dir``/dataset_info.json."""
    dataset_dir = dataset_dir or project.datasets_dir()
    return register_entries(dataset_dir, dataset_entries(dataset_dir, data_dir), create)


def generate_dpo(dataset_dir: Path | None = None) -> tuple[Path, int]:
    """Rebuild the splits' preference pairs (validated) and register them; returns (path, pairs)."""
    dataset_dir = dataset_dir or project.datasets_dir()
    outputs, counts = planned_outputs(dataset_dir)
    path = dpo_file(dataset_dir)
    plan_registration(dataset_dir, dataset_entries(dataset_dir, dataset_dir))
    problems = unwritable([path])
    if problems:
        raise DataError(problems)
    write_if_changed(path, outputs[path])
    register_datasets(dataset_dir, dataset_dir)
    return path, counts["dpo"]["train"]
