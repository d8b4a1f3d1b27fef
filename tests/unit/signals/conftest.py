"""Small hand-made datasets for signal tests: rows given as dicts, every other column left empty."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from overt.engine import DuckDBEngine
from overt.model.schema import ACCOUNTS, POSTS

Engine = Callable[..., DuckDBEngine]


def at(text: str) -> datetime:
    """``'2024-03-04 09:15'`` (or with seconds) as an aware UTC datetime."""
    fmt = "%Y-%m-%d %H:%M:%S" if text.count(":") == 2 else "%Y-%m-%d %H:%M"
    return datetime.strptime(text, fmt).replace(tzinfo=UTC)


def _table(rows: list[dict[str, Any]], schema: pa.Schema, defaults: dict[str, Any]) -> pa.Table:
    full = []
    for i, row in enumerate(rows):
        unknown = set(row) - set(schema.names)
        assert not unknown, f"row {i}: no such column {unknown}"
        values = {name: defaults.get(name) for name in schema.names}
        values.update({k: (at(v) if k == "created_at" and isinstance(v, str) else v) for k, v in row.items()})
        if "post_id" in values and values["post_id"] is None:
            values["post_id"] = f"p{i}"
        full.append(values)
    return pa.Table.from_pylist(full, schema=schema)


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    """Build an engine over given posts, accounts and (optionally) clusters.

    ``engine(posts=[{"account_id": "a", "created_at": "2024-03-04 09:15", "text": "hi"}], accounts=[...],
    clusters={"a": 0, "b": 0})``. Posts default to platform ``test``, kind ``post``, empty lists, a source line.
    """
    made: list[DuckDBEngine] = []

    def build(
        posts: list[dict[str, Any]] = (),  # type: ignore[assignment]
        accounts: list[dict[str, Any]] = (),  # type: ignore[assignment]
        clusters: dict[str, int] | None = None,
    ) -> DuckDBEngine:
        folder = tmp_path / f"ds{len(made)}"
        folder.mkdir()
        post_defaults = {
            "platform": "test",
            "kind": "post",
            "urls": [],
            "domains": [],
            "hashtags": [],
            "mentions": [],
            "media": [],
            "source": {"file": "fixture", "line": 1},
        }
        pq.write_table(_table(list(posts), POSTS.schema, post_defaults), folder / "posts.parquet")
        pq.write_table(_table(list(accounts), ACCOUNTS.schema, {"platform": "test"}), folder / "accounts.parquet")
        eng = DuckDBEngine()
        eng.attach_dataset(folder)
        if clusters is not None:
            eng.register(
                "clusters",
                pa.table({"cluster": pa.array(list(clusters.values()), pa.int64()), "account_id": list(clusters)}),
            )
        made.append(eng)
        return eng

    yield build
    for eng in made:
        eng.close()


MAPPINGS = Path(__file__).resolve().parents[3] / "examples" / "mappings"


@pytest.fixture
def trolls(tmp_path: Path) -> Iterator[Callable[[str], DuckDBEngine]]:
    """An engine over one file of ../shared/data/state_trolls_cch (``ru``, ``iran`` or ``vz``), ingested with the
    repository's mapping; skips when the shared data is absent."""
    from overt import build_dataset

    folder = Path(__file__).resolve().parents[4] / "shared" / "data" / "state_trolls_cch"
    if not folder.is_dir():
        pytest.skip("../shared/data is not present")
    made: list[DuckDBEngine] = []
    files = {"ru": "russian_unseen", "iran": "iranian_unseen", "vz": "vz_unseen"}

    def build(campaign: str) -> DuckDBEngine:
        out = tmp_path / f"trolls-{campaign}"
        build_dataset([folder / f"{files[campaign]}.csv.gz"], out, mapping=MAPPINGS / f"state-trolls-{campaign}.toml")
        eng = DuckDBEngine(threads=1)
        eng.attach_dataset(out)
        made.append(eng)
        return eng

    yield build
    for eng in made:
        eng.close()
