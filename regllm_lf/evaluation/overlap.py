"""N-gram overlap between two sets of rows, as lm-evaluation-harness's decontamination measures it.

Texts are lowercased, stripped of punctuation and split on whitespace (the harness's ``Janitor``, with
Unicode punctuation such as ``¿`` and ``«`` removed too), then cut into 13-grams; a text shorter than
13 words is one n-gram of its own length (it overlaps when it appears verbatim inside a reference text).
Two measures per row:

- *pooled share* of each text (question, answer): the share of its n-grams found anywhere in the
  reference — the harness's measure; a row with any is "dirty" there;
- *near-duplicate score*: the best, over single reference rows, of the smallest share of the row's
  texts found in that one row — high only when one reference example repeats the question *and* the
  answer. The build refuses test rows at or above ``NEAR_DUPLICATE``.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

NGRAM = 13
# Pooled shares cannot be the build's gate: templated banking answers reappear inside train rows by design
# (median 0.90, max 1.0) and SQL prompts share schema boilerplate (max 0.96). Near-duplicate scores of
# our test rows reach 0.67 at most (sql-rwa_irb-003 and sql-rwa_irb-006 share the IRB formula code and its
# review); 0.8 leaves that margin and still catches a copied example.
NEAR_DUPLICATE = 0.8
# Rows of other shapes (alpaca, plain Q&A): every string field but these counts as text.
NOT_TEXT_FIELDS = {"id", "metadata", "system", "images", "videos", "audios", "tools"}


def words(text: str) -> list[str]:
    kept = "".join(" " if unicodedata.category(char).startswith("P") else char for char in text.lower())
    return kept.split()


def ngrams(tokens: list[str], size: int) -> set[tuple[str, ...]]:
    return {tuple(tokens[i : i + size]) for i in range(len(tokens) - size + 1)}


def row_texts(row: Any) -> list[tuple[str, str]]:
    """(role, text) pairs of a row: its user and assistant messages, or its string fields."""
    if not isinstance(row, dict):
        return [("text", row)] if isinstance(row, str) else []
    messages = row.get("messages") or row.get("conversations")
    if isinstance(messages, list):
        pairs = []
        for message in messages:
            if isinstance(message, dict):
                role = message.get("role", message.get("from", ""))
                content = message.get("content", message.get("value", ""))
                if role not in ("system",) and isinstance(content, str):
                    pairs.append((str(role), content))
        for key in ("chosen", "rejected"):  # preference pairs
            pairs += [(key, m["content"]) for m in row.get(key) or [] if isinstance(m, dict) and "content" in m]
        return pairs
    return [(key, value) for key, value in row.items() if key not in NOT_TEXT_FIELDS and isinstance(value, str)]


def row_id(row: Any, fallback: str) -> str:
    if isinstance(row, dict):
        metadata = row.get("metadata")
        if isinstance(metadata, dict) and metadata.get("id"):
            return str(metadata["id"])
        if row.get("id"):
            return str(row["id"])
    return fallback


class Reference:
    """A reference set (e.g. train) indexed by n-gram: which of its rows hold each one."""

    def __init__(self, rows: Iterable[tuple[str, Any]], size: int = NGRAM) -> None:
        self.size = size
        self.rows: list[tuple[str, list[list[str]]]] = [
            (identifier, [words(text) for _, text in row_texts(row)]) for identifier, row in rows
        ]
        self._index: dict[int, dict[tuple[str, ...], set[int]]] = {}

    def index(self, size: int) -> dict[tuple[str, ...], set[int]]:
        """n-gram → reference rows holding it; sizes below ``self.size`` only serve short texts."""
        if size not in self._index:
            index: dict[tuple[str, ...], set[int]] = {}
            for number, (_, texts) in enumerate(self.rows):
                for tokens in texts:
                    for gram in ngrams(tokens, size):
                        index.setdefault(gram, set()).add(number)
            self._index[size] = index
        return self._index[size]

    def shares(self, text: str) -> tuple[float, dict[int, float]]:
        """(share of the text's n-grams found anywhere in the reference, share found in each reference row)."""
        tokens = words(text)
        if not tokens:
            return 0.0, {}
        grams = ngrams(tokens, min(self.size, len(tokens)))
        index = self.index(min(self.size, len(tokens)))
        per_row: Counter[int] = Counter()
        found = 0
        for gram in grams:
            holders = index.get(gram)
            if holders:
                found += 1
                per_row.update(holders)
        return found / len(grams), {number: count / len(grams) for number, count in per_row.items()}


@dataclass(frozen=True)
class RowOverlap:
    id: str
    shares: dict[str, float]  # per text (question, answer, or field name): share of n-grams in the reference
    duplicate: float  # the smallest share of its texts found in one single reference row, at best
    duplicate_of: str | None  # that reference row

    @property
    def share(self) -> float:
        return max(self.shares.values(), default=0.0)


def row_overlaps(rows: Iterable[tuple[str, Any]], reference: Reference) -> list[RowOverlap]:
    """Per row: each text's overlap with the reference (pooled, as the harness counts) and how nearly one
    reference row duplicates the whole row (every text of it at once)."""
    found = []
    for identifier, row in rows:
        shares: dict[str, float] = {}
        per_text: list[dict[int, float]] = []
        for role, text in row_texts(row):
            pooled, by_row = reference.shares(text)
            shares[role] = max(pooled, shares.get(role, 0.0))
            per_text.append(by_row)
        best, best_row = 0.0, None
        if per_text:
            for number in set.intersection(*(set(by_row) for by_row in per_text)):
                score = min(by_row[number] for by_row in per_text)
                if score > best or (score == best and best_row is not None and number < best_row):
                    best, best_row = score, number
        duplicate_of = reference.rows[best_row][0] if best_row is not None else None
        found.append(RowOverlap(identifier, shares, best, duplicate_of))
    return found


def _quantiles(values: list[float]) -> dict[str, float]:
    values = sorted(values)
    if not values:
        return {"median": 0.0, "p90": 0.0, "max": 0.0}
    pick = lambda q: values[min(len(values) - 1, int(q * len(values)))]  # noqa: E731 - local shorthand
    return {"median": pick(0.5), "p90": pick(0.9), "max": values[-1]}


def summarise(overlaps: list[RowOverlap], threshold: float) -> dict[str, Any]:
    roles = sorted({role for item in overlaps for role in item.shares})
    return {
        "rows": len(overlaps),
        "rows_with_any_overlap": sum(1 for item in overlaps if item.share > 0),  # the harness's "dirty" rows
        "by_text": {
            role: _quantiles([item.shares[role] for item in overlaps if role in item.shares]) for role in roles
        },
        "near_duplicate": _quantiles([item.duplicate for item in overlaps]),
        "threshold": threshold,
        "near_duplicates": [item.id for item in overlaps if item.duplicate >= threshold],
    }
