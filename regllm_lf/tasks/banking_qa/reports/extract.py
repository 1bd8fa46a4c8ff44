"""Candidate values for each tracked metric in a bank's report (PDF), with page and line.

pdfplumber gives each page's text line by line; a line naming a metric (``report_labels.yaml``) gives
the first number after the name — Spanish (``5.787``, ``12,2 %``) or English style, read by the one
number parser. Tables put the current year first, so the first number is the candidate. When the name
ends a line and the number opens the next (running text wrapped by the layout), the two lines are read
together. A draft bank-year file marks every figure ``"confirmed": false``: ``validate`` and ``build``
refuse it until a person has checked each value against the page and set it to true.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from regllm_lf.core.problems import DataError, Problem, display_path
from regllm_lf.core.spanish_numbers import parse_figures
from regllm_lf.tasks.banking_qa.figures import TRACKED_METRICS

AMOUNTS = {"total_assets", "net_attributable_profit"}


@dataclass(frozen=True)
class Candidate:
    metric: str
    value: float
    unit: str
    page: int
    line: str  # the text the value came from (two lines joined by " ⏎ " when split)


def metric_labels() -> dict[str, tuple[re.Pattern[str], re.Pattern[str] | None]]:
    text = resources.files("regllm_lf.tasks.banking_qa").joinpath("report_labels.yaml").read_text("utf-8")
    labels = {}
    for metric, entry in yaml.safe_load(text).items():
        include = re.compile("|".join(f"(?:{p})" for p in entry["patterns"]), re.IGNORECASE)
        exclude = entry.get("exclude")
        labels[metric] = (include, re.compile("|".join(exclude), re.IGNORECASE) if exclude else None)
    return labels


def _number_after(text: str, start: int, metric: str) -> tuple[float, str] | None:
    """The first figure after ``start`` that fits the metric (an amount, or a ratio in %)."""
    # Table columns are separated by spaces, which the parser would read as thousands separators
    # ("631.003 607.167"): keep columns apart.
    for figure in parse_figures(re.sub(r"(?<=\d) (?=\d)", "  ", text[start:])):
        if metric in AMOUNTS and figure.unit in ("millones EUR", ""):
            return figure.value, "millones EUR"
        if metric not in AMOUNTS and figure.unit in ("%", "") and 0 <= figure.value <= 1000:
            return figure.value, "%"
    return None


def candidates_in_lines(lines: list[str], page: int) -> list[Candidate]:
    found = []
    labels = metric_labels()
    for index, line in enumerate(lines):
        for metric, (include, exclude) in labels.items():
            match = include.search(line)
            if not match or (exclude and exclude.search(line)):
                continue
            number = _number_after(line, match.end(), metric)
            text = line.strip()
            if number is None and index + 1 < len(lines):  # the name ends this line, the figure opens the next
                joined = f"{line} {lines[index + 1]}"
                number = _number_after(joined, match.end(), metric)
                text = f"{line.strip()} ⏎ {lines[index + 1].strip()}"
            if number is not None:
                found.append(Candidate(metric, number[0], number[1], page, text))
    return found


def extract_candidates(pdf: Path) -> list[Candidate]:
    """Every candidate in the PDF, in page and line order; DataError when the file is not a readable PDF."""
    import pdfplumber  # noqa: PLC0415 (pdfminer is slow to import; only this command needs it)
    from pdfminer.pdfparser import PDFSyntaxError  # noqa: PLC0415
    from pdfplumber.utils.exceptions import MalformedPDFException, PdfminerException  # noqa: PLC0415

    shown = display_path(pdf)
    if not pdf.is_file():
        raise DataError([Problem(shown, 0, "file", "no such file")])
    try:
        with pdfplumber.open(pdf) as document:
            return [
                candidate
                for number, page in enumerate(document.pages, start=1)
                for candidate in candidates_in_lines((page.extract_text() or "").splitlines(), number)
            ]
    except (PdfminerException, MalformedPDFException, PDFSyntaxError, ValueError, KeyError, TypeError) as error:
        raise DataError([Problem(shown, 0, "file", f"not a readable PDF ({type(error).__name__})")]) from None


def table(candidates: list[Candidate]) -> str:
    """A plain-text table: metric, value (Spanish style), page, source line."""
    from regllm_lf.core.spanish_numbers import format_figure  # noqa: PLC0415

    rows = [("métrica", "valor", "pág.", "línea")]
    rows += [(c.metric, format_figure(c.value, c.unit), str(c.page), c.line) for c in candidates]
    widths = [max(len(row[column]) for row in rows) for column in range(3)]
    return "\n".join(
        "  ".join(cell.ljust(widths[column]) for column, cell in enumerate(row[:3])) + "  " + row[3] for row in rows
    )


def _variant(line: str) -> str:
    lowered = line.lower()
    if "fully" in lowered:
        return "fully loaded"
    return "phased-in" if "phased" in lowered or "phase-in" in lowered else "no indicada"


def draft(
    candidates: list[Candidate], pdf: Path, bank_id: str, bank: str, year: int, document_id: str
) -> dict[str, Any]:
    """A bank-year file: the first candidate of each metric, unconfirmed; metrics without one are gaps."""
    first: dict[str, Candidate] = {}
    for candidate in candidates:
        first.setdefault(candidate.metric, candidate)
    metrics: dict[str, Any] = {}
    for metric in TRACKED_METRICS:
        if metric not in first:
            continue
        found = first[metric]
        figure: dict[str, Any] = {"value": found.value, "unit": found.unit}
        if metric == "cet1_ratio":
            figure["variant"] = _variant(found.line)
        figure |= {
            "definition": f"BORRADOR: escribir la definición que da el banco (candidato de la línea «{found.line}»)",
            "reporting": "original",
            "confirmed": False,
            "extracted": {"file": pdf.name, "page": found.page, "line": found.line},
            "source": {"document_id": document_id, "page": found.page},
        }
        metrics[metric] = figure
    searched = f"`regllm-lf reports extract` en {pdf.name}: ningún candidato; buscar a mano en el documento"
    gaps = {metric: {"searched": searched} for metric in TRACKED_METRICS if metric not in metrics}
    data = {"bank_id": bank_id, "bank": bank, "year": year, "scope": "Grupo consolidado", "metrics": metrics}
    return data | ({"gaps": gaps} if gaps else {})


def draft_text(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
