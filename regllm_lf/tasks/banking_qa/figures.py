"""Bank figure sources: ``data/processed/<bank>/<bank>_<year>.json`` and ``data/banks_urls.json``.

A bank-year file holds, per tracked metric, either a figure or a gap (what was searched and not
found). A figure is the value *as originally reported* in that year's results (``original``) or, when
only a later report gave it, as that report shows it (``restated``); ``restatements`` add the value a
later report shows for the same figure — the basis for year-on-year changes. Every value names a
document listed for its bank in banks_urls.json. Any problem stops the load with file, line and field.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from regllm_lf import project
from regllm_lf.core.problems import DataError, Problem, display_path
from regllm_lf.core.spanish_numbers import decimals_of
from regllm_lf.core.structured import StructuredFile, load_checked

TRACKED_METRICS = (
    "total_assets",
    "net_attributable_profit",
    "cet1_ratio",
    "roe",
    "rote",
    "npl_ratio",
    "npl_coverage_ratio",
    "cost_to_income",
)
FILE_NAME = re.compile(r"^(?P<bank>[a-z0-9_]+)_(?P<year>\d{4})\.json$")


def processed_folder() -> Path:
    return project.data_dir() / "processed"


def banks_urls_path() -> Path:
    return project.data_dir() / "banks_urls.json"


@dataclass(frozen=True)
class Document:
    id: str
    title: str
    year: int
    url: str | None
    kind: str = "banco"


@dataclass(frozen=True)
class Figure:
    """One value of one metric for one bank and year, from one document."""

    bank_id: str
    bank: str
    year: int
    metric: str
    value: float
    unit: str
    definition: str
    reporting: str  # "original" (that year's results) or "restated" (a later report)
    variant: str | None
    document: Document
    page: int | None
    section: str | None
    path: str
    decimals: int = 0
    note: str | None = None
    restatements: tuple[Figure, ...] = field(default=())

    def source_text(self) -> str:
        where = []
        if self.section:
            where.append(f"apartado «{self.section}»")
        if self.page:
            where.append(f"pág. {self.page}")
        text = f"{self.document.title}" + (f", {', '.join(where)}" if where else "")
        return text + (f" ({self.document.url})" if self.document.url else "")

    def values(self) -> tuple[Figure, ...]:
        """This figure and every restatement of it."""
        return (self, *self.restatements)


@dataclass(frozen=True)
class Gap:
    bank_id: str
    bank: str
    year: int
    metric: str
    searched: str


@dataclass(frozen=True)
class BankData:
    figures: list[Figure]
    gaps: list[Gap]
    banks: dict[str, str]  # bank id -> name, for every bank with a file
    years: list[int]  # every year some bank file covers


def load_documents(path: Path | None = None) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Document]]]:
    """(banks' entries, documents by bank id and document id)."""
    loaded = load_checked(path or banks_urls_path(), "banks_urls")
    documents: dict[str, dict[str, Document]] = {}
    problems = []
    for bank_id, bank in loaded.data["banks"].items():
        documents[bank_id] = {}
        for index, item in enumerate(bank["documents"]):
            if item["id"] in documents[bank_id]:
                problems.append(loaded.problem(("banks", bank_id, "documents", index, "id"), "duplicate document id"))
            documents[bank_id][item["id"]] = Document(
                item["id"], item["title"], item["year"], item.get("url"), item["kind"]
            )
    if problems:
        raise DataError(problems)
    return loaded.data["banks"], documents


def bank_files(processed_dir: Path | None = None) -> tuple[list[Path], list[Problem]]:
    """Every ``<bank>/<bank>_<year>.json``, and a problem for anything else inside a bank folder."""
    folder = processed_dir or processed_folder()
    files, problems = [], []
    for bank_folder in sorted(path for path in folder.iterdir() if path.is_dir()) if folder.is_dir() else []:
        for path in sorted(bank_folder.iterdir()):
            match = FILE_NAME.match(path.name)
            if path.is_file() and match and match["bank"] == bank_folder.name:
                files.append(path)
                continue
            expected = f"{bank_folder.name}_<year>.json (year in four digits)"
            problems.append(Problem(display_path(path), 0, "file", f"not a bank figure file: expected {expected}"))
    return files, problems


def _finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _decimals(loaded: StructuredFile, field: tuple, value: float) -> int:
    """Decimals as written in the file (``3.0`` has one), so 3,0 % is not shown as 3 %."""
    text = loaded.scalar_text(field) or ""
    if re.fullmatch(r"-?\d+\.\d+", text):
        return len(text.split(".")[1])
    return decimals_of(value)


class _FileReader:
    """Turns one checked bank-year file into figures and gaps, collecting every problem."""

    def __init__(self, loaded: StructuredFile, documents: dict[str, Document], urls_name: str) -> None:
        self.loaded, self.documents, self.urls_name = loaded, documents, urls_name
        self.data = loaded.data
        self.problems: list[Problem] = []

    def _document(self, field: tuple, source: dict[str, Any]) -> Document | None:
        document = self.documents.get(source["document_id"])
        if document is None:
            message = f"{source['document_id']!r} is not a document of {self.data['bank_id']!r} in {self.urls_name}"
            self.problems.append(self.loaded.problem((*field, "source", "document_id"), message))
        return document

    def _basis_problem(self, field: tuple, reporting: str, document: Document) -> None:
        year = self.data["year"]
        if reporting == "original" and document.year != year:
            message = f"an original figure comes from a {year} document, not {document.id!r} ({document.year})"
        elif reporting == "restated" and document.year <= year:
            message = f"a restated figure comes from a report after {year}, not {document.id!r} ({document.year})"
        else:
            return
        self.problems.append(self.loaded.problem((*field, "reporting"), message))

    def figure(self, metric: str, item: dict[str, Any]) -> Figure | None:
        field = ("metrics", metric)
        if item.get("confirmed") is False:
            where = item.get("extracted", {})
            found = f" (found by `reports extract` in {where['file']}, p. {where['page']})" if where else ""
            message = f'unconfirmed figure{found}: check it against the source and set "confirmed": true'
            self.problems.append(self.loaded.problem((*field, "confirmed"), message))
        for index, value in enumerate([item["value"]] + [r["value"] for r in item.get("restatements", [])]):
            if not _finite(value):
                where = (*field, "value") if index == 0 else (*field, "restatements", index - 1, "value")
                self.problems.append(self.loaded.problem(where, f"{value!r} is not a finite number"))
                return None
        document = self._document(field, item["source"])
        if document is None:
            return None
        self._basis_problem(field, item["reporting"], document)
        primary = self._make(metric, item, item["value"], item["reporting"], document, item["source"], field)
        restatements, seen = [], {document.id}
        for index, restated in enumerate(item.get("restatements", [])):
            where = (*field, "restatements", index)
            later = self._document(where, restated["source"])
            if later is None:
                continue
            if later.year <= self.data["year"] or later.id in seen:
                why = "a report after the figure's year" if later.year <= self.data["year"] else "another document"
                message = f"a restatement comes from {why}: {later.id!r} ({later.year})"
                self.problems.append(self.loaded.problem((*where, "source", "document_id"), message))
                continue
            seen.add(later.id)
            figure = self._make(metric, item, restated["value"], "restated", later, restated["source"], where)
            restatements.append(replace(figure, note=restated.get("note")))
        return replace(primary, restatements=tuple(restatements))

    def _make(
        self,
        metric: str,
        item: dict[str, Any],
        value: float,
        reporting: str,
        document: Document,
        source: dict[str, Any],
        field: tuple,
    ) -> Figure:
        return Figure(
            self.data["bank_id"],
            self.data["bank"],
            self.data["year"],
            metric,
            value,
            item["unit"],
            item["definition"],
            reporting,
            item.get("variant"),
            document,
            source.get("page"),
            source.get("section"),
            self.loaded.shown,
            _decimals(self.loaded, (*field, "value"), value),
            item.get("note"),
        )

    def gaps(self) -> list[Gap]:
        metrics, gaps = self.data["metrics"], self.data.get("gaps", {})
        for metric in TRACKED_METRICS:
            if metric in metrics and metric in gaps:
                message = "is both a figure and a gap: drop the gap or the figure"
                self.problems.append(self.loaded.problem(("gaps", metric), message))
            elif metric not in metrics and metric not in gaps:
                message = f"{metric!r} is neither a figure nor a gap: add it, or record under gaps what was searched"
                self.problems.append(self.loaded.problem(("metrics",), message))
        data = self.data
        return [
            Gap(data["bank_id"], data["bank"], data["year"], metric, gaps[metric]["searched"])
            for metric in TRACKED_METRICS
            if metric in gaps and metric not in metrics
        ]


def load_bank_data(processed_dir: Path | None = None, urls_path: Path | None = None) -> BankData:
    """Every figure (sorted by bank, year, metric) and gap of every bank file; DataError lists all problems."""
    urls_path = urls_path or banks_urls_path()
    _, documents = load_documents(urls_path)
    paths, problems = bank_files(processed_dir)
    figures: list[Figure] = []
    gaps: list[Gap] = []
    banks: dict[str, str] = {}
    years: set[int] = set()
    for path in paths:
        try:
            loaded = load_checked(path, "bank_figures")
        except DataError as error:
            problems += error.problems
            continue
        data = loaded.data
        expected = f"{data['bank_id']}_{data['year']}.json"
        if path.name != expected or path.parent.name != data["bank_id"]:
            problems.append(loaded.problem(("bank_id",), f"file must be {data['bank_id']}/{expected}"))
            continue
        if data["bank_id"] not in documents:
            problems.append(loaded.problem(("bank_id",), f"{data['bank_id']!r} is not a bank in {urls_path.name}"))
            continue
        reader = _FileReader(loaded, documents[data["bank_id"]], urls_path.name)
        for metric, item in data["metrics"].items():
            figure = reader.figure(metric, item)
            if figure is not None:
                figures.append(figure)
        gaps += reader.gaps()
        problems += reader.problems
        banks[data["bank_id"]] = data["bank"]
        years.add(data["year"])
    if problems:
        raise DataError(problems)
    figures.sort(key=lambda figure: (figure.bank_id, figure.year, figure.metric))
    return BankData(figures, gaps, banks, sorted(years))


def load_figures(processed_dir: Path | None = None, urls_path: Path | None = None) -> list[Figure]:
    return load_bank_data(processed_dir, urls_path).figures
