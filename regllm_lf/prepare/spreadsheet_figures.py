"""Edits of ``spanish_banks_financials.csv`` written back into ``data/processed/<bank>/<bank>_<year>.json``.

A row is placed by bank_id, year and metric. Editable: value, unit, variant, reporting, definition and
the source (document_id, page, section); ``bank``, ``document_title`` and ``url`` come from the bank file
and ``data/banks_urls.json`` and are edited there. Values are read by the one Spanish-number parser:
``713.140`` is 713140 for an amount in millions (how our answers write it), while a ratio in % refuses
a value such as ``12,345`` (twelve thousand? twelve point three?) and says how to write it. A cell whose
text reads as the stored value either way is not an edit (a spreadsheet may rewrite ``12.345`` as
``12,345``). Only the edited figures' text changes in the bank files; everything else stays byte for byte.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from regllm_lf.core.jsonio import dump_json, loads_strict, object_members, read_text, write_atomic
from regllm_lf.core.problems import DataError, Problem, display_path
from regllm_lf.core.schema import field_path, schema_errors
from regllm_lf.core.spanish_numbers import AmbiguousNumber, parse_number, parse_quantity
from regllm_lf.prepare.spreadsheet_csv import CsvRow, CsvTable, read_csv
from regllm_lf.prepare.spreadsheet_export import FINANCIALS_COLUMNS, cell, value_cell
from regllm_lf.prepare.spreadsheet_import import ImportReport

TEXT_COLUMNS = ("unit", "variant", "reporting", "definition")
SOURCE_COLUMNS = ("document_id", "page", "section")
DERIVED_COLUMNS = {"bank": "the bank file", "document_title": "data/banks_urls.json", "url": "data/banks_urls.json"}
OPTIONAL = ("variant", "page", "section")  # an emptied cell removes the field
_BANK_ID = re.compile(r"[a-z0-9_]+")
_YEAR = re.compile(r"\d{4}")


@dataclass
class BankFile:
    path: Path
    text: str
    data: dict[str, Any]
    lines: dict[str, int] = field(default_factory=dict)  # metric -> CSV line of its edit


def parse_value(text: str, stored: float, unit: str) -> int | float:
    """The CSV's value for a figure in ``unit``; ValueError with a message a user can act on."""
    try:
        readings = {parse_number(text, "thousands"), parse_number(text, "decimal")}
    except ValueError:
        raise ValueError(f"not a finite number: {text!r}") from None
    if stored in readings:
        return stored
    try:
        return parse_quantity(text, "refuse" if unit == "%" else "thousands")
    except AmbiguousNumber:
        shown = text.strip()
        raise ValueError(
            f"{shown!r} is ambiguous for a ratio in %: a thousands separator or a decimal point? "
            f"write {shown}0 for three decimals"
        ) from None


def _page(text: str) -> int | str | None:
    """A page number (``12``, or ``12.0`` as a spreadsheet may write it); other text is left to the schema."""
    if not text.strip():
        return None
    try:
        page = parse_quantity(text)
    except ValueError:
        return text
    return int(page) if float(page).is_integer() else page


def stored_cells(data: dict[str, Any], metric: str, documents: dict[str, Any]) -> dict[str, str]:
    """What the export wrote for this figure, column by column."""
    figure = data["metrics"][metric]
    source = figure["source"]
    document = documents.get(data["bank_id"], {}).get(source["document_id"])
    return {
        "bank": data["bank"],
        "value": value_cell(figure["value"]),
        **{column: cell(figure.get(column)) for column in TEXT_COLUMNS},
        **{column: cell(source.get(column)) for column in SOURCE_COLUMNS},
        "document_title": document.title if document else "",
        "url": cell(document.url) if document else "",
    }


def _set(target: dict[str, Any], column: str, value: Any) -> None:
    if value in ("", None) and column in OPTIONAL:
        target.pop(column, None)
    else:
        target[column] = value


