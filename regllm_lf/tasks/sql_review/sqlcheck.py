"""Every SQL snippet in the data must parse (sqlglot, DuckDB dialect) and run on the synthetic portfolio.

Snippets come from data files and, in evaluation, from a model's answers: they run sandboxed. Only one
query (SELECT/WITH/UNION...) per snippet; DuckDB with no file, network or extension access (external
access disabled, extensions neither installed nor loaded, Python objects not scanned) and its
configuration locked so a snippet cannot undo that; a memory limit; and a time limit per snippet, kept by
a watchdog thread that interrupts the query — a snippet that needs more is a problem of its row.
"""

from __future__ import annotations

import threading
from functools import cached_property

import duckdb
import sqlglot
from sqlglot.errors import ParseError

from regllm_lf.tasks.sql_review.portfolio import open_portfolio

ROW_LIMIT = 5
TIME_LIMIT_SECONDS = 10.0  # our snippets take milliseconds on the synthetic portfolio
SANDBOX = (
    "SET autoinstall_known_extensions = false",
    "SET autoload_known_extensions = false",
    "SET allow_community_extensions = false",
    "SET python_enable_replacements = false",
    "SET enable_external_access = false",
    "SET memory_limit = '2GB'",
    "SET lock_configuration = true",  # last: nothing above can be SET back by a snippet
)


def sandbox(connection: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """``connection`` with no way out: no files, network, extensions or Python objects; settings locked."""
    for statement in SANDBOX:
        connection.execute(statement)
    return connection


class SqlChecker:
    """Parses and runs snippets on one shared, sandboxed in-memory portfolio (built lazily, once)."""

    def __init__(self, time_limit: float | None = None) -> None:
        self.time_limit = TIME_LIMIT_SECONDS if time_limit is None else time_limit

    @cached_property
    def connection(self) -> duckdb.DuckDBPyConnection:
        return sandbox(open_portfolio())

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
        # A cursor per snippet (only queries reach here: a snippet cannot change what the next one sees),
        # interrupted by the watchdog when it runs past the time limit.
        cursor = self.connection.cursor()
        watchdog = threading.Timer(self.time_limit, cursor.interrupt)
        watchdog.daemon = True
        watchdog.start()
        try:
            cursor.execute(sql.rstrip().rstrip(";")).fetchmany(ROW_LIMIT)
        except duckdb.InterruptException:
            return f"DuckDB did not finish it within {self.time_limit:g} s (the time limit per snippet)"
        except duckdb.Error as error:
            return f"DuckDB cannot run it: {str(error).splitlines()[0]}"
        finally:
            watchdog.cancel()
            cursor.close()
        return None
