"""The task registry: one folder per dataset, read from its ``task.yaml`` descriptor.

A task folder holds ``task.yaml`` (source file, splits, spreadsheet columns, metrics),
``metadata.schema.json`` (what its rows' ``metadata`` must hold) and optionally ``hooks.py`` with the
Python only code can say: ``generate_rows``, ``row_problems``, ``score``, ``negatives``, ``after_edit``.
Built-in tasks live beside this module; more folders come from ``$REGLLM_TASKS`` (``os.pathsep``
separated) or ``register_task_dir``. No code outside a task folder branches on a task's name.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path
from types import ModuleType
from typing import Any

from regllm_lf import project
from regllm_lf.core.problems import DataError, Problem, display_path
from regllm_lf.core.schema import check_document

SPLITS = ("train", "test")
TASKS_VARIABLE = "REGLLM_TASKS"
BUILTIN_FOLDER = Path(__file__).resolve().parent
ENTRY_PREFIX = "regllm_"


@dataclass(frozen=True)
class Metric:
    name: str
    dataset: str
    description: str
    higher_is_better: bool = True
    aggregation: str = "mean"  # mean of the per-row scores that apply


@dataclass(frozen=True)
class Spreadsheet:
    file: str  # the CSV's name in data/exports/
    columns: tuple[str, ...]  # metadata columns after ``id``; message columns follow
    editable: tuple[str, ...]  # metadata columns whose edits import-csv writes back


@dataclass(frozen=True)
class Task:
    name: str  # metadata.dataset of its rows
    title: str
    source_path: str  # relative to the project root
    generated: bool  # True when ``generate_rows`` writes the source from other files
    folder: Path
    citations_required: bool = False
    spreadsheet: Spreadsheet | None = None
    edit_instead: str = ""  # for generated tasks: what to edit instead of the generated rows
    metrics: tuple[Metric, ...] = ()
    metadata_schema: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def source(self) -> Path:
        return project.root() / self.source_path

    def split_file(self, split: str, dataset_dir: Path | None = None) -> Path:
        return (dataset_dir or project.datasets_dir()) / f"{ENTRY_PREFIX}{self.name}_{split}.jsonl"

    def entry_name(self, split: str) -> str:
        return f"{ENTRY_PREFIX}{self.name}_{split}"

    @cached_property
    def hooks(self) -> ModuleType | None:
        path = self.folder / "hooks.py"
        if not path.is_file():
            return None
        if path.resolve().is_relative_to(BUILTIN_FOLDER):
            return importlib.import_module(f"regllm_lf.tasks.{self.folder.name}.hooks")
        spec = importlib.util.spec_from_file_location(f"regllm_task_{self.name}_hooks", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module

    def hook(self, name: str) -> Callable[..., Any] | None:
        return getattr(self.hooks, name, None) if self.hooks is not None else None


def load_task(folder: Path) -> Task:
    """A task from ``folder/task.yaml``; DataError naming the file, line and field otherwise."""
    from regllm_lf.core.structured import load_checked

    loaded = load_checked(folder / "task.yaml", "task")
    data = loaded.data
    schema_path = folder / data.get("metadata_schema", "metadata.schema.json")
    metadata_schema = load_checked(schema_path, None).data if schema_path.is_file() else {"type": "object"}
    problems = [Problem(display_path(schema_path), 1, "schema", message) for message in check_document(metadata_schema)]
    if problems:
        raise DataError(problems)
    sheet = data.get("spreadsheet")
    return Task(
        name=data["name"],
        title=data["title"],
        source_path=data["source"],
        generated=data.get("generated", False),
        folder=folder,
        citations_required=data.get("citations_required", False),
        spreadsheet=Spreadsheet(sheet["file"], tuple(sheet["columns"]), tuple(sheet.get("editable", ())))
        if sheet
        else None,
        edit_instead=data.get("edit_instead", ""),
        metrics=tuple(
            Metric(
                metric["name"],
                data["name"],
                metric["description"],
                metric.get("higher_is_better", True),
                metric.get("aggregation", "mean"),
            )
            for metric in data.get("metrics", [])
        ),
        metadata_schema=metadata_schema,
    )


@cache
def _load_folder(folder: Path) -> Task:
    return load_task(folder)


_registered: list[Path] = []


def register_task_dir(folder: Path | str) -> Task:
    """Add a task folder outside the package (also possible with $REGLLM_TASKS)."""
    path = Path(folder).resolve()
    task = _load_folder(path)
    if path not in _registered:
        _registered.append(path)
    return task


@cache
def builtin_tasks() -> tuple[Task, ...]:
    """The three shipped datasets, in their fixed order (recipes and exports list them so)."""
    return tuple(_load_folder(BUILTIN_FOLDER / name) for name in ("sql_review", "banking_qa", "regulation"))


def all_tasks() -> tuple[Task, ...]:
    """Built-in tasks, then registered folders, then $REGLLM_TASKS (read on every call: tests change it)."""
    return _tasks_for(tuple(_registered), os.environ.get(TASKS_VARIABLE, ""))


def tasks_by_name() -> dict[str, Task]:
    return _by_name(tuple(_registered), os.environ.get(TASKS_VARIABLE, ""))


@cache
def _by_name(registered: tuple[Path, ...], variable: str) -> dict[str, Task]:
    return {task.name: task for task in _tasks_for(registered, variable)}


@cache
def _tasks_for(registered: tuple[Path, ...], variable: str) -> tuple[Task, ...]:
    extra = [Path(item).resolve() for item in variable.split(os.pathsep) if item]
    tasks = list(builtin_tasks())
    for folder in [*registered, *extra]:
        task = _load_folder(folder)
        if task.name in {existing.name for existing in tasks}:
            if task.folder not in {existing.folder for existing in tasks}:
                raise DataError([Problem(display_path(folder / "task.yaml"), 1, "name", f"task {task.name!r} exists")])
            continue
        tasks.append(task)
    return tuple(tasks)


def task_named(name: str) -> Task:
    task = tasks_by_name().get(name)
    if task is not None:
        return task
    known = ", ".join(task.name for task in all_tasks())
    raise KeyError(f"unknown dataset {name!r}; known: {known}")


def source_files() -> list[Path]:
    return [task.source for task in all_tasks()]


def all_metrics() -> list[Metric]:
    return [metric for task in all_tasks() for metric in task.metrics]
