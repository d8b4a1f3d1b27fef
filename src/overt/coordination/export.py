"""Export the fused network and its clusters as graph files for Gephi and other graph tools.

:func:`write_graphml` writes GraphML through igraph and :func:`write_gexf` streams GEXF 1.2. Both
hold one node per account in the network and one edge per network row. Node attributes: ``account_id``,
``label`` (the handle when known, else the account id), ``cluster`` (0 for accounts outside every cluster),
``role`` (empty outside clusters) and ``centrality`` (0 outside clusters). Edge attributes: ``weight``,
``traces`` (detector names joined with ``,``), ``n_traces`` and ``n_shared_items`` (0 when unknown). Every
attribute is a scalar (string or number), which Gephi requires; lists such as ``traces`` are joined into text.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import quoteattr

import igraph as ig
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
    """Write the network as GEXF 1.2, with node ids equal to account ids.

    ``label`` becomes the GEXF node label and ``weight`` the GEXF edge weight; the other attributes are typed
    ``long``, ``double`` or ``string``. Written as a stream: networkx's writer builds an element tree of the
    whole graph and took ~9 s for 54k edges; the tests read every file back with networkx to check it.

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
    with open(path, "w", encoding="utf-8") as f:
        f.write(_GEXF_HEAD)
        f.write("    <nodes>\n")
        for i, account in enumerate(graph.accounts):
            f.write(
                f"      <node id={_attr(account)} label={_attr(graph.labels[i])}><attvalues>"
                f'<attvalue for="0" value="{graph.cluster[i]}"/><attvalue for="1" value={_attr(graph.role[i])}/>'
                f'<attvalue for="2" value="{graph.centrality[i]!r}"/></attvalues></node>\n'
            )
        f.write("    </nodes>\n    <edges>\n")
        for i in range(len(graph.source)):
            f.write(
                f'      <edge id="{i}" source={_attr(graph.accounts[graph.source[i]])} '
                f'target={_attr(graph.accounts[graph.target[i]])} weight="{graph.weight[i]!r}"><attvalues>'
                f'<attvalue for="3" value={_attr(graph.traces[i])}/>'
                f'<attvalue for="4" value="{graph.n_traces[i]}"/>'
                f'<attvalue for="5" value="{graph.n_shared_items[i]}"/></attvalues></edge>\n'
            )
        f.write("    </edges>\n  </graph>\n</gexf>\n")


_PLAIN = re.compile(r'[^&<>"\n\r\t]*')


def _attr(value: str) -> str:
    """*value* as a quoted XML attribute; most ids and labels need no escaping, and checking is cheaper."""
    return f'"{value}"' if _PLAIN.fullmatch(value) else quoteattr(value)


_GEXF_HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<gexf xmlns="http://www.gexf.net/1.2draft" version="1.2">
  <meta><creator>overt</creator></meta>
  <graph defaultedgetype="undirected" mode="static">
    <attributes class="node">
      <attribute id="0" title="cluster" type="long"/>
      <attribute id="1" title="role" type="string"/>
      <attribute id="2" title="centrality" type="double"/>
    </attributes>
    <attributes class="edge">
      <attribute id="3" title="traces" type="string"/>
      <attribute id="4" title="n_traces" type="long"/>
      <attribute id="5" title="n_shared_items" type="long"/>
    </attributes>
"""


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
        accounts=[_xml_safe(account) for account in nodes],
        labels=[_xml_safe(handles.get(account) or account) for account in nodes],
        cluster=[int(cluster) for cluster, _, _ in placed],
        role=[_xml_safe(role) for _, role, _ in placed],
        centrality=[float(centrality) for _, _, centrality in placed],
        source=[index[account] for account in ends_a],
        target=[index[account] for account in ends_b],
        weight=[float(weight) for weight in column("weight")],
        traces=[_xml_safe(",".join(traces or [])) for traces in column("traces")],
        n_traces=[int(n or 0) for n in column("n_traces")],
        n_shared_items=[int(n or 0) for n in column("n_shared_items")],
    )


# Characters XML 1.0 cannot carry even escaped (C0 controls other than tab and newlines, lone surrogates,
# U+FFFE/U+FFFF); handles and display names occasionally contain them, and both writers would otherwise fail
# or produce a file Gephi rejects.
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml_safe(text: str) -> str:
    return _NOT_XML.sub("", text)
