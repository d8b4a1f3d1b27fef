from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from overt import build_dataset, read_dataset
from overt.ingest.formats import Head, Options, Reader
from overt.ingest.sniff import read_head

TESTS = Path(__file__).parent
DATA = TESTS / "data"
SHARED_DATA = TESTS.parent.parent / "shared" / "data"


@pytest.fixture
def shared_data() -> Path:
    """../shared/data, or skip the test when it is absent (a clone outside the workspace)."""
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is not present")
    return SHARED_DATA


@pytest.fixture
def ingest(tmp_path: Path):
    """Ingest files into a fresh dataset folder and return the opened Dataset."""
    counter = iter(range(1_000))

    def run(*inputs: str | Path, **options):
        out = tmp_path / f"dataset{next(counter)}"
        build_dataset([str(i) for i in inputs], out, **options)
        return read_dataset(out)

    return run


def rows(relation: duckdb.DuckDBPyRelation) -> list[dict]:
    """All rows of a relation as dicts."""
    return relation.to_arrow_table().to_pylist()


def by_id(relation: duckdb.DuckDBPyRelation, key: str = "post_id") -> dict[str, dict]:
    """Rows of a relation keyed by *key*."""
    return {r[key]: r for r in rows(relation)}


def head_of(value: object) -> Head:
    """A sniffing head holding just a parsed JSON value."""
    return Head(path=Path("inline.json"), text="", columns=None, delimiter=None, json=value)


def staged_rows(reader: Reader, path: Path) -> list[dict]:
    """Staging rows of *path* as *reader* hands them to the pipeline (before normalisation)."""
    return reader.stage(read_head(path), duckdb.connect(), Options()).relation.to_arrow_table().to_pylist()
