"""Citation index (``data/regulation/index.yaml``) and the parser for canonical citations.

Each index entry is a short title, or a list of dated versions of its wording (``from`` / ``until``)
when the provision changed: ``[CRR, art. 160.1]`` is one citation whose content depends on the date.
A document may carry its own dates (guidelines that apply from a given day).

Canonical form: ``[EBA/GL/2017/16, párrafo 83]`` or ``[CRR, art. 178.1.b]``. The parser also accepts
the looser forms a model writes (``párr.``, ``apartado``, ``artículo``, ``arts.``, ranges ``73-78``,
lists ``73 y 74``) so that evaluation can score free text; the datasets use the canonical form only.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from regllm_lf import project
from regllm_lf.core.problems import DataError
from regllm_lf.core.structured import load_checked
from regllm_lf.tasks.regulation.periods import ALWAYS, Period


def index_path() -> Path:
    return project.data_dir() / "regulation" / "index.yaml"


_BRACKET = re.compile(r"\[([^\[\]\n]{3,120})\]")
_REFERENCE = re.compile(
    r"^\s*(?P<document>.+?)\s*,\s*(?P<unit>párrafos?|párr\.|apartados?|arts?\.|artículos?)\s*(?P<keys>.+?)\s*$",
    re.IGNORECASE,
)
_KEY = r"[A-Z]?\d+(?:\.\d+|\.[a-z](?![a-z]))*"
_RANGE = re.compile(rf"^(?P<start>{_KEY})\s*[-–]\s*(?P<end>{_KEY})$")


@dataclass(frozen=True, order=True)
class Citation:
    document: str
    key: str

    def canonical(self, unit: str) -> str:
        return f"[{self.document}, {unit} {self.key}]"


def _normalise_key(key: str) -> str:
    # "178(1)(b)" and "178.1.b" name the same point.
    key = re.sub(r"\((\w+)\)", r".\1", key.strip())
    return key.rstrip(".")


def _expand_range(start: str, end: str) -> list[str]:
    if start.isdigit() and end.isdigit() and int(start) <= int(end) and int(end) - int(start) <= 200:
        return [str(number) for number in range(int(start), int(end) + 1)]
    return [start, end]


def parse_citations(text: str) -> list[Citation]:
    """Every citation in ``text``, in order of appearance, ranges expanded."""
    found: list[Citation] = []
    for bracket in _BRACKET.finditer(text):
        match = _REFERENCE.match(bracket.group(1))
        if not match:
            continue
        document = " ".join(match.group("document").split())
        for part in re.split(r"\s*,\s*|\s+(?:y|e)\s+", match.group("keys")):
            part = _normalise_key(part)
            if not part:
                continue
            ranged = _RANGE.match(part)
            keys = _expand_range(ranged.group("start"), ranged.group("end")) if ranged else [part]
            found.extend(Citation(document, key) for key in keys)
    return found


def canonical_citations(text: str) -> list[str]:
    """The exact canonical bracket strings in ``text`` (order of first appearance, no repeats)."""
    seen: list[str] = []
    for bracket in _BRACKET.finditer(text):
        if _is_reference(bracket.group(1)) and bracket.group(0) not in seen:
            seen.append(bracket.group(0))
    return seen


@lru_cache(maxsize=4096)
def _is_reference(inside: str) -> bool:
    # The same few hundred provisions are cited row after row: match each bracket's text once.
    return _REFERENCE.match(inside) is not None


@dataclass(frozen=True)
class Version:
    """One wording of a paragraph/article and the period it applies."""

    title: str
    period: Period = ALWAYS


@dataclass(frozen=True)
class RegulationIndex:
    units: dict[str, str]  # document id -> "párrafo" | "art."
    titles: dict[str, str]  # document id -> title
    entries: dict[str, dict[str, tuple[Version, ...]]]  # document id -> key -> its versions
    periods: dict[str, Period] | None = None  # document id -> when the document applies

    def resolves(self, citation: Citation) -> bool:
        return citation.key in self.entries.get(citation.document, {})

    def versions(self, citation: Citation) -> tuple[Version, ...]:
        return self.entries.get(citation.document, {}).get(citation.key, ())

    def in_force(self, citation: Citation, day: dt.date) -> bool:
        """True when the document applies on ``day`` and one version of the key covers it."""
        document = (self.periods or {}).get(citation.document, ALWAYS)
        return document.covers(day) and any(version.period.covers(day) for version in self.versions(citation))

    def title(self, citation: Citation, day: dt.date | None = None) -> str:
        """The entry's title on ``day`` (the latest version without a day); '' when it does not resolve."""
        versions = self.versions(citation)
        if day is not None:
            versions = tuple(version for version in versions if version.period.covers(day))
        return versions[-1].title if versions else ""

    def canonical(self, citation: Citation) -> str:
        return citation.canonical(self.units.get(citation.document, "párrafo"))

    def is_canonical(self, bracket: str) -> bool:
        """True when ``bracket`` is exactly one resolvable citation in the document's own unit."""
        parsed = parse_citations(bracket)
        return len(parsed) == 1 and self.resolves(parsed[0]) and self.canonical(parsed[0]) == bracket

    def unresolved(self, text: str) -> list[str]:
        """Canonical-looking citations in ``text`` that are not exactly in the index."""
        return [bracket for bracket in canonical_citations(text) if not self.is_canonical(bracket)]

    def not_in_force(self, text: str, day: dt.date) -> list[str]:
        """Resolvable citations in ``text`` whose provision does not apply on ``day``."""
        return [
            bracket
            for bracket in canonical_citations(text)
            if self.is_canonical(bracket) and not self.in_force(parse_citations(bracket)[0], day)
        ]


def _versions(value: str | list[dict[str, Any]]) -> tuple[Version, ...]:
    if isinstance(value, str):
        return (Version(value),)
    return tuple(Version(item["title"], Period.of(item)) for item in value)


def load_index(path: Path | None = None) -> RegulationIndex:
    loaded = load_checked(path or index_path(), "regulation_index")
    documents = loaded.data["documents"]
    problems = []
    for position, document in enumerate(documents):
        if not Period.of(document).is_valid():
            problems.append(loaded.problem(("documents", position, "from"), "'from' is after 'until'"))
        for key, value in document["entries"].items():
            periods = [version.period for version in _versions(value)]
            for number, period in enumerate(periods):
                field = ("documents", position, "entries", key, number)
                if not period.is_valid():
                    problems.append(loaded.problem(field, "'from' is after 'until'"))
                if any(period.overlaps(other) for other in periods[number + 1 :]):
                    problems.append(loaded.problem(field, f"versions of {key} overlap in time"))
    if problems:
        raise DataError(problems)
    return RegulationIndex(
        units={document["id"]: document["unit"] for document in documents},
        titles={document["id"]: document["title"] for document in documents},
        entries={
            document["id"]: {str(key): _versions(value) for key, value in document["entries"].items()}
            for document in documents
        },
        periods={document["id"]: Period.of(document) for document in documents},
    )
