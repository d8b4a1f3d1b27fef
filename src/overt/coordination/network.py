"""The network stage: fuse per-detector edges into one network, find clusters in it and describe them.

Every detector ("trace") writes its own significant edges (:data:`~overt.coordination.schema.EDGES`).
:func:`fuse` folds them into one multi-trace network (:data:`~overt.coordination.schema.NETWORK`), following
Luceri et al. (2024), who fuse several behavioural traces into a single similarity network; :func:`cluster` splits
that network into coordinated groups with Leiden (:data:`~overt.coordination.schema.CLUSTERS`); and
:func:`cluster_stats` summarises each group (:data:`CLUSTER_STATS`).
"""

from __future__ import annotations

from typing import Any

import duckdb
import igraph as ig
import leidenalg
import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import scipy.sparse
import scipy.sparse.linalg

from overt.coordination.schema import CLUSTER_STATS, CLUSTERS, NETWORK
from overt.engine import local_connection, materialise

_FUSE_COLUMNS = ("detector", "account_a", "account_b", "weight", "n_shared_items", "first_at", "last_at", "q_value")
_TOP_ITEMS = 5
# Up to this many accounts a dense eigensolver is fast and exact;
# ARPACK needs more vertices than its 20 Lanczos vectors.
_DENSE_LIMIT = 64


def fuse(edges: pa.Table, *, min_weight: float = 0.0) -> pa.Table:
    """Fuse the kept edges of several detectors into one undirected network.

    Rule (after Luceri et al. 2024, who fuse several coordination traces into one network):

    * each trace's weights are divided by that trace's largest weight, so every trace lies in (0, 1] and traces
      measured on different scales (shared-item counts, cosine similarities) are comparable;
    * an edge's fused ``weight`` is the sum of its normalised weights over the traces that saw it, so a pair
      found by several traces weighs more than one found by a single trace;
    * ``traces`` is the sorted list of those detectors and ``n_traces`` its length; ``n_shared_items`` is
      summed over traces, ``first_at`` is the earliest, ``last_at`` the latest and ``q_value`` the smallest
      (most significant) of the traces' values;
    * edges whose fused weight is below *min_weight* are dropped.

    The rows come out sorted by ``(account_a, account_b)``. The work runs in DuckDB over the Arrow table, so
    millions of edges are fine.

    Parameters
    ----------
    edges
        The concatenation of every detector's kept edges (:data:`~overt.coordination.schema.EDGES`), each
        undirected pair written once per detector with ``account_a < account_b``.
    min_weight
        Smallest fused weight kept.

    Returns
    -------
    pa.Table
        The fused network (:data:`~overt.coordination.schema.NETWORK`).

    Raises
    ------
    ValueError
        When a column is missing, a weight is not a positive finite number, a pair is not written with
        ``account_a < account_b``, or a detector lists the same pair twice.
    """
    _require(edges, _FUSE_COLUMNS, "edges")
    source = edges.select(list(_FUSE_COLUMNS))
    with local_connection() as con:
        con.execute("SET TimeZone = 'UTC'")
        materialise(con, "edges", source)
        bad_weight, bad_order = _one_row(
            con,
            """
            SELECT count(*) FILTER (WHERE weight IS NULL OR NOT isfinite(weight) OR weight <= 0),
                   count(*) FILTER (WHERE NOT account_a < account_b)
            FROM edges
            """,
        )
        if bad_weight:
            raise ValueError(f"edges: {bad_weight} rows have a weight that is not a positive finite number")
        if bad_order:
            raise ValueError(f"edges: {bad_order} rows are not written with account_a < account_b")
        # The normalised parts are summed as an ordered list rather than with sum(): a parallel sum adds
        # floats in whatever order the threads finish, and the weights must be identical from run to run.
        fused: pa.Table = con.sql(
            """
            WITH maxima AS (SELECT detector, max(weight) AS top FROM edges GROUP BY detector)
            SELECT e.account_a,
                   e.account_b,
                   list_sum(list(e.weight / m.top ORDER BY e.detector)) AS weight,
                   list(e.detector ORDER BY e.detector) AS traces,
                   count(DISTINCT e.detector) AS n_traces,
                   sum(e.n_shared_items)::BIGINT AS n_shared_items,
                   min(e.first_at) AS first_at,
                   max(e.last_at) AS last_at,
                   min(e.q_value) AS q_value,
                   count(*) AS n_rows
            FROM edges AS e JOIN maxima AS m USING (detector)
            GROUP BY e.account_a, e.account_b
            ORDER BY e.account_a, e.account_b
            """
        ).to_arrow_table()
    repeated = pc.not_equal(fused["n_rows"], fused["n_traces"])
    if pc.any(repeated).as_py():
        first = fused.filter(repeated).slice(0, 1).to_pylist()[0]
        raise ValueError(
            f"edges: a detector lists the pair ({first['account_a']}, {first['account_b']}) more than once"
        )
    if min_weight > 0:
        fused = fused.filter(pc.greater_equal(fused["weight"], pa.scalar(float(min_weight))))
    return fused.drop_columns(["n_rows"]).cast(NETWORK)


