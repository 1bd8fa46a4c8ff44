"""Bank figure sources: ``data/processed/<bank>/<bank>_<year>.json`` and ``data/banks_urls.json``.

Every figure must name a document listed for its bank in banks_urls.json; any problem stops the
generator with the file, line and field, and nothing is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from regllm_lf import project
from regllm_lf.core.problems import DataError, Problem
from regllm_lf.core.structured import load_checked


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


@dataclass(frozen=True)
class Figure:
    bank_id: str
    bank: str
    year: int
    metric: str
    value: float
    unit: str
    definition: str
    reporting: str
    variant: str | None
    document: Document
    page: int | None
    section: str | None
    path: str

    def source_text(self) -> str:
        where = []
        if self.section:
            where.append(f"apartado «{self.section}»")
        if self.page:
            where.append(f"pág. {self.page}")
        text = f"{self.document.title}" + (f", {', '.join(where)}" if where else "")
        return text + (f" ({self.document.url})" if self.document.url else "")


def load_documents(path: Path | None = None) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Document]]]:
    """(banks' entries, documents by bank id and document id)."""
    loaded = load_checked(path or banks_urls_path(), "banks_urls")
    documents: dict[str, dict[str, Document]] = {}
    for bank_id, bank in loaded.data["banks"].items():
        documents[bank_id] = {
            item["id"]: Document(item["id"], item["title"], item["year"], item.get("url")) for item in bank["documents"]
        }
    return loaded.data["banks"], documents


def bank_files(processed_dir: Path | None = None) -> list[Path]:
    return sorted((processed_dir or processed_folder()).glob("*/*_[0-9][0-9][0-9][0-9].json"))


def load_figures(processed_dir: Path | None = None, urls_path: Path | None = None) -> list[Figure]:
    """Every figure of every bank file, sorted by bank, year and metric; DataError lists all problems."""
    urls_path = urls_path or banks_urls_path()
    problems: list[Problem] = []
    figures: list[Figure] = []
    try:
        _, documents = load_documents(urls_path)
    except DataError as error:
        raise DataError(error.problems) from None
    for path in bank_files(processed_dir):
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
        for metric, item in data["metrics"].items():
            source = item["source"]
            document = documents.get(data["bank_id"], {}).get(source["document_id"])
            if document is None:
                problems.append(
                    loaded.problem(
                        ("metrics", metric, "source", "document_id"),
                        f"{source['document_id']!r} is not a document of {data['bank_id']!r} in {urls_path.name}",
                    )
                )
                continue
            figures.append(
                Figure(
                    data["bank_id"],
                    data["bank"],
                    data["year"],
                    metric,
                    item["value"],
                    item["unit"],
                    item["definition"],
                    item["reporting"],
                    item.get("variant"),
                    document,
                    source.get("page"),
                    source.get("section"),
                    loaded.shown,
                )
            )
    if problems:
        raise DataError(problems)
    return sorted(figures, key=lambda figure: (figure.bank_id, figure.year, figure.metric))
