"""Reading a canonical dataset folder from Python."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from overt.errors import DatasetError
from overt.ingest.manifest import MANIFEST_VERSION, Manifest
from overt.model.schema import TABLES

if TYPE_CHECKING:
    import pyarrow as pa


class Dataset:
    """A canonical dataset folder written by ``overt ingest``.

    Tables are read lazily through DuckDB: :meth:`table` gives a DuckDB relation (filter, join and aggregate
    without loading everything), :meth:`arrow`, :meth:`to_pandas` and :meth:`to_polars` load a table.

    Examples
    --------
    >>> ds = read_dataset("dataset")  # doctest: +SKIP
    >>> ds.table("posts").filter("kind = 'repost'").count("*").fetchone()  # doctest: +SKIP
    """

    def __init__(self, path: Path, manifest: Manifest, connection: duckdb.DuckDBPyConnection) -> None:
        self.path = path
        self.manifest = manifest
        self.connection = connection

    def __repr__(self) -> str:
        counts = ", ".join(f"{name}={n:,}" for name, n in self.manifest.tables.items())
        return f"<Dataset {str(self.path)!r}: {counts}>"

    @property
    def tables(self) -> list[str]:
        """Names of the tables present in this dataset."""
        return [name for name in TABLES if (self.path / f"{name}.parquet").exists()]

    def table(self, name: str) -> duckdb.DuckDBPyRelation:
        """The table *name* (``posts``, ``accounts``, ``labels`` or ``rejects``) as a DuckDB relation."""
        if name not in TABLES:
            raise DatasetError(f"Unknown table {name!r}; expected one of {', '.join(TABLES)}.")
        file = self.path / f"{name}.parquet"
        if not file.exists():
            raise DatasetError(f"{self.path}: has no {name} table (the input carried no {name}).")
        return self.connection.read_parquet(str(file))

    @property
    def posts(self) -> duckdb.DuckDBPyRelation:
        return self.table("posts")

    @property
    def accounts(self) -> duckdb.DuckDBPyRelation:
        return self.table("accounts")

    @property
    def labels(self) -> duckdb.DuckDBPyRelation:
        return self.table("labels")

    @property
    def rejects(self) -> duckdb.DuckDBPyRelation:
        return self.table("rejects")

    def arrow(self, name: str) -> pa.Table:
        """Table *name* as a PyArrow table with the canonical schema."""
        import pyarrow.parquet as pq

        self.table(name)  # validates the name and presence
        return pq.read_table(self.path / f"{name}.parquet", schema=TABLES[name].schema)

    def to_pandas(self, name: str) -> Any:
        """Table *name* as a pandas DataFrame (needs ``pandas``)."""
        return self.arrow(name).to_pandas()

    def to_polars(self, name: str) -> Any:
        """Table *name* as a polars DataFrame (needs ``polars``)."""
        import polars as pl

        return pl.from_arrow(self.arrow(name))


def read_dataset(path: str | os.PathLike[str]) -> Dataset:
    """Open the dataset folder *path* written by ``overt ingest``.

    Raises
    ------
    DatasetError
        When *path* is not a dataset folder, or was written by an incompatible version of overt.
    """
    folder = Path(path)
    manifest_file = folder / "manifest.json"
    if not manifest_file.exists():
        raise DatasetError(f"{folder}: not a dataset folder (no manifest.json). Create one with `overt ingest`.")
    manifest = Manifest.read(manifest_file)
    if manifest.manifest_version != MANIFEST_VERSION:
        raise DatasetError(
            f"{folder}: written with manifest version {manifest.manifest_version} (overt "
            f"{manifest.overt_version}); this overt reads version {MANIFEST_VERSION}. Re-run `overt ingest` "
            "on the original inputs to rebuild it."
        )
    connection = duckdb.connect()
    connection.execute("SET TimeZone = 'UTC'")
    return Dataset(folder, manifest, connection)
