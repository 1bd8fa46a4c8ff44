"""Snippets known to pass the SQL check (and the regime check of a day and topic), remembered across runs:
``validate`` of unchanged data then needs neither DuckDB, sqlglot nor the portfolio.

A snippet's verdict depends on its text, the schema, the seeded portfolio, the regime constants and the
checker (the code of this folder) and the versions of DuckDB and sqlglot; all of them make up the cache
key, so any change starts a new cache. Only passes are stored: a failing snippet is checked again each time, with its
message. The cache lives in ``$REGLLM_CACHE`` or ``$XDG_CACHE_HOME/regllm-lf`` (``~/.cache/regllm-lf``);
a cache that cannot be read or written is simply not used.
"""

from __future__ import annotations

import hashlib
import os
from functools import cache
from importlib import metadata
from pathlib import Path

from regllm_lf import project

CACHE_VARIABLE = "REGLLM_CACHE"


def cache_dir() -> Path:
    if os.environ.get(CACHE_VARIABLE):
        return Path(os.environ[CACHE_VARIABLE]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "regllm-lf"


@cache
def _key(root: Path) -> str:
    digest = hashlib.sha256()
    for package in ("duckdb", "sqlglot"):
        digest.update(f"{package}=={metadata.version(package)}\n".encode())
    inputs = [root / "data" / "sql" / "schema.sql", root / "data" / "regulation" / "regime_constants.yaml"]
    for path in [*sorted(Path(__file__).parent.glob("*.py")), *inputs]:
        digest.update(path.name.encode() + b"\0" + (path.read_bytes() if path.exists() else b"") + b"\0")
    return digest.hexdigest()[:32]


def _digest(sql: str) -> str:
    return hashlib.sha256(sql.encode("utf-8", "surrogatepass")).hexdigest()[:32]


class PassCache:
    """The passing snippets of one cache key, loaded once and appended to as new ones pass."""

    def __init__(self, root: Path) -> None:
        self.path = cache_dir() / "sql_passes" / f"{_key(root)}.txt"
        try:
            self.passed = set(self.path.read_text(encoding="ascii").split())
        except (OSError, UnicodeDecodeError):
            self.passed = set()

    def __contains__(self, sql: str) -> bool:
        return _digest(sql) in self.passed

    def add(self, sql: str) -> None:
        digest = _digest(sql)
        if digest in self.passed:
            return
        self.passed.add(digest)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="ascii") as stream:  # one short line: appends do not interleave
                stream.write(digest + "\n")
        except OSError:
            pass


@cache
def pass_cache(root: Path) -> PassCache:
    return PassCache(root)


def current() -> PassCache:
    return pass_cache(project.root())
