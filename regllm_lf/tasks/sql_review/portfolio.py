"""The synthetic loan-level portfolio in DuckDB that every SQL snippet runs against: the tables of
``data/sql/schema.sql`` filled with the seeded rows of ``portfolio_rows``."""

from __future__ import annotations

from pathlib import Path

import duckdb

from regllm_lf import project
from regllm_lf.tasks.sql_review.portfolio_rows import DEFAULT_SEED, build_portfolio_rows

__all__ = ["DEFAULT_SEED", "build_portfolio_rows", "open_portfolio", "portfolio_schema_path"]


def portfolio_schema_path() -> Path:
    return project.data_dir() / "sql" / "schema.sql"


def open_portfolio(seed: int = DEFAULT_SEED, schema_path: Path | None = None) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection holding the schema and the seeded portfolio."""
    connection = duckdb.connect(":memory:")
    connection.execute((schema_path or portfolio_schema_path()).read_text(encoding="utf-8"))
    for table, rows in build_portfolio_rows(seed).items():
        if not rows:
            continue
        # A DataFrame insert is ~50x faster than executemany for the 11k-row snapshot table; pandas is
        # imported here, not at module load (1 s): most commands never build the portfolio.
        import pandas

        frame = pandas.DataFrame(rows)  # noqa: F841 - read by DuckDB's replacement scan below
        connection.execute(f"INSERT INTO {table} SELECT * FROM frame")
    return connection
