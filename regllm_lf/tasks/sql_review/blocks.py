"""The fenced ```sql blocks of a text, without importing DuckDB or sqlglot (validation and metrics read
blocks far more often than they run them)."""

from __future__ import annotations

import re

SQL_BLOCK = re.compile(r"```sql[ \t]*\r?\n(.*?)```", re.DOTALL | re.IGNORECASE)


def sql_blocks(text: str) -> list[str]:
    """The contents of every fenced ```sql block in ``text``."""
    return [block.strip() for block in SQL_BLOCK.findall(text)]