def cluster(
    network: pa.Table,
    *,
    resolution: float = 1.0,
    seed: int = 42,
    min_cluster_size: int = 3,
    prune_quantile: float = 0.0,
    leaders: pa.Table | None = None,
) -> pa.Table:
    """Split the fused network into clusters of coordinated accounts.

    Rules:

    * **Graph.** One vertex per account, one undirected edge per network row, weighted by the fused weight.
      Accounts are numbered in sorted order and edges sorted, so the row order of *network* does not matter.
    * **Pruning** (Luceri et al. 2024; off when *prune_quantile* is 0): weighted eigenvector centrality is
      computed separately in each connected component, scaled so each component's most central account has 1;
      accounts whose centrality is below the *prune_quantile* quantile of all accounts' centralities are
      dropped before clustering. Both ends of an isolated pair score 1, so pairs are never pruned.
    * **Clustering.** Leiden (``leidenalg.RBConfigurationVertexPartition``) with *resolution*, the fused
      weights and *seed*: the same network gives the same clusters. Clusters are numbered from 1 by size,
      largest first, ties broken by the smallest account id in the cluster; clusters smaller than
      *min_cluster_size* are dropped.
    * **Centrality** is the weighted eigenvector centrality within the cluster's induced subgraph, scaled so
      the cluster's most central account has 1. **degree** and **strength** (sum of weights) count only
      edges inside the cluster.
    * **Role.** With *leaders* (columns ``account_id``, ``led``, ``followed``: on how many coordinated items
      the account acted first / later; rows for the same account are added up, absent accounts count 0 and 0):
      ``"leader"`` when ``led > 2 * followed`` and ``led >= 2``, ``"follower"`` when ``followed > 2 * led``,
      otherwise ``"peer"``. Without *leaders*: ``"hub"`` for the most central account of each cluster (ties to
      the smallest account id) and ``"member"`` for the rest.

    Rows come out sorted by cluster, then centrality (highest first), then account id.

    Parameters
    ----------
    network
        The fused network (:data:`~overt.coordination.schema.NETWORK`); only ``account_a``, ``account_b`` and
        ``weight`` are read. A pair listed twice has its weights added.
    resolution
        Leiden resolution: higher values give more, smaller clusters.
    seed
        Seed of Leiden's random number generator.
    min_cluster_size
        Smallest cluster kept.
    prune_quantile
        Centrality quantile below which accounts are pruned before clustering, in [0, 1).
    leaders
        Optional lead/follow counts per account.

    Returns
    -------
    pa.Table
        One row per clustered account (:data:`~overt.coordination.schema.CLUSTERS`).

    Raises
    ------
    ValueError
        When a column is missing, a weight is not a positive finite number, or *prune_quantile* is outside
        [0, 1).
    """
    _require(network, ("account_a", "account_b", "weight"), "network")
    if leaders is not None:
        _require(leaders, ("account_id", "led", "followed"), "leaders")
    if not 0.0 <= prune_quantile < 1.0:
        raise ValueError(f"prune_quantile must be in [0, 1), not {prune_quantile}")
    accounts, graph = _build_graph(network)
    if graph.vcount() == 0:
        return CLUSTERS.empty_table()

    if prune_quantile > 0:
        centrality = _eigenvector_by_component(graph)
        threshold = np.quantile(centrality, prune_quantile)
        graph = graph.induced_subgraph(np.flatnonzero(centrality >= threshold).tolist())

    partition = leidenalg.find_partition(
        graph,
        leidenalg.RBConfigurationVertexPartition,
        weights="weight",
        resolution_parameter=resolution,
        seed=seed,
    )
    membership = np.asarray(partition.membership, dtype=np.int64)
    account_index = np.asarray(graph.vs["idx"], dtype=np.int64)

    # Leiden's community labels depend on its internal visiting order; renumber by size, then by the smallest
    # account (vertices are numbered in account order, so the smallest index is the smallest id).
    n_communities = int(membership.max()) + 1
    sizes = np.bincount(membership, minlength=n_communities)
    smallest = np.full(n_communities, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(smallest, membership, account_index)
    order = np.lexsort((smallest, -sizes))
    number = np.empty(n_communities, dtype=np.int64)
    number[order] = np.arange(1, n_communities + 1)
    cluster_of = number[membership]
    keep = sizes[membership] >= min_cluster_size
    if not keep.any():
        return CLUSTERS.empty_table()

    graph.vs["cluster"] = cluster_of.tolist()
    clustered = graph.induced_subgraph(np.flatnonzero(keep).tolist())
    clustered_number = np.asarray(clustered.vs["cluster"], dtype=np.int64)
    ends = np.asarray(clustered.get_edgelist(), dtype=np.int64).reshape(-1, 2)
    between = np.flatnonzero(clustered_number[ends[:, 0]] != clustered_number[ends[:, 1]])
    clustered.delete_edges(between.tolist())
    # With only intra-cluster edges left, each cluster is its own component (Leiden communities are connected),
    # so per-component centrality is centrality within the cluster's induced subgraph.
    centrality = _eigenvector_by_component(clustered)

    table = pa.table(
        {
            "cluster": pa.array(clustered_number, pa.int64()),
            "account_id": accounts.take(np.asarray(clustered.vs["idx"], dtype=np.int64)),
            "centrality": pa.array(centrality, pa.float64()),
            "degree": pa.array(np.asarray(clustered.degree(), dtype=np.int64), pa.int64()),
            "strength": pa.array(np.asarray(clustered.strength(weights="weight"), dtype=np.float64), pa.float64()),
        }
    ).sort_by([("cluster", "ascending"), ("centrality", "descending"), ("account_id", "ascending")])
    roles = _roles_from_leaders(table, leaders) if leaders is not None else _hub_roles(table)
    return table.append_column("role", roles).select(CLUSTERS.names).cast(CLUSTERS)


def cluster_stats(clusters: pa.Table, network: pa.Table, evidence: pa.Table | None = None) -> pa.Table:
    """Describe each cluster: its size, the network edges inside it and what its accounts shared.

    For each cluster: ``size`` (accounts), ``n_edges`` (network edges with both ends in the cluster),
    ``density`` (``n_edges`` over the ``size * (size - 1) / 2`` possible pairs), ``traces`` (sorted detectors
    seen on those edges), ``first_at`` / ``last_at`` (earliest and latest co-action on them) and
    ``total_weight`` (sum of their fused weights). With *evidence*, ``top_items`` lists the five items shared
    by the most distinct account pairs inside the cluster (ties in item order); without it, ``top_items`` is
    null.

    Parameters
    ----------
    clusters
        Cluster membership (:data:`~overt.coordination.schema.CLUSTERS`).
    network
        The fused network (:data:`~overt.coordination.schema.NETWORK`).
    evidence
        Optional co-action evidence with columns ``detector``, ``account_a``, ``account_b``, ``item``
        (:data:`~overt.coordination.schema.EVIDENCE`).

    Returns
    -------
    pa.Table
        One row per cluster, sorted by cluster (:data:`CLUSTER_STATS`).
    """
    _require(clusters, ("cluster", "account_id"), "clusters")
    _require(network, ("account_a", "account_b", "weight", "traces", "first_at", "last_at"), "network")
    if evidence is not None:
        _require(evidence, ("account_a", "account_b", "item"), "evidence")
    with local_connection() as con:
        con.execute("SET TimeZone = 'UTC'")
        materialise(con, "clusters", clusters.select(["cluster", "account_id"]))
        materialise(
            con, "network", network.select(["account_a", "account_b", "weight", "traces", "first_at", "last_at"])
        )
        if evidence is not None:
            materialise(con, "evidence", evidence.select(["account_a", "account_b", "item"]))
            top_items_cte = f"""
            , evidence_a AS MATERIALIZED (
                SELECT ma.cluster, e.account_a, e.account_b, e.item
                FROM evidence AS e JOIN clusters AS ma ON ma.account_id = e.account_a
                WHERE e.item IS NOT NULL
            ),
            shared AS (
                SELECT DISTINCT e.cluster, least(e.account_a, e.account_b) AS a,
                       greatest(e.account_a, e.account_b) AS b, e.item
                FROM evidence_a AS e
                JOIN clusters AS mb ON mb.account_id = e.account_b AND mb.cluster = e.cluster
            ),
            ranked AS (
                SELECT cluster, item,
                       row_number() OVER (PARTITION BY cluster ORDER BY count(*) DESC, item) AS rank
                FROM shared GROUP BY cluster, item
            ),
            top AS (
                SELECT cluster, list(item ORDER BY rank) AS top_items
                FROM ranked WHERE rank <= {_TOP_ITEMS} GROUP BY cluster
            )
            """
            top_items = "coalesce(t.top_items, []::VARCHAR[])"
            top_join = "LEFT JOIN top AS t USING (cluster)"
        else:
            top_items_cte = ""
            top_items = "NULL::VARCHAR[]"
            top_join = ""
        # Both ends are labelled one after the other through MATERIALIZED steps: left to itself, the planner
        # (without statistics on Arrow scans) first joins clusters to clusters on the cluster number, which is
        # quadratic in cluster size. Weights are summed as an ordered list so the total does not depend on
        # DuckDB's thread scheduling.
        stats: pa.Table = con.sql(
            f"""
            WITH sizes AS (SELECT cluster, count(*) AS size FROM clusters GROUP BY cluster),
            network_a AS MATERIALIZED (
                SELECT ma.cluster, n.account_a, n.account_b, n.weight, n.traces, n.first_at, n.last_at
                FROM network AS n JOIN clusters AS ma ON ma.account_id = n.account_a
            ),
            inside AS (
                SELECT n.*
                FROM network_a AS n
                JOIN clusters AS mb ON mb.account_id = n.account_b AND mb.cluster = n.cluster
            ),
            edge_stats AS (
                SELECT cluster, count(*) AS n_edges,
                       list_sum(list(weight ORDER BY account_a, account_b)) AS total_weight,
                       min(first_at) AS first_at, max(last_at) AS last_at
                FROM inside GROUP BY cluster
            ),
            trace_sets AS (
                SELECT cluster, list(trace ORDER BY trace) AS traces
                FROM (SELECT DISTINCT cluster, unnest(traces) AS trace FROM inside)
                GROUP BY cluster
            )
            {top_items_cte}
            SELECT s.cluster,
                   s.size,
                   coalesce(es.n_edges, 0) AS n_edges,
                   CASE WHEN s.size > 1 THEN 2.0 * coalesce(es.n_edges, 0) / (s.size * (s.size - 1)) ELSE 0.0 END
                       AS density,
                   coalesce(ts.traces, []::VARCHAR[]) AS traces,
                   es.first_at,
                   es.last_at,
                   coalesce(es.total_weight, 0.0) AS total_weight,
                   {top_items} AS top_items
            FROM sizes AS s
            LEFT JOIN edge_stats AS es USING (cluster)
            LEFT JOIN trace_sets AS ts USING (cluster)
            {top_join}
            ORDER BY s.cluster
            """
        ).to_arrow_table()
    return stats.cast(CLUSTER_STATS)


def _require(table: pa.Table, columns: tuple[str, ...], what: str) -> None:
    missing = [name for name in columns if name not in table.column_names]
    if missing:
        raise ValueError(f"{what}: missing columns {', '.join(missing)}")


def _one_row(con: duckdb.DuckDBPyConnection, query: str) -> tuple[Any, ...]:
    # An aggregate without GROUP BY returns exactly one row; fetchall() also finishes the result, which this
    # DuckDB requires before the connection runs the next query.
    (row,) = con.execute(query).fetchall()
    return tuple(row)


def _build_graph(network: pa.Table) -> tuple[pa.Array[Any], ig.Graph]:
    """The network as a weighted igraph graph whose vertex ``idx`` indexes the sorted account ids returned."""
    weights = network["weight"]
    if network.num_rows and not pc.all(pc.and_(pc.is_finite(weights), pc.greater(weights, pa.scalar(0.0)))).as_py():
        raise ValueError("network: every weight must be a positive finite number")
    ends_a = network["account_a"].combine_chunks()
    ends_b = network["account_b"].combine_chunks()
    unique = pc.unique(pa.concat_arrays([ends_a, ends_b]))
    accounts = unique.take(pc.sort_indices(unique))
    lo = pc.index_in(ends_a, value_set=accounts).to_numpy().astype(np.int64)
    hi = pc.index_in(ends_b, value_set=accounts).to_numpy().astype(np.int64)
    lo, hi = np.minimum(lo, hi), np.maximum(lo, hi)
    order = np.lexsort((hi, lo))
    graph = ig.Graph(n=len(accounts), edges=np.column_stack((lo[order], hi[order])).tolist(), directed=False)
    graph.es["weight"] = weights.to_numpy()[order].astype(np.float64).tolist()
    graph.vs["idx"] = list(range(len(accounts)))
    if not graph.is_simple():
        graph.simplify(multiple=True, loops=True, combine_edges={"weight": "sum"})
    return accounts, graph


def _eigenvector_by_component(graph: ig.Graph) -> npt.NDArray[np.float64]:
    """Weighted eigenvector centrality computed in each connected component, scaled to a maximum of 1 in each.

    igraph's own ``eigenvector_centrality`` starts ARPACK from a random vector drawn from the global RNG, so
    repeated runs differ in the last bits; here a dense solver (small components) or ARPACK started from the
    weighted degrees (large ones) gives the same numbers on every run.
    """
    n = graph.vcount()
    result = np.ones(n, dtype=np.float64)
    if n == 0:
        return result
    membership = np.asarray(graph.connected_components().membership, dtype=np.int64)
    n_components = int(membership.max()) + 1
    vertex_order = np.argsort(membership, kind="stable")
    vertex_bounds = np.searchsorted(membership[vertex_order], np.arange(n_components + 1))
    local = np.empty(n, dtype=np.int64)
    local[vertex_order] = np.arange(n) - vertex_bounds[membership[vertex_order]]
    ends = np.asarray(graph.get_edgelist(), dtype=np.int64).reshape(-1, 2)
    weights = np.asarray(graph.es["weight"], dtype=np.float64)
    edge_component = membership[ends[:, 0]]
    edge_order = np.argsort(edge_component, kind="stable")
    edge_bounds = np.searchsorted(edge_component[edge_order], np.arange(n_components + 1))
    # A lone account or a pair is symmetric: every member is maximally central, so only larger ones are solved.
    for component in np.flatnonzero(np.diff(vertex_bounds) > 2):
        vertices = vertex_order[vertex_bounds[component] : vertex_bounds[component + 1]]
        edges = edge_order[edge_bounds[component] : edge_bounds[component + 1]]
        result[vertices] = _perron_vector(len(vertices), local[ends[edges, 0]], local[ends[edges, 1]], weights[edges])
    return result


def _perron_vector(
    n: int, rows: npt.NDArray[np.int64], cols: npt.NDArray[np.int64], weights: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    """The leading eigenvector of a connected graph's symmetric weighted adjacency matrix, scaled to max 1."""
    sources = np.concatenate((rows, cols))
    targets = np.concatenate((cols, rows))
    values = np.concatenate((weights, weights))
    if n <= _DENSE_LIMIT:
        matrix = np.zeros((n, n), dtype=np.float64)
        np.add.at(matrix, (sources, targets), values)
        vector = np.linalg.eigh(matrix)[1][:, -1]
    else:
        sparse = scipy.sparse.csr_array((values, (sources, targets)), shape=(n, n))
        start = np.bincount(sources, weights=values, minlength=n)
        # "LA" (largest algebraic), not largest magnitude: in a bipartite component -lambda is as large.
        vector = scipy.sparse.linalg.eigsh(sparse, k=1, which="LA", v0=start)[1][:, 0]
    # The Perron vector has one sign throughout; the solver may return it negated.
    magnitude = np.abs(np.asarray(vector, dtype=np.float64))
    scaled: npt.NDArray[np.float64] = magnitude / magnitude.max()
    return scaled


def _hub_roles(table: pa.Table) -> pa.Array[Any]:
    """``hub`` for the first row of each cluster (rows are sorted most central first), ``member`` otherwise."""
    numbers = table["cluster"].to_numpy()
    first = np.ones(len(numbers), dtype=bool)
    first[1:] = numbers[1:] != numbers[:-1]
    return pa.array(np.where(first, "hub", "member").tolist(), pa.string())


def _roles_from_leaders(table: pa.Table, leaders: pa.Table) -> pa.Array[Any]:
    """Leader / follower / peer from lead and follow counts, in the row order of *table*."""
    totals = (
        leaders.select(["account_id", "led", "followed"])
        .group_by("account_id")
        .aggregate([("led", "sum"), ("followed", "sum")])
    )
    # Accounts without a row get index -1, which picks the 0 appended after the real totals.
    where = pc.index_in(table["account_id"], value_set=totals["account_id"]).fill_null(-1).to_numpy()
    led = np.append(_counts(totals["led_sum"]), 0)[where]
    followed = np.append(_counts(totals["followed_sum"]), 0)[where]
    role = np.where(
        (led > 2 * followed) & (led >= 2),
        "leader",
        np.where(followed > 2 * led, "follower", "peer"),
    )
    return pa.array(role.tolist(), pa.string())


def _counts(column: pa.ChunkedArray[Any]) -> npt.NDArray[np.int64]:
    """An integer column as numbers, nulls as 0 (through float64, exact for any realistic count)."""
    values: npt.NDArray[np.float64] = column.cast(pa.float64()).to_numpy()
    return np.nan_to_num(values, nan=0.0).astype(np.int64)
