"""``regllm-lf import-csv``: write edits made in an exported CSV back into the source files.

Accepts what LibreOffice and Excel save: comma, semicolon or tab delimiters, with or without a BOM,
CRLF line ends, decimal commas. Rows are matched by ``id`` (bank figures by bank_id, year and
metric); a row that cannot be placed is reported and nothing is added or dropped. The edited
sources are validated before anything is written. Re-importing an unedited export changes nothing.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from regllm_lf.core.jsonio import BOM, Record, dump_json, dump_jsonl, read_records, write_atomic
from regllm_lf.core.problems import DataError, Problem, display_path
from regllm_lf.core.schema import field_path, schema_errors
from regllm_lf.core.spanish_numbers import parse_quantity
from regllm_lf.prepare.spreadsheet_export import FINANCIALS_CSV, LIST_SEPARATOR, MESSAGE_COLUMNS, spreadsheet_tasks
from regllm_lf.tasks.registry import Task


@dataclass
class ImportReport:
    csv_path: Path
    target: Path | None = None
    changed: list[str] = field(default_factory=list)
    unchanged: int = 0
    unplaced: list[str] = field(default_factory=list)
    written: bool = False

    def summary(self) -> str:
        lines = [f"{display_path(self.csv_path)}: {len(self.changed)} row(s) changed, {self.unchanged} unchanged"]
        lines += [f"  changed: {identifier}" for identifier in self.changed]
        lines += [f"  NOT PLACED: {reason}" for reason in self.unplaced]
        if self.target is not None:
            lines.append(f"  {'wrote' if self.written else 'nothing written to'} {display_path(self.target)}")
        return "\n".join(lines)


def read_csv(path: Path) -> list[tuple[int, dict[str, str]]]:
    """(line, row) pairs; the delimiter is sniffed from the header line."""
    text = path.read_bytes().decode("utf-8-sig", errors="strict")
    text = text.removeprefix(BOM)
    header = text.splitlines()[0] if text else ""
    delimiter = max((",", ";", "\t"), key=header.count)
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows = []
    for row in reader:
        rows.append((reader.line_num, {key: (value or "").replace("\r\n", "\n") for key, value in row.items() if key}))
    return rows


def _split_list(value: str) -> list[str]:
    return [item.strip() for item in value.split(LIST_SEPARATOR.strip()) if item.strip()]


def _parse_bool(value: str) -> bool | str:
    lowered = value.strip().lower()
    return {"true": True, "verdadero": True, "1": True, "false": False, "falso": False, "0": False}.get(lowered, value)


def _apply_qa_edits(row: dict[str, Any], values: dict[str, str], task: Task) -> dict[str, Any]:
    updated = json.loads(json.dumps(row))
    for role in MESSAGE_COLUMNS:
        if role not in values:
            continue
        messages = [m for m in updated["messages"] if m["role"] == role]
        if len(messages) == 1:
            messages[0]["content"] = values[role]
    for column in task.spreadsheet.editable:  # the other columns are derived or informative
        if column not in values:
            continue
        current = updated["metadata"].get(column)
        if isinstance(current, list):
            updated["metadata"][column] = _split_list(values[column])
        elif isinstance(current, bool):
            updated["metadata"][column] = _parse_bool(values[column])
        else:
            updated["metadata"][column] = values[column]
    after_edit = task.hook("after_edit")
    return after_edit(updated) if after_edit is not None else updated


def import_qa_csv(path: Path, task: Task, dry_run: bool) -> ImportReport:
    from regllm_lf.prepare.domain import DomainRules
    from regllm_lf.prepare.validate import validate_records

    source = task.source
    report = ImportReport(path, source)
    problems: list[Problem] = []
    records = read_records(source, problems)
    if problems:
        raise DataError(problems)
    position = {record.data["metadata"]["id"]: number for number, record in enumerate(records)}
    seen: set[str] = set()
    updated = [record.data for record in records]
    for line, values in read_csv(path):
        identifier = values.get("id", "").strip()
        if identifier not in position or identifier in seen:
            why = "unknown id" if identifier not in position else "id repeated in the CSV"
            report.unplaced.append(f"{display_path(path)}:{line}: id: {why} {identifier!r}")
            continue
        seen.add(identifier)
        new_row = _apply_qa_edits(updated[position[identifier]], values, task)
        if new_row != updated[position[identifier]]:
            updated[position[identifier]] = new_row
            report.changed.append(identifier)
        else:
            report.unchanged += 1
    if report.changed:
        check = [Record(display_path(source), record.line, row) for record, row in zip(records, updated, strict=True)]
        problems = validate_records(check, DomainRules())
        if problems:
            raise DataError(problems)
        if not dry_run:
            write_atomic(source, dump_jsonl(updated) if source.suffix == ".jsonl" else dump_json(updated))
            report.written = True
    return report


def import_financials_csv(path: Path, dry_run: bool) -> ImportReport:
    from regllm_lf.tasks.banking_qa.figures import processed_folder

    processed = processed_folder()
    report = ImportReport(path, processed)
    files: dict[Path, dict[str, Any]] = {}
    originals: dict[Path, str] = {}
    for line, values in read_csv(path):
        bank_id, year, metric = values.get("bank_id", ""), values.get("year", ""), values.get("metric", "")
        file_path = processed / bank_id / f"{bank_id}_{year}.json"
        if file_path not in files and file_path.is_file():
            originals[file_path] = file_path.read_text(encoding="utf-8")
            files[file_path] = json.loads(originals[file_path])
        figure = files.get(file_path, {}).get("metrics", {}).get(metric)
        if figure is None:
            report.unplaced.append(f"{display_path(path)}:{line}: metric: no figure {bank_id}/{year}/{metric}")
            continue
        edited = dict(figure)
        try:
            edited["value"] = parse_quantity(values.get("value", ""))
        except ValueError:
            report.unplaced.append(f"{display_path(path)}:{line}: value: not a number {values.get('value')!r}")
            continue
        for column in ("definition", "reporting", "unit"):
            if values.get(column):
                edited[column] = values[column]
        if values.get("variant"):
            edited["variant"] = values["variant"]
        if edited != figure and edited["value"] == figure["value"] and isinstance(figure["value"], float):
            edited["value"] = figure["value"]
        if edited != figure:
            files[file_path]["metrics"][metric] = edited
            report.changed.append(f"{bank_id}/{year}/{metric}")
        else:
            report.unchanged += 1
    changed_files = {p: data for p, data in files.items() if json.dumps(data) != json.dumps(json.loads(originals[p]))}
    problems = [
        Problem(display_path(file_path), 1, field_path(field), message)
        for file_path, data in changed_files.items()
        for field, message in schema_errors("bank_figures", data)
    ]
    if problems:
        raise DataError(problems)
    if changed_files and not dry_run:
        for file_path, data in changed_files.items():
            write_atomic(file_path, dump_json(data))
        report.written = True
    return report


def import_csv(path: Path, dry_run: bool = False) -> ImportReport:
    if path.name == FINANCIALS_CSV:
        return import_financials_csv(path, dry_run)
    sheets = spreadsheet_tasks()
    if path.name in sheets:
        task = sheets[path.name]
        if task.generated:
            why = task.edit_instead or f"{task.name} is generated: edit its sources and run `regllm-lf build`"
            raise DataError([Problem(display_path(path), 1, "file", why)])
        return import_qa_csv(path, task, dry_run)
    known = ", ".join([FINANCIALS_CSV, *sheets])
    raise DataError([Problem(display_path(path), 1, "file", f"unknown export; expected one of: {known}")])
