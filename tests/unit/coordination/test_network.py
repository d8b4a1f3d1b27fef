"""The network stage: fusing per-detector edges, Leiden clusters, cluster statistics and graph exports."""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path
from typing import Any

import igraph as ig
import networkx as nx
import numpy as np
import pyarrow as pa
import pytest

from overt.coordination.export import write_gexf, write_graphml
from overt.coordination.network import CLUSTER_STATS, _eigenvector_by_component, cluster, cluster_stats, fuse
from overt.coordination.schema import CLUSTERS, EDGES, NETWORK


def at(hour: int) -> dt.datetime:
    return dt.datetime(2024, 3, 1, hour, tzinfo=dt.UTC)


def edges(*rows: dict[str, Any]) -> pa.Table:
    return pa.Table.from_pylist([{"n_shared_items": 1, **row} for row in rows], schema=EDGES)


def network(pairs: dict[tuple[str, str], float], traces: tuple[str, ...] = ("co_link",)) -> pa.Table:
    """A fused network from {(a, b): weight}, every edge seen by *traces* at 01:00-02:00."""
    return pa.Table.from_pylist(
        [
            {
                "account_a": min(a, b),
                "account_b": max(a, b),
                "weight": weight,
                "traces": list(traces),
                "n_traces": len(traces),
                "n_shared_items": 2,
                "first_at": at(1),
                "last_at": at(2),
                "q_value": 0.01,
            }
            for (a, b), weight in pairs.items()
        ],
        schema=NETWORK,
    )


def clique(names: list[str], weight: float = 1.0) -> dict[tuple[str, str], float]:
    return {(a, b): weight for a, b in itertools.combinations(names, 2)}


A = [f"a{i}" for i in range(1, 6)]
B = [f"b{i}" for i in range(1, 6)]


def two_cliques() -> pa.Table:
    """Two 5-cliques joined by one weak edge a5-b1."""
    return network({**clique(A), **clique(B), ("a5", "b1"): 0.1})


def members(clusters: pa.Table) -> dict[int, set[str]]:
    out: dict[int, set[str]] = {}
    for row in clusters.to_pylist():
        out.setdefault(row["cluster"], set()).add(row["account_id"])
    return out


def by_account(clusters: pa.Table) -> dict[str, dict[str, Any]]:
    return {row["account_id"]: row for row in clusters.to_pylist()}


# --- fuse -------------------------------------------------------------------------------------------------------


def two_traces() -> pa.Table:
    # co_link counts shared links (max 10), co_similar_text is a cosine similarity (max 0.5).
    return edges(
        {"detector": "co_link", "account_a": "a", "account_b": "b", "weight": 10.0, "n_shared_items": 10,
         "first_at": at(3), "last_at": at(5), "q_value": 0.01},
        {"detector": "co_link", "account_a": "b", "account_b": "c", "weight": 5.0, "n_shared_items": 5,
         "first_at": at(2), "last_at": at(4), "q_value": 0.02},
        {"detector": "co_similar_text", "account_a": "a", "account_b": "b", "weight": 0.5, "n_shared_items": 3,
         "first_at": at(1), "last_at": at(4), "q_value": 0.001},
        {"detector": "co_similar_text", "account_a": "c", "account_b": "d", "weight": 0.25, "n_shared_items": None,
         "first_at": at(6), "last_at": at(7), "q_value": 0.03},
    )  # fmt: skip


def test_fuse_normalises_each_trace_by_its_maximum_and_sums() -> None:
    fused = fuse(two_traces())

    assert fused.schema == NETWORK
    assert fused.to_pylist() == [
        # 10/10 + 0.5/0.5
        {"account_a": "a", "account_b": "b", "weight": 2.0, "traces": ["co_link", "co_similar_text"],
         "n_traces": 2, "n_shared_items": 13, "first_at": at(1), "last_at": at(5), "q_value": 0.001},
        # 5/10
        {"account_a": "b", "account_b": "c", "weight": 0.5, "traces": ["co_link"],
         "n_traces": 1, "n_shared_items": 5, "first_at": at(2), "last_at": at(4), "q_value": 0.02},
        # 0.25/0.5
        {"account_a": "c", "account_b": "d", "weight": 0.5, "traces": ["co_similar_text"],
         "n_traces": 1, "n_shared_items": None, "first_at": at(6), "last_at": at(7), "q_value": 0.03},
    ]  # fmt: skip


def test_fuse_min_weight_drops_light_edges_and_keeps_the_boundary() -> None:
    assert fuse(two_traces(), min_weight=1.0)["account_b"].to_pylist() == ["b"]
    assert fuse(two_traces(), min_weight=0.5).num_rows == 3
    assert fuse(two_traces(), min_weight=0.51).num_rows == 1


