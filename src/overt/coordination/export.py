"""Export the fused network and its clusters as graph files for Gephi and other graph tools.

:func:`write_graphml` writes GraphML through igraph and :func:`write_gexf` writes GEXF through networkx. Both
hold one node per account in the network and one edge per network row. Node attributes: ``account_id``,
``label`` (the handle when known, else the account id), ``cluster`` (0 for accounts outside every cluster),
``role`` (empty outside clusters) and ``centrality`` (0 outside clusters). Edge attributes: ``weight``,
``traces`` (detector names joined with ``,``), ``n_traces`` and ``n_shared_items`` (0 when unknown). Every
attribute is a scalar (string or number), which Gephi requires; lists such as ``traces`` are joined into text.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import igraph as ig
import networkx as nx
import pyarrow as pa


@dataclass(frozen=True)
class _Graph:
    """Plain Python columns of the nodes and edges, shared by both writers."""

    accounts: list[str]
    labels: list[str]
    cluster: list[int]
    role: list[str]
    centrality: list[float]
    source: list[int]
    target: list[int]
    weight: list[float]
    traces: list[str]
    n_traces: list[int]
    n_shared_items: list[int]


def write_graphml(
    network: pa.Table,
    clusters: pa.Table | None,
    path: str | os.PathLike[str],
    *,
    accounts: Mapping[str, str] | None = None,
) -> None:
    """Write the network as GraphML (through igraph).

    igraph stores every number as a double, so ``cluster``, ``n_traces`` and ``n_shared_items`` are typed
    ``double`` in the file (with whole values).

    Parameters
    ----------
    network
        The fused network (:data:`~overt.coordination.schema.NETWORK`).
    clusters
        Cluster membership (:data:`~overt.coordination.schema.CLUSTERS`), or None to leave every node
        unclustered.
    path
        File to write.
    accounts
        Optional account id -> handle mapping for the node labels.
    """
    graph = _collect(network, clusters, accounts)
    out = ig.Graph(n=len(graph.accounts), edges=list(zip(graph.source, graph.target, strict=True)), directed=False)
    out.vs["account_id"] = graph.accounts
    out.vs["label"] = graph.labels
    out.vs["cluster"] = graph.cluster
    out.vs["role"] = graph.role
    out.vs["centrality"] = graph.centrality
    out.es["weight"] = graph.weight
    out.es["traces"] = graph.traces
    out.es["n_traces"] = graph.n_traces
    out.es["n_shared_items"] = graph.n_shared_items
    out.write_graphml(os.fspath(path))


def write_gexf(
    network: pa.Table,
    clusters: pa.Table | None,
    path: str | os.PathLike[str],
    *,
    accounts: Mapping[str, str] | None = None,
) -> None:
    """Write the network as GEXF 1.2 (through networkx), with node ids equal to account ids.

    ``label`` becomes the GEXF node label and ``weight`` the GEXF edge weight; the other attributes are typed
    ``long``, ``double`` or ``string``.

    Parameters
    ----------
    network
        The fused network (:data:`~overt.coordination.schema.NETWORK`).
    clusters
        Cluster membership (:data:`~overt.coordination.schema.CLUSTERS`), or None to leave every node
        unclustered.
    path
        File to write.
    accounts
        Optional account id -> handle mapping for the node labels.
    """
    graph = _collect(network, clusters, accounts)
    out = nx.Graph()
    for i, account in enumerate(graph.accounts):
        out.add_node(
            account,
            label=graph.labels[i],
            cluster=graph.cluster[i],
            role=graph.role[i],
            centrality=graph.centrality[i],
        )
    for i in range(len(graph.source)):
        out.add_edge(
            graph.accounts[graph.source[i]],
            graph.accounts[graph.target[i]],
            weight=graph.weight[i],
            traces=graph.traces[i],
            n_traces=graph.n_traces[i],
            n_shared_items=graph.n_shared_items[i],
        )
    nx.write_gexf(out, os.fspath(path))


def _collect(network: pa.Table, clusters: pa.Table | None, accounts: Mapping[str, str] | None) -> _Graph:
    missing = [name for name in ("account_a", "account_b", "weight") if name not in network.column_names]
    if clusters is not None:
        missing += [f"clusters.{name}" for name in ("account_id", "cluster") if name not in clusters.column_names]
    if missing:
        raise ValueError(f"missing columns {', '.join(missing)}")

    def column(name: str) -> list[Any]:
        return network[name].to_pylist() if name in network.column_names else [None] * network.num_rows

    ends_a: list[str] = column("account_a")
    ends_b: list[str] = column("account_b")
    nodes = sorted(set(ends_a) | set(ends_b))
    index = {account: i for i, account in enumerate(nodes)}

    membership: dict[str, tuple[int, str, float]] = {}
    if clusters is not None:
        for row in clusters.to_pylist():
            membership[row["account_id"]] = (row["cluster"], row.get("role") or "", row.get("centrality") or 0.0)
    handles = accounts or {}
    unclustered = (0, "", 0.0)
    placed = [membership.get(account, unclustered) for account in nodes]

    return _Graph(
        accounts=nodes,
        labels=[handles.get(account) or account for account in nodes],
        cluster=[int(cluster) for cluster, _, _ in placed],
        role=[role for _, role, _ in placed],
        centrality=[float(centrality) for _, _, centrality in placed],
        source=[index[account] for account in ends_a],
        target=[index[account] for account in ends_b],
        weight=[float(weight) for weight in column("weight")],
        traces=[",".join(traces or []) for traces in column("traces")],
        n_traces=[int(n or 0) for n in column("n_traces")],
        n_shared_items=[int(n or 0) for n in column("n_shared_items")],
    )
