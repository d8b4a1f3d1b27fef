"""The engine scans and signals run on: one place that turns SQL into tables.

Detectors and signals write their queries once, in DuckDB's SQL dialect restricted to constructs SQLGlot can transpile
(joins, aggregates, window functions, ``unnest``, list functions with a Spark equivalent). The engine runs
them; DuckDB executes them directly, out of core (spilling to a temp folder under a memory limit). Another
engine runs the same strings through :func:`transpile` for its dialect, so no detector is rewritten per
engine. :func:`transpile` is also what the tests use to check that every detector's SQL stays portable.

Engines:

* :class:`DuckDBEngine` (default): embedded, out of core, no server.
* :class:`~overt.engine.spark.SparkEngine` (``overt[spark]``): the same SQL on Apache Spark, local or on a
  cluster; imported lazily (``from overt.engine.spark import SparkEngine``) so that DuckDB users never load
  pyspark.

Both have the interface of :class:`Engine`.
"""

from __future__ import annotations

import os
import re
from typing import Any, Protocol

import pyarrow as pa

from overt.engine._duckdb import DuckDBEngine, local_connection, materialise
from overt.engine._duckdb import literal as literal
from overt.engine._sql import SOURCE_DIALECT, transpile

__all__ = [
    "SOURCE_DIALECT",
    "DuckDBEngine",
    "Engine",
    "is_remote",
    "literal",
    "local_connection",
    "materialise",
    "transpile",
]

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


def is_remote(path: str | os.PathLike[str]) -> bool:
    """Whether *path* is a Hadoop URI only a cluster reads (``s3a://``, ``abfss://``, ``gs://``, ``hdfs://``),
    rather than a local folder (a plain path or a ``file://`` URL)."""
    text = str(path)
    return bool(_SCHEME.match(text)) and not text.startswith("file://")


class Engine(Protocol):
    """What a scan needs of an engine: named tables from SQL, and results as Arrow."""

    name: str
    dialect: str

    def cursor(self) -> Engine:
        """Another engine on the same data, for running detectors side by side in threads."""
        ...

    def version(self) -> str: ...

    def attach_dataset(self, dataset_dir: str | os.PathLike[str]) -> None:
        """Expose the dataset's ``posts`` and ``accounts`` as views of those names."""
        ...

    def register(self, name: str, table: pa.Table) -> None:
        """Make an Arrow table queryable as *name*."""
        ...

    def arrow_from(self, table: pa.Table, sql: str) -> pa.Table:
        """Run *sql*, where ``{table}`` names the Arrow *table*."""
        ...

    def create(self, name: str, sql: str) -> int:
        """Materialise *sql* as table *name*; return its row count."""
        ...

    def view(self, name: str, sql: str) -> None: ...

    def drop(self, *names: str) -> None:
        """Drop tables (made by :meth:`create` or :meth:`register`) and views; absent names are fine."""
        ...

    def scalar(self, sql: str) -> Any: ...

    def rows(self, sql: str) -> list[tuple[Any, ...]]: ...

    def arrow(self, sql: str) -> pa.Table: ...

    def write_parquet(self, sql: str, path: str | os.PathLike[str]) -> None:
        """Write the result of *sql* as one Parquet file, in its row order."""
        ...

    def close(self) -> None: ...
