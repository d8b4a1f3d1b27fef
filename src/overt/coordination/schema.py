"""The tables a scan writes, defined once: per-detector edges, their evidence, the fused network and clusters."""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from overt.model.schema import Column, Table, markdown

_STR = pa.string()
_INT = pa.int64()
_FLOAT = pa.float64()
_LIST = pa.list_(pa.string())
_TS = pa.timestamp("us", tz="UTC")

_A = (
    "First account of the pair. Undirected traces write each pair once with `account_a < account_b`; the `cnt` "
    "profile writes directed edges `account_a -> account_b`, as the toolkit does."
)
_B = "Second account of the pair."

EDGE_TABLE = Table(
    "edges/<detector>",
    "The kept edges of one detector (trace): pairs of accounts that co-acted more often than chance predicts.",
    (
        Column("detector", _STR, "The detector that found the edge.", True),
        Column("account_a", _STR, _A, True),
        Column("account_b", _STR, _B, True),
        Column(
            "weight",
            _FLOAT,
            "Co-action detectors: co-acting posts (the fewer of the two sides' distinct posts), the tested "
            "statistic. Similarity detectors: the cosine similarity. Profiles: the peer tool's own weight.",
            True,
        ),
        Column("n_shared_items", _INT, "Distinct items (post, link, hashtag, text, ...) both acted on."),
        Column("n_pairs", _INT, "Co-acting pairs of actions behind the edge (one item acted on twice counts twice)."),
        Column("first_at", _TS, "Earliest co-action of the pair."),
        Column("last_at", _TS, "Latest co-action of the pair."),
        Column("a_first", _INT, "Shared items on which `account_a` acted first (it leads)."),
        Column("b_first", _INT, "Shared items on which `account_b` acted first."),
        Column("expected", _FLOAT, "Co-actions chance predicts for the pair under the null model."),
        Column("p_value", _FLOAT, "Probability of a weight at least this large by chance."),
        Column(
            "q_value",
            _FLOAT,
            "Benjamini-Hochberg adjusted p-value over every possible pair of the detector's active accounts; "
            "edges are kept when it is at most `--alpha`.",
        ),
        Column("items", _LIST, "Up to five shared items, earliest first; all of them are in the evidence."),
    ),
)

EVIDENCE_TABLE = Table(
    "evidence/<detector>",
    "Every co-action behind a kept edge: which item tied the two accounts, through which posts, when.",
    (
        Column("detector", _STR, "The detector.", True),
        Column("account_a", _STR, _A, True),
        Column("account_b", _STR, _B, True),
        Column("item", _STR, "The shared item: a post id, a URL, a hashtag, a normalised text, a feature."),
        Column("a_post_id", _STR, "`account_a`'s post."),
        Column("a_at", _TS, "When `account_a` posted it."),
        Column("b_post_id", _STR, "`account_b`'s post."),
        Column("b_at", _TS, "When `account_b` posted it."),
    ),
)

NETWORK_TABLE = Table(
    "network",
    "The fused multi-trace network, undirected (`account_a < account_b`): each trace's weights are divided by "
    "that trace's largest weight and summed over the traces that saw the pair.",
    (
        Column("account_a", _STR, "First account of the pair.", True),
        Column("account_b", _STR, "Second account of the pair.", True),
        Column("weight", _FLOAT, "Fused weight: at most 1 per trace.", True),
        Column("traces", _LIST, "Detectors that kept the pair, sorted."),
        Column("n_traces", _INT, "Number of those detectors."),
        Column("n_shared_items", _INT, "Shared items summed over the traces."),
        Column("first_at", _TS, "Earliest co-action over the traces."),
        Column("last_at", _TS, "Latest co-action over the traces."),
        Column("q_value", _FLOAT, "Smallest adjusted p-value over the traces."),
    ),
)

CLUSTERS_TABLE = Table(
    "clusters",
    "One row per account in a cluster: Leiden communities of the fused network (seeded, deterministic), "
    "numbered from 1 by size.",
    (
        Column("cluster", _INT, "Cluster number.", True),
        Column("account_id", _STR, "The account.", True),
        Column(
            "role",
            _STR,
            "`leader` when it acted first on more than twice as many shared items as it followed (and at least "
            "twice), `follower` for the reverse, else `peer`; `hub`/`member` when the traces have no order.",
        ),
        Column("centrality", _FLOAT, "Weighted eigenvector centrality within the cluster (largest 1)."),
        Column("degree", _INT, "Edges to other members."),
        Column("strength", _FLOAT, "Fused weight of those edges."),
    ),
)

CLUSTER_STATS_TABLE = Table(
    "cluster_stats",
    "One row per cluster.",
    (
        Column("cluster", _INT, "Cluster number.", True),
        Column("size", _INT, "Accounts in it.", True),
        Column("n_edges", _INT, "Network edges with both ends in the cluster.", True),
        Column("density", _FLOAT, "`n_edges` over the `size * (size - 1) / 2` possible pairs.", True),
        Column("traces", _LIST, "Detectors seen on those edges, sorted."),
        Column("first_at", _TS, "Earliest co-action on them."),
        Column("last_at", _TS, "Latest co-action on them."),
        Column("total_weight", _FLOAT, "Sum of their fused weights.", True),
        Column("top_items", _LIST, "Up to five items shared by the most account pairs inside."),
    ),
)

#: The scan's tables, in the order of the reference page.
SCAN_TABLES = (EDGE_TABLE, EVIDENCE_TABLE, NETWORK_TABLE, CLUSTERS_TABLE, CLUSTER_STATS_TABLE)
EDGES = EDGE_TABLE.schema
EVIDENCE = EVIDENCE_TABLE.schema
NETWORK = NETWORK_TABLE.schema
CLUSTERS = CLUSTERS_TABLE.schema
CLUSTER_STATS = CLUSTER_STATS_TABLE.schema


def render_markdown() -> str:
    """The reference page for a scan folder (docs/reference/scan.md)."""
    intro = (
        "`overt scan` writes one folder: a Parquet file per table below (one `edges` and one `evidence` file per "
        "detector), `network.gexf` and `network.graphml` for Gephi, and `summary.json`.\n"
        "This page is generated from `overt.coordination.schema` by `python -m overt.coordination.schema`; do not "
        "edit by hand."
    )
    return markdown("Scan outputs", intro, SCAN_TABLES)


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


if __name__ == "__main__":  # pragma: no cover
    import sys

    sys.stdout.write(render_markdown())
