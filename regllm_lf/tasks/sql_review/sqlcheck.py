"""Every SQL snippet in the data must parse (sqlglot, DuckDB dialect) and run on the synthetic portfolio."""

from __future__ import annotations

import re
from functools import cached_property

import duckdb
import sqlglot
from sqlglot.errors import ParseError

from regllm_lf.tasks.sql_review.portfolio import open_portfolio

_SQL_BLOCK = re.compile(r"```sql[ \t]*\r?\n(.*?)```", re.DOTALL | re.IGNORECASE)
ROW_LIMIT = 5


def sql_blocks(text: str) -> list[str]:
    """The contents of every fenced ```sql block in ``text``."""
    return [block.strip() for block in _SQL_BLOCK.findall(text)]


class SqlChecker:
    """Parses and runs snippets on one shared in-memory portfolio (built lazily, once)."""

    @cached_property
    def connection(self) -> duckdb.DuckDBPyConnection:
        return open_portfolio()

    def problem(self, sql: str) -> str | None:
        """Why ``sql`` fails, or None when it parses and runs."""
        try:
            statements = [statement for statement in sqlglot.parse(sql, read="duckdb") if statement is not None]
        except ParseError as error:
            return f"sqlglot cannot parse it: {str(error).splitlines()[0]}"
        if len(statements) != 1:
            return f"expected one statement, found {len(statements)}"
        if statements[0].key not in ("select", "union", "with", "intersect", "except"):
            return f"only queries are allowed, found {statements[0].key.upper()}"
        try:
            # A read-only cursor per snippet: a query cannot change what the next one sees.
            cursor = self.connection.cursor()
            cursor.execute(sql.rstrip().rstrip(";")).fetchmany(ROW_LIMIT)
        except duckdb.Error as error:
            return f"DuckDB cannot run it: {str(error).splitlines()[0]}"
        return None
