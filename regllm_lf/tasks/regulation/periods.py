"""Periods of application: a rule, a paragraph's wording or a finding is true from one date until another.

Both ends are inclusive and optional (``None``: since always / still in force). Dates are ISO strings
in the data files (quoted in YAML, so that they stay strings) and ``datetime.date`` here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any


def parse_date(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


@dataclass(frozen=True)
class Period:
    start: dt.date | None = None
    end: dt.date | None = None

    @classmethod
    def of(cls, item: dict[str, Any]) -> Period:
        """The period of a data item with optional ``from`` / ``until`` fields."""
        start, end = item.get("from"), item.get("until")
        return cls(parse_date(start) if start else None, parse_date(end) if end else None)

    def covers(self, day: dt.date) -> bool:
        return (self.start is None or self.start <= day) and (self.end is None or day <= self.end)

    def is_valid(self) -> bool:
        return self.start is None or self.end is None or self.start <= self.end

    def overlaps(self, other: Period) -> bool:
        return (self.end is None or other.start is None or other.start <= self.end) and (
            other.end is None or self.start is None or self.start <= other.end
        )

    def describe(self) -> str:
        """Spanish wording for messages and exports: 'desde 2025-01-01', 'hasta 2024-12-31', ..."""
        if self.start and self.end:
            return f"del {self.start.isoformat()} al {self.end.isoformat()}"
        if self.start:
            return f"desde el {self.start.isoformat()}"
        if self.end:
            return f"hasta el {self.end.isoformat()}"
        return "sin límite de fechas"


ALWAYS = Period()
