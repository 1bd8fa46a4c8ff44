"""Deterministic train/test split: an example's split is a function of its id alone.

Each id is hashed (SHA-256) to a number in [0, 1); below ``test_share`` it goes to test. Adding or
removing examples never moves another one. Hashing each id independently samples every topic at the
same rate (stratified in expectation), and the salt below was picked so that every topic with at least
five rows has rows in both splits.
"""

from __future__ import annotations

import hashlib
from typing import Any

TEST_SHARE = 0.2
# Chosen once, among the salts that put every topic of at least five rows on both sides of the split
# with a 15-25 % test share per dataset; the split stays a function of the id alone.
SALT = "regllm-lf-split-v1078"


def hash_unit(identifier: str, salt: str = SALT) -> float:
    digest = hashlib.sha256(f"{salt}:{identifier}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def split_of(identifier: str, test_share: float = TEST_SHARE) -> str:
    return "test" if hash_unit(identifier) < test_share else "train"


def split_rows(rows: list[dict[str, Any]], test_share: float = TEST_SHARE) -> dict[str, list[dict[str, Any]]]:
    """Rows by split, keeping their source order within each split."""
    result: dict[str, list[dict[str, Any]]] = {"train": [], "test": []}
    for row in rows:
        result[split_of(row["metadata"]["id"], test_share)].append(row)
    return result


def _texts(row: dict[str, Any]) -> list[str]:
    return [" ".join(m["content"].split()).lower() for m in row["messages"] if m["role"] != "system"]


def leaked_rows(split: dict[str, list[dict[str, Any]]]) -> list[tuple[str, str]]:
    """(test id, train id) pairs where a test question or answer also appears in train."""
    seen: dict[str, str] = {}
    for row in split["train"]:
        for text in _texts(row):
            seen.setdefault(text, row["metadata"]["id"])
    leaks = []
    for row in split["test"]:
        for text in _texts(row):
            if text in seen:
                leaks.append((row["metadata"]["id"], seen[text]))
    return leaks


def pick(options: list[Any], row_id: str, salt: str) -> Any:
    """A deterministic choice among ``options``: a hash of the row id, so rebuilding changes nothing."""
    return options[int(hash_unit(row_id, salt) * len(options))]
