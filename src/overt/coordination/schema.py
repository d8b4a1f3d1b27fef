"""The tables a scan writes, defined once: per-detector edges, their evidence, the fused network and clusters."""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

_TS = pa.timestamp("us", tz="UTC")


def _schema(fields: list[pa.Field[Any]]) -> pa.Schema:
    return pa.schema(fields)


#: ``edges/<detector>.parquet``. Undirected detectors write each pair once with ``account_a < account_b``;
#: directed profiles (``cnt``) write ``account_a -> account_b``.
EDGES = _schema(
    [
        pa.field("detector", pa.string(), nullable=False),
        pa.field("account_a", pa.string(), nullable=False),
        pa.field("account_b", pa.string(), nullable=False),
        # The detector's edge weight: shared items (co-action detectors), a similarity (similarity detectors),
        # or the peer tool's own weight under a compatibility profile.
        pa.field("weight", pa.float64(), nullable=False),
        pa.field("n_shared_items", pa.int64()),
        # Co-action pairs behind the edge (one item acted on twice by a counts twice).
        pa.field("n_pairs", pa.int64()),
        pa.field("first_at", _TS),
        pa.field("last_at", _TS),
        # On how many shared items each side acted first (who leads, who follows).
        pa.field("a_first", pa.int64()),
        pa.field("b_first", pa.int64()),
        # The null model: expected co-actions by chance, the tail probability of what was seen, and the
        # Benjamini-Hochberg adjusted value over every possible pair of active accounts.
        pa.field("expected", pa.float64()),
        pa.field("p_value", pa.float64()),
        pa.field("q_value", pa.float64()),
        # Up to a few example item keys; the full list is in evidence/<detector>.parquet.
        pa.field("items", pa.list_(pa.string())),
    ]
)

#: ``evidence/<detector>.parquet``: one row per co-action behind a kept edge.
EVIDENCE = _schema(
    [
        pa.field("detector", pa.string(), nullable=False),
        pa.field("account_a", pa.string(), nullable=False),
        pa.field("account_b", pa.string(), nullable=False),
        pa.field("item", pa.string()),
        pa.field("a_post_id", pa.string()),
        pa.field("a_at", _TS),
        pa.field("b_post_id", pa.string()),
        pa.field("b_at", _TS),
    ]
)

#: ``network.parquet``: the fused multi-trace network (undirected, ``account_a < account_b``).
NETWORK = _schema(
    [
        pa.field("account_a", pa.string(), nullable=False),
        pa.field("account_b", pa.string(), nullable=False),
        pa.field("weight", pa.float64(), nullable=False),
        pa.field("traces", pa.list_(pa.string())),
        pa.field("n_traces", pa.int64()),
        pa.field("n_shared_items", pa.int64()),
        pa.field("first_at", _TS),
        pa.field("last_at", _TS),
        pa.field("q_value", pa.float64()),
    ]
)

#: ``clusters.parquet``: one row per account in a cluster.
CLUSTERS = _schema(
    [
        pa.field("cluster", pa.int64(), nullable=False),
        pa.field("account_id", pa.string(), nullable=False),
        pa.field("role", pa.string()),
        pa.field("centrality", pa.float64()),
        pa.field("degree", pa.int64()),
        pa.field("strength", pa.float64()),
    ]
)


def seconds_to_timestamps(column: pa.ChunkedArray[Any] | pa.Array[Any]) -> pa.Array[Any] | pa.ChunkedArray[Any]:
    """Whole seconds since 1970 as the schemas' UTC timestamps."""
    return pc.multiply(column.cast(pa.int64()), 1_000_000).cast(_TS)


def profile_edges(
    detector: str,
    account_a: pa.ChunkedArray[Any],
    account_b: pa.ChunkedArray[Any],
    weight: pa.ChunkedArray[Any],
    n_shared_items: pa.ChunkedArray[Any] | None = None,
    first_at: pa.Array[Any] | pa.ChunkedArray[Any] | None = None,
    last_at: pa.Array[Any] | pa.ChunkedArray[Any] | None = None,
) -> pa.Table:
    """An EDGES table for a peer-tool profile: its weights, no null model, no evidence columns."""
    n = len(account_a)
    ts = pa.timestamp("us", tz="UTC")
    columns: dict[str, Any] = {
        "detector": pa.array([detector] * n, pa.string()),
        "account_a": account_a.cast(pa.string()),
        "account_b": account_b.cast(pa.string()),
        "weight": weight.cast(pa.float64()),
        "n_shared_items": (n_shared_items if n_shared_items is not None else weight).cast(pa.int64()),
        "n_pairs": pa.nulls(n, pa.int64()),
        "first_at": first_at if first_at is not None else pa.nulls(n, ts),
        "last_at": last_at if last_at is not None else pa.nulls(n, ts),
        "a_first": pa.nulls(n, pa.int64()),
        "b_first": pa.nulls(n, pa.int64()),
        "expected": pa.nulls(n, pa.float64()),
        "p_value": pa.nulls(n, pa.float64()),
        "q_value": pa.nulls(n, pa.float64()),
        "items": pa.nulls(n, pa.list_(pa.string())),
    }
    return pa.table(columns).cast(EDGES)
