"""DuckDB: the default engine, embedded and out of core."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from overt.engine._sql import SOURCE_DIALECT


class DuckDBEngine:
    """Runs detector SQL on DuckDB over the canonical Parquet dataset.

    Parameters
    ----------
    memory_limit:
        DuckDB's memory limit (default: DuckDB's own, 80% of RAM); larger intermediate results spill to
        *temp_directory*.
    threads:
        Worker threads (default: DuckDB's choice, all cores).
    temp_directory:
        Where DuckDB spills; defaults to a folder DuckDB picks.
    """

    name = "duckdb"
    dialect = SOURCE_DIALECT

    def __init__(
        self,
        *,
        memory_limit: str | None = None,
        threads: int | None = None,
        temp_directory: str | os.PathLike[str] | None = None,
    ) -> None:
        self.con = duckdb.connect()
        _session(self.con)
        if memory_limit is not None:
            self.con.execute(f"SET memory_limit = '{_quote(memory_limit)}'")
        # Nothing a detector materialises depends on row order (outputs are sorted when written), and keeping
        # insertion order costs parallelism.
        self.con.execute("SET preserve_insertion_order = false")
        if threads:
            self.con.execute(f"SET threads = {int(threads)}")
        if temp_directory is not None:
            self.con.execute(f"SET temp_directory = '{_quote(str(temp_directory))}'")

    def cursor(self) -> DuckDBEngine:
        """Another engine on the same database, for running detectors side by side in threads.

        It sees the dataset views; its temp tables are its own.
        """
        other = DuckDBEngine.__new__(DuckDBEngine)
        other.con = self.con.cursor()
        _session(other.con)
        return other

    def version(self) -> str:
        return f"duckdb {duckdb.__version__}"

    def attach_dataset(self, dataset_dir: str | os.PathLike[str]) -> None:
        """Expose the dataset's ``posts`` and ``accounts`` Parquet files as views of those names."""
        root = Path(dataset_dir)
        for table in ("posts", "accounts"):
            path = root / f"{table}.parquet"
            self.con.execute(f"CREATE OR REPLACE VIEW {table} AS SELECT * FROM read_parquet({literal(path)})")

    def register(self, name: str, table: pa.Table) -> None:
        """Make an Arrow table (computed outside SQL) queryable as *name*."""
        materialise(self.con, name, table)

    def arrow_from(self, table: pa.Table, sql: str) -> pa.Table:
        """Run *sql*, where ``{table}`` names the Arrow *table*, and return the result."""
        materialise(self.con, "_overt_input", table)
        try:
            return self.arrow(sql.format(table="_overt_input"))
        finally:
            self.con.execute("DROP TABLE IF EXISTS _overt_input")

    def create(self, name: str, sql: str) -> int:
        """Materialise *sql* as temp table *name*; return its row count."""
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS {sql}")
        return int(self.scalar(f"SELECT count(*) FROM {name}"))

    def view(self, name: str, sql: str) -> None:
        self.con.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS {sql}")

    def drop(self, *names: str) -> None:
        for name in names:
            self.con.execute(f"DROP TABLE IF EXISTS {name}")

    def scalar(self, sql: str) -> Any:
        return self.con.execute(sql).fetchall()[0][0]

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        return self.con.execute(sql).fetchall()

    def arrow(self, sql: str) -> pa.Table:
        table: pa.Table = self.con.sql(sql).to_arrow_table()
        return table

    def write_parquet(self, sql: str, path: str | os.PathLike[str]) -> None:
        self.con.execute(f"COPY ({sql}) TO {literal(path)} (FORMAT parquet)")

    def close(self) -> None:
        self.con.close()


def _session(con: duckdb.DuckDBPyConnection) -> None:
    """Per-connection settings every query here assumes."""
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET enable_progress_bar = false")
    con.execute("SET lambda_syntax = 'DISABLE_SINGLE_ARROW'")


def local_connection() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection for small steps on Arrow tables (UTC, no console progress bar)."""
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET enable_progress_bar = false")
    return con


def materialise(con: duckdb.DuckDBPyConnection, name: str, table: pa.Table) -> None:
    """Copy an Arrow table into temp table *name* of *con*.

    A registered Arrow table is scanned afresh by every reference: a query that joins it with itself (a
    cluster table matched at both ends of an edge) took 5 s for 54k edges, against 0.01 s from a table.
    """
    con.register("_overt_arrow", table)
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM _overt_arrow")
    finally:
        con.unregister("_overt_arrow")


def literal(value: str | os.PathLike[str]) -> str:
    """*value* as a SQL string literal, for the statements DuckDB cannot prepare (views, COPY, SET)."""
    return "'" + _quote(str(value)) + "'"


def _quote(value: str) -> str:
    return value.replace("'", "''")
