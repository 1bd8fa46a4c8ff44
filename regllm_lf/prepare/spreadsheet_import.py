"""``regllm-lf import-csv``: write edits made in an exported CSV back into the source files.

The file is read by ``spreadsheet_csv`` (encodings, delimiters, quoting, the export's layout). Rows are
matched by ``id`` (bank figures by bank_id, year and metric: ``spreadsheet_figures``). A cell equal to
what the export wrote is not an edit; an edited cell is parsed into its field's type. Any problem — a
row that cannot be placed, an edit to a derived column, a value that does not parse, an edited source
that does not validate — is reported as ``file:line: column: message`` and nothing is written. Re-importing
an unedited export changes nothing.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from regllm_lf.core.jsonio import Record, read_records, write_atomic
from regllm_lf.core.problems import DataError, Problem, display_path
from regllm_lf.core.row_metadata import rows_text
from regllm_lf.prepare.spreadsheet_csv import CsvRow, CsvTable, read_csv
from regllm_lf.prepare.spreadsheet_export import (
    FINANCIALS_CSV,
    LIST_SEPARATOR,
    MESSAGE_COLUMNS,
    cell,
    message_of,
    qa_columns,
    spreadsheet_tasks,
)
from regllm_lf.tasks.registry import Task


@dataclass
class ImportReport:
    csv_path: Path
    encoding: str = "utf-8"
    target: Path | None = None
    changed: list[str] = field(default_factory=list)
    unchanged: int = 0
    written: bool = False

    def summary(self) -> str:
        lines = [
            f"{display_path(self.csv_path)} ({self.encoding}): {len(self.changed)} row(s) changed, "
            f"{self.unchanged} unchanged"
        ]
        lines += [f"  changed: {identifier}" for identifier in self.changed]
        if self.target is not None:
            lines.append(f"  {'wrote' if self.written else 'nothing written to'} {display_path(self.target)}")
        return "\n".join(lines)


def split_list(value: str) -> list[str]:
    return [item.strip() for item in value.split(LIST_SEPARATOR.strip()) if item.strip()]


def parse_bool(value: str) -> bool | str:
    """``true``/``false`` in any case (spreadsheets write ``TRUE``), Spanish words, 1/0; else the text itself."""
    lowered = value.strip().lower()
    return {"true": True, "verdadero": True, "1": True, "false": False, "falso": False, "0": False}.get(lowered, value)


def _typed(current: Any, text: str) -> Any:
    """The cell's text as the type of the field it replaces (the schema judges the result)."""
    if isinstance(current, list):
        return split_list(text)
    if isinstance(current, bool):
        return parse_bool(text)
    return text


def _edit_messages(updated: dict[str, Any], row: CsvRow, table: CsvTable, problems: list[Problem]) -> None:
    for role in MESSAGE_COLUMNS:
        stored = message_of(updated, role)
        if table.unchanged(row.values[role], stored):
            continue
        lossy = table.lossy_edit(row, role, stored)
        messages = [message for message in updated["messages"] if message["role"] == role]
        if lossy is not None:
            problems.append(lossy)
        elif len(messages) != 1:
            why = f"the row has {len(messages)} {role} messages: edit it in the source file, not in a single cell"
            problems.append(table.problem(row.line, role, why))
        else:
            messages[0]["content"] = row.values[role]


def apply_row(original: dict[str, Any], row: CsvRow, table: CsvTable, task: Task) -> tuple[dict, list[Problem]]:
    """(the row with this CSV row's edits, problems); ``original`` itself is not modified."""
    updated = copy.deepcopy(original)
    problems: list[Problem] = []
    _edit_messages(updated, row, table, problems)
    touched_derived = []
    for column in task.spreadsheet.columns:
        stored = cell(original["metadata"].get(column))
        if table.unchanged(row.values[column], stored):
            continue
        if column not in task.spreadsheet.editable:
            touched_derived.append(column)
            continue
        lossy = table.lossy_edit(row, column, stored)
        if lossy is not None:
            problems.append(lossy)
            continue
        updated["metadata"][column] = _typed(original["metadata"].get(column), row.values[column])
    after_edit = task.hook("after_edit")
    if after_edit is not None:
        updated = after_edit(updated)
    for column in touched_derived:  # fine only when it says what the edit derives anyway
        if not table.unchanged(row.values[column], cell(updated["metadata"].get(column))):
            why = "derived from the row's other cells, so not imported: undo this edit, or edit what it derives from"
            problems.append(table.problem(row.line, column, why))
    return updated, problems


def import_qa_csv(path: Path, task: Task, dry_run: bool, encoding: str | None = None) -> ImportReport:
    from regllm_lf.prepare.domain import DomainRules
    from regllm_lf.prepare.validate import validate_records

    table = read_csv(path, qa_columns(task), encoding)
    source = task.source
    report = ImportReport(path, table.encoding, source)
    problems: list[Problem] = []
    records = read_records(source, problems)
    problems += validate_records(records)  # the source itself must be sound before we place edits in it
    if problems:
        raise DataError(problems)
    position = {record.data["metadata"]["id"]: number for number, record in enumerate(records)}
    seen: dict[str, int] = {}
    updated = [record.data for record in records]
    for row in table.rows:
        identifier = row.values["id"].strip()
        if identifier not in position:
            problems.append(table.problem(row.line, "id", f"unknown id {identifier!r} (rows are matched by id)"))
            continue
        if identifier in seen:
            problems.append(table.problem(row.line, "id", f"{identifier!r} repeats line {seen[identifier]}"))
            continue
        seen[identifier] = row.line
        new_row, row_problems = apply_row(updated[position[identifier]], row, table, task)
        problems += row_problems
        if new_row != updated[position[identifier]]:
            updated[position[identifier]] = new_row
            report.changed.append(identifier)
        else:
            report.unchanged += 1
    if problems:
        raise DataError(problems)
    if report.changed:
        check = [Record(display_path(source), record.line, row) for record, row in zip(records, updated, strict=True)]
        problems = validate_records(check, DomainRules())
        if problems:
            raise DataError(problems)
        if not dry_run:
            write_atomic(source, rows_text(source, updated))
            report.written = True
    return report


def import_csv(path: Path, dry_run: bool = False, encoding: str | None = None) -> ImportReport:
    """Import one exported CSV (which one is told by its file name); DataError lists every problem."""
    if path.name == FINANCIALS_CSV:
        from regllm_lf.prepare.spreadsheet_figures import import_financials_csv

        return import_financials_csv(path, dry_run, encoding)
    sheets = spreadsheet_tasks()
    if path.name in sheets:
        task = sheets[path.name]
        if task.generated:
            why = task.edit_instead or f"{task.name} is generated: edit its sources and run `regllm-lf build`"
            raise DataError([Problem(display_path(path), 1, "file", why)])
        return import_qa_csv(path, task, dry_run, encoding)
    known = ", ".join([FINANCIALS_CSV, *sheets])
    raise DataError([Problem(display_path(path), 1, "file", f"unknown export; expected one of: {known}")])