def edit_figure(
    data: dict[str, Any], row: CsvRow, table: CsvTable, documents: dict[str, Any], problems: list[Problem]
) -> dict[str, Any]:
    """The figure of ``row`` with its edits applied (problems appended, never raised)."""
    metric = row.values["metric"]
    figure = copy.deepcopy(data["metrics"][metric])
    stored = stored_cells(data, metric, documents)
    edited = [c for c in FINANCIALS_COLUMNS if c in stored and not table.unchanged(row.values[c], stored[c])]
    for column in edited:
        lossy = table.lossy_edit(row, column, stored[column])
        text = row.values[column]
        if lossy is not None:
            problems.append(lossy)
        elif column in TEXT_COLUMNS:
            _set(figure, column, text)
        elif column == "page":
            _set(figure["source"], column, _page(text))
        elif column in SOURCE_COLUMNS:
            _set(figure["source"], column, text)
    if "value" in edited:
        try:
            figure["value"] = parse_value(row.values["value"], figure["value"], figure["unit"])
        except ValueError as error:
            problems.append(table.problem(row.line, "value", str(error)))
    document = documents.get(data["bank_id"], {}).get(figure["source"]["document_id"])
    if "document_id" in edited and document is None:
        why = f"{figure['source']['document_id']!r} is not a document of {data['bank_id']!r} in data/banks_urls.json"
        problems.append(table.problem(row.line, "document_id", why))
    follows = {
        "bank": data["bank"],
        "document_title": document.title if document else "",
        "url": cell(document.url) if document else "",
    }
    for column, where in DERIVED_COLUMNS.items():
        if column in edited and row.values[column] != follows[column]:
            problems.append(table.problem(row.line, column, f"not editable here: edit it in {where}"))
    return figure


def splice_figure(text: str, metric: str, figure: dict[str, Any]) -> str:
    """``text`` with only the figure of ``metric`` re-rendered (indented as a member of ``metrics``)."""
    members, _ = object_members(text)
    metrics = next(member for member in members if member.key == "metrics")
    inner, _ = object_members(text, metrics.value_start)
    target = next(member for member in inner if member.key == metric)
    rendered = json.dumps(figure, ensure_ascii=False, indent=2, allow_nan=False).replace("\n", "\n    ")
    return text[: target.value_start] + rendered + text[target.value_end :]


def _bank_file(path: Path, files: dict[Path, BankFile], problems: list[Problem]) -> BankFile | None:
    if path not in files:
        text = read_text(path, problems)
        if text is None:
            return None
        files[path] = BankFile(path, text, loads_strict(text))  # sound: load_figures read it just before
    return files[path]


def import_financials_csv(path: Path, dry_run: bool, encoding: str | None = None) -> ImportReport:
    from regllm_lf.tasks.banking_qa.figures import load_documents, load_figures, processed_folder

    table = read_csv(path, FINANCIALS_COLUMNS, encoding)
    load_figures()  # the sources must be sound before edits are placed in them (DataError otherwise)
    _, documents = load_documents()
    processed = processed_folder()
    report = ImportReport(path, table.encoding, processed)
    files: dict[Path, BankFile] = {}
    problems: list[Problem] = []
    seen: dict[tuple[str, str, str], int] = {}
    for row in table.rows:
        key = bank_id, year, metric = tuple(row.values[column].strip() for column in ("bank_id", "year", "metric"))
        if not _BANK_ID.fullmatch(bank_id) or not _YEAR.fullmatch(year):
            problems.append(table.problem(row.line, "bank_id", f"no bank file for {bank_id!r} and year {year!r}"))
            continue
        if key in seen:
            problems.append(table.problem(row.line, "metric", f"{'/'.join(key)} repeats line {seen[key]}"))
            continue
        seen[key] = row.line
        bank_path = processed / bank_id / f"{bank_id}_{year}.json"
        bank = _bank_file(bank_path, files, problems) if bank_path.is_file() else None
        if bank is None or metric not in bank.data["metrics"]:
            why = f"no figure {bank_id}/{year}/{metric} (new figures are added in data/processed/, not here)"
            problems.append(table.problem(row.line, "metric", why))
            continue
        row = CsvRow(row.line, {**row.values, "metric": metric})
        figure = edit_figure(bank.data, row, table, documents, problems)
        if figure != bank.data["metrics"][metric]:
            bank.data["metrics"][metric] = figure
            bank.lines[metric] = row.line
            bank.text = splice_figure(bank.text, metric, figure)
            report.changed.append("/".join(key))
        else:
            report.unchanged += 1
    changed = [bank for bank in files.values() if bank.lines]
    for bank in changed:
        for where, message in schema_errors("bank_figures", bank.data):
            line = bank.lines.get(where[1], 0) if len(where) > 1 and where[0] == "metrics" else 0
            column = str(where[-1]) if line and len(where) > 2 else field_path(where)
            problems.append(table.problem(line, column, f"{message} (in {display_path(bank.path)})"))
    if problems:
        raise DataError(problems)
    if changed and not dry_run:
        for bank in changed:
            # The splice keeps hand formatting; should it ever disagree with the data, the data wins.
            text = bank.text if loads_strict(bank.text) == bank.data else dump_json(bank.data)
            write_atomic(bank.path, text)
        report.written = True
    return report