def test_fuse_does_not_depend_on_row_order() -> None:
    table = two_traces()
    assert fuse(table.take([3, 1, 2, 0])).equals(fuse(table))


def test_fuse_of_nothing_is_an_empty_network() -> None:
    fused = fuse(EDGES.empty_table())
    assert fused.num_rows == 0
    assert fused.schema == NETWORK


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([{"detector": "co_link", "account_a": "b", "account_b": "a", "weight": 1.0}], "account_a < account_b"),
        ([{"detector": "co_link", "account_a": "a", "account_b": "a", "weight": 1.0}], "account_a < account_b"),
        ([{"detector": "co_link", "account_a": "a", "account_b": "b", "weight": 0.0}], "positive finite"),
        ([{"detector": "co_link", "account_a": "a", "account_b": "b", "weight": float("nan")}], "positive finite"),
        (
            [
                {"detector": "co_link", "account_a": "a", "account_b": "b", "weight": 1.0},
                {"detector": "co_link", "account_a": "a", "account_b": "b", "weight": 2.0},
            ],
            r"\(a, b\) more than once",
        ),
    ],
)
def test_fuse_rejects_malformed_edges(rows: list[dict[str, Any]], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        fuse(edges(*rows))


def test_fuse_requires_the_columns_it_reads() -> None:
    with pytest.raises(ValueError, match="missing columns q_value"):
        fuse(two_traces().drop_columns(["q_value"]))


# --- cluster ----------------------------------------------------------------------------------------------------


def test_two_cliques_joined_by_a_weak_edge_are_two_clusters() -> None:
    clusters = cluster(two_cliques())

    assert clusters.schema == CLUSTERS
    # Equal sizes: the cluster holding the smallest account id ("a1") is number 1.
    assert members(clusters) == {1: set(A), 2: set(B)}
    rows = by_account(clusters)
    # Degree and strength count edges inside the cluster only, so the bridge a5-b1 is left out.
    for account in A + B:
        assert rows[account]["degree"] == 4
        assert rows[account]["strength"] == pytest.approx(4.0)
        assert rows[account]["centrality"] == pytest.approx(1.0)
    assert clusters["cluster"].to_pylist() == [1] * 5 + [2] * 5


def test_weighted_centrality_degree_and_strength_within_a_cluster() -> None:
    # A triangle with one heavy side: the two accounts on it are more central than the third.
    clusters = cluster(network({("x", "y"): 3.0, ("x", "z"): 1.0, ("y", "z"): 1.0}))
    rows = by_account(clusters)
    assert rows["x"]["centrality"] == pytest.approx(1.0)
    assert rows["y"]["centrality"] == pytest.approx(1.0)
    assert 0 < rows["z"]["centrality"] < 1
    assert rows["z"]["strength"] == pytest.approx(2.0)
    assert rows["x"]["strength"] == pytest.approx(4.0)
    assert [rows[name]["degree"] for name in "xyz"] == [2, 2, 2]
    # Sorted most central first, ties by account id; the top account is the hub.
    assert clusters["account_id"].to_pylist() == ["x", "y", "z"]
    assert clusters["role"].to_pylist() == ["hub", "member", "member"]


def planted_groups() -> pa.Table:
    """Three dense groups of eight accounts with random weights, plus sparse light noise between them."""
    rng = np.random.default_rng(7)
    names = [f"u{i:02d}" for i in range(24)]
    pairs: dict[tuple[str, str], float] = {}
    for i, j in itertools.combinations(range(24), 2):
        same = i // 8 == j // 8
        if rng.random() < (0.8 if same else 0.05):
            pairs[(names[i], names[j])] = float(rng.uniform(0.5, 2.0) if same else rng.uniform(0.05, 0.2))
    return network(pairs)


def test_clusters_are_deterministic_and_ignore_row_order() -> None:
    table = planted_groups()
    first = cluster(table)

    assert cluster(table).equals(first)
    shuffled = table.take(np.random.default_rng(3).permutation(table.num_rows))
    assert cluster(shuffled).equals(first)
    assert sorted(len(group) for group in members(first).values()) == [8, 8, 8]


def test_min_cluster_size_drops_small_clusters() -> None:
    table = network({**clique(["c1", "c2", "c3", "c4"]), ("p1", "p2"): 1.0})

    assert members(cluster(table)) == {1: {"c1", "c2", "c3", "c4"}}
    assert members(cluster(table, min_cluster_size=2)) == {1: {"c1", "c2", "c3", "c4"}, 2: {"p1", "p2"}}
    assert cluster(table, min_cluster_size=5).num_rows == 0


def test_pruning_drops_low_centrality_pendants() -> None:
    # Two pendants hang off the clique by light edges; they are the two least central of seven accounts.
    table = network({**clique(A), ("a1", "p1"): 0.1, ("a2", "p2"): 0.1})

    assert members(cluster(table)) == {1: {*A, "p1", "p2"}}
    assert members(cluster(table, prune_quantile=0.25)) == {1: set(A)}


def test_prune_quantile_must_be_a_fraction() -> None:
    with pytest.raises(ValueError, match="prune_quantile"):
        cluster(two_cliques(), prune_quantile=1.0)


def test_roles_from_lead_and_follow_counts() -> None:
    accounts = ["lead", "follow", "peer1", "peer2", "absent", "once"]
    leaders = pa.table(
        {
            # "lead" has two rows (e.g. two detectors) that are added up: led 5, followed 2.
            "account_id": ["lead", "lead", "follow", "peer1", "peer2", "once", "outsider"],
            "led": [3, 2, 1, 2, 4, 1, 9],
            "followed": [1, 1, 3, 1, 2, 0, 0],
        },
        schema=pa.schema([("account_id", pa.string()), ("led", pa.int64()), ("followed", pa.int64())]),
    )
    rows = by_account(cluster(network(clique(accounts)), leaders=leaders))

    assert {name: rows[name]["role"] for name in accounts} == {
        "lead": "leader",  # 5 > 2 * 2 and 5 >= 2
        "follow": "follower",  # 3 > 2 * 1
        "peer1": "peer",  # 2 > 2 * 1 fails
        "peer2": "peer",  # 4 > 2 * 2 fails
        "absent": "peer",  # no counts
        "once": "peer",  # led once only
    }


def random_graph(n: int, m: int, seed: int) -> ig.Graph:
    rng = np.random.default_rng(seed)
    graph = ig.Graph(n=n, edges=rng.integers(0, n, (m, 2)).tolist())
    graph.simplify()
    graph.es["weight"] = rng.uniform(0.1, 5.0, graph.ecount()).tolist()
    return graph


@pytest.mark.parametrize("size", [12, 400], ids=["dense-solver", "sparse-solver"])
def test_eigenvector_centrality_matches_igraph_and_is_repeatable(size: int) -> None:
    # igraph's eigenvector_centrality is the reference for the values; it is not used in overt because its
    # ARPACK start vector is random, which the second half of this test guards against.
    graph = random_graph(size, size * 4, seed=size).connected_components().giant()

    ours = _eigenvector_by_component(graph)
    assert ours == pytest.approx(graph.eigenvector_centrality(weights="weight"), abs=1e-9)
    assert ours.max() == 1.0
    assert all(np.array_equal(_eigenvector_by_component(graph), ours) for _ in range(3))


def test_eigenvector_centrality_is_scaled_per_component() -> None:
    # A star (bipartite, so the solver must take the largest eigenvalue, not the largest in magnitude), a pair
    # and a triangle, in one graph.
    graph = ig.Graph(n=10, edges=[(0, 1), (0, 2), (0, 3), (0, 4), (5, 6), (7, 8), (8, 9), (7, 9)])
    graph.es["weight"] = [1.0] * 8
    centrality = _eigenvector_by_component(graph)
    assert centrality == pytest.approx([1.0] + [0.5] * 4 + [1.0] * 5)


def test_empty_network_has_no_clusters() -> None:
    clusters = cluster(NETWORK.empty_table())
    assert clusters.num_rows == 0
    assert clusters.schema == CLUSTERS


# --- cluster_stats ----------------------------------------------------------------------------------------------


def stats_fixture() -> tuple[pa.Table, pa.Table]:
    net = pa.concat_tables(
        [
            network({("a", "b"): 1.0, ("b", "c"): 2.0, ("a", "c"): 0.5}, traces=("co_link",)),
            network({("c", "d"): 1.5}, traces=("co_hashtag", "co_link")),
            network({("d", "x"): 9.0, ("x", "y"): 0.25}, traces=("co_text",)),
        ]
    )
    clusters = pa.Table.from_pylist(
        [
            {"cluster": 1, "account_id": name, "role": "member", "centrality": 1.0, "degree": 1, "strength": 1.0}
            for name in "abcd"
        ]
        + [{"cluster": 2, "account_id": name} for name in "xyz"]
        + [{"cluster": 3, "account_id": name} for name in "qr"],
        schema=CLUSTERS,
    )
    return clusters, net


def test_cluster_stats_counts_only_edges_inside_each_cluster() -> None:
    clusters, net = stats_fixture()
    stats = cluster_stats(clusters, net)

    assert stats.schema == CLUSTER_STATS
    assert stats.to_pylist() == [
        {"cluster": 1, "size": 4, "n_edges": 4, "density": pytest.approx(4 / 6),
         "traces": ["co_hashtag", "co_link"], "first_at": at(1), "last_at": at(2), "total_weight": 5.0,
         "top_items": None},
        # d-x crosses clusters, so only x-y is inside.
        {"cluster": 2, "size": 3, "n_edges": 1, "density": pytest.approx(1 / 3), "traces": ["co_text"],
         "first_at": at(1), "last_at": at(2), "total_weight": 0.25, "top_items": None},
        {"cluster": 3, "size": 2, "n_edges": 0, "density": 0.0, "traces": [], "first_at": None,
         "last_at": None, "total_weight": 0.0, "top_items": None},
    ]  # fmt: skip


def test_cluster_stats_top_items_rank_items_by_account_pairs() -> None:
    clusters, net = stats_fixture()
    shared = [
        ("co_link", "a", "b", "u1"),
        ("co_link", "b", "c", "u1"),
        ("co_link", "a", "c", "u1"),
        # The same pair sharing u2 through two detectors is still one pair.
        ("co_link", "a", "b", "u2"),
        ("co_text", "a", "b", "u2"),
        ("co_link", "a", "b", "u3"),
        ("co_hashtag", "d", "c", "u3"),
        *[("co_link", "c", "d", f"i{k}") for k in range(1, 7)],
        # Pairs across clusters do not count, however often they share.
        *[("co_text", "d", "x", "u9") for _ in range(5)],
        ("co_text", "x", "y", None),
    ]
    evidence = pa.Table.from_pylist(
        [dict(zip(("detector", "account_a", "account_b", "item"), row, strict=True)) for row in shared]
    )
    stats = cluster_stats(clusters, net, evidence)

    assert stats["top_items"].to_pylist() == [["u1", "u3", "i1", "i2", "i3"], [], []]


# --- export -----------------------------------------------------------------------------------------------------


def export_fixture() -> tuple[pa.Table, pa.Table]:
    net = pa.concat_tables([two_cliques(), network({("x", "y"): 0.5}, traces=("co_link", "co_text"))])
    return net, cluster(net)


def test_graphml_round_trip(tmp_path: Path) -> None:
    net, clusters = export_fixture()
    path = tmp_path / "network.graphml"
    write_graphml(net, clusters, path, accounts={"a1": "@first"})

    graph = nx.read_graphml(path)
    assert graph.number_of_nodes() == 12
    assert graph.number_of_edges() == net.num_rows
    nodes = {data["account_id"]: data for _, data in graph.nodes(data=True)}
    assert nodes["a1"]["label"] == "@first"
    assert nodes["b3"]["label"] == "b3"
    assert nodes["b3"]["cluster"] == 2
    assert nodes["a1"]["role"] in {"hub", "member"}
    assert nodes["x"]["cluster"] == 0
    ids = {node: data["account_id"] for node, data in graph.nodes(data=True)}
    weights = {frozenset((ids[u], ids[v])): data for u, v, data in graph.edges(data=True)}
    assert weights[frozenset(("a5", "b1"))]["weight"] == pytest.approx(0.1)
    assert weights[frozenset(("x", "y"))]["traces"] == "co_link,co_text"
    assert weights[frozenset(("x", "y"))]["n_traces"] == 2


def test_gexf_round_trip(tmp_path: Path) -> None:
    net, clusters = export_fixture()
    path = tmp_path / "network.gexf"
    write_gexf(net, clusters, path, accounts={"a1": "@first"})

    graph = nx.read_gexf(path)
    assert graph.number_of_nodes() == 12
    assert graph.number_of_edges() == net.num_rows
    assert graph.nodes["a1"]["label"] == "@first"
    assert graph.nodes["b3"]["cluster"] == 2
    assert graph.nodes["x"]["cluster"] == 0
    assert graph.nodes["b1"]["centrality"] == pytest.approx(1.0)
    assert graph.edges["a5", "b1"]["weight"] == pytest.approx(0.1)
    assert graph.edges["x", "y"]["traces"] == "co_link,co_text"
    assert graph.edges["x", "y"]["n_shared_items"] == 2
    # Gephi reads only scalar attribute types.
    text = path.read_text(encoding="utf-8")
    assert 'type="liststring"' not in text


def test_gexf_escapes_markup_in_labels(tmp_path: Path) -> None:
    net, clusters = export_fixture()
    path = tmp_path / "network.gexf"
    write_gexf(net, clusters, path, accounts={"a1": '<b>"A & B"</b>'})
    assert nx.read_gexf(path).nodes["a1"]["label"] == '<b>"A & B"</b>'


@pytest.mark.parametrize("writer", [write_gexf, write_graphml])
def test_exports_drop_characters_xml_cannot_hold(tmp_path: Path, writer: Any) -> None:
    net, clusters = export_fixture()
    path = tmp_path / "network.xml"
    writer(net, clusters, path, accounts={"a1": "bell\x07 and escape\x1b"})
    graph = nx.read_gexf(path) if writer is write_gexf else nx.read_graphml(path)
    labels = {data["label"] for _, data in graph.nodes(data=True)}
    assert "bell and escape" in labels
