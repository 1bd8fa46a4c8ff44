"""``regllm-lf export``: data/exports/ — the combined JSON and spreadsheet-friendly CSVs.

CSVs are UTF-8 with a BOM (so Excel and LibreOffice show accents) and CRLF line ends, one row per
example keyed by ``id`` so that ``regllm-lf import-csv`` can write edits back.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

from regllm_lf import project
from regllm_lf.core.jsonio import BOM, read_records, write_if_changed
from regllm_lf.core.problems import DataError, Problem
from regllm_lf.core.row_metadata import dump_rows_json
from regllm_lf.tasks.banking_qa.figures import load_figures
from regllm_lf.tasks.registry import Task, all_tasks

LIST_SEPARATOR = "; "


def exports_dir() -> Path:
    return project.data_dir() / "exports"


def message_of(row: dict[str, Any], role: str) -> str:
    return "\n\n".join(m["content"] for m in row["messages"] if m["role"] == role)


def spreadsheet_tasks() -> dict[str, Task]:
    """CSV name -> its task (``spreadsheet`` in task.yaml): metadata columns, then system/user/assistant."""
    return {task.spreadsheet.file: task for task in all_tasks() if task.spreadsheet is not None}


MESSAGE_COLUMNS = ("system", "user", "assistant")
FINANCIALS_CSV = "spanish_banks_financials.csv"
FINANCIALS_COLUMNS = (
    "bank_id",
    "bank",
    "year",
    "metric",
    "value",
    "unit",
    "variant",
    "reporting",
    "definition",
    "document_id",
    "document_title",
    "page",
    "section",
    "url",
)


def cell(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return LIST_SEPARATOR.join(str(item) for item in value)
    return "" if value is None else str(value)


def csv_text(header: tuple[str, ...], rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return BOM + buffer.getvalue()


Rows = dict[str, list[dict[str, Any]]]  # dataset name -> rows, for rows not yet written (a build in progress)


def read_dataset_rows(task: Task, pending: Rows | None = None) -> list[dict[str, Any]]:
    if pending and task.name in pending:
        return pending[task.name]
    problems: list[Problem] = []
    rows = [record.data for record in read_records(task.source, problems)]
    if problems:
        raise DataError(problems)
    return rows


def qa_columns(task: Task) -> tuple[str, ...]:
    """A task's CSV layout: id, its metadata columns, then the messages."""
    return ("id", *task.spreadsheet.columns, *MESSAGE_COLUMNS)


def value_cell(value: float) -> str:
    """A figure's value as the CSV writes it: ``713140``, ``12.61``, ``1e-05`` (read back exactly)."""
    return repr(float(value)).removesuffix(".0")


def qa_csv(task: Task, pending: Rows | None = None) -> str:
    metadata_columns = task.spreadsheet.columns
    rows = [
        [row["metadata"]["id"]]
        + [cell(row["metadata"].get(column)) for column in metadata_columns]
        + [message_of(row, role) for role in MESSAGE_COLUMNS]
        for row in read_dataset_rows(task, pending)
    ]
    return csv_text(qa_columns(task), rows)


def financials_csv() -> str:
    rows = [
        [
            figure.bank_id,
            figure.bank,
            str(figure.year),
            figure.metric,
            value_cell(figure.value),
            figure.unit,
            cell(figure.variant),
            figure.reporting,
            figure.definition,
            figure.document.id,
            figure.document.title,
            cell(figure.page),
            cell(figure.section),
            cell(figure.document.url),
        ]
        for figure in load_figures()
    ]
    return csv_text(FINANCIALS_COLUMNS, rows)


def combined_json(pending: Rows | None = None) -> str:
    return dump_rows_json([row for task in all_tasks() for row in read_dataset_rows(task, pending)])


def planned_exports(out_dir: Path | None = None, pending: Rows | None = None) -> dict[Path, str]:
    """Every export's content by path, computed without writing (``pending``: rows a build will write)."""
    out_dir = exports_dir() if out_dir is None else out_dir
    producers: dict[str, Callable[[], str]] = {
        "combined_training_dataset.json": lambda: combined_json(pending),
        FINANCIALS_CSV: financials_csv,
    }
    for file_name, task in spreadsheet_tasks().items():
        producers[file_name] = lambda task=task: qa_csv(task, pending)
    return {out_dir / file_name: produce() for file_name, produce in producers.items()}


def export_all(out_dir: Path | None = None) -> list[Path]:
    """Write every export (only files whose content changed are rewritten); returns their paths."""
    contents = planned_exports(out_dir)
    for path, content in contents.items():
        write_if_changed(path, content)
    return list(contents)
