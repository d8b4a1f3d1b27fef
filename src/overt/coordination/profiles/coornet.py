"""``--profile coornet``: CooRnet's coordinated link sharing, share for share.

Reproduces the R package CooRnet 1.5.0 (Giglietto, Righetti, Rossi; MIT; master ff2cde1, 2022-04-30) as portable
SQL over a shares table ``url, account, share_id, shared_at`` (seconds since 1970):

* :func:`estimate_coord_interval` is its ``estimate_coord_interval(q, p)``: over URLs shared more than once,
  rank each URL's shares by time; keep the URLs whose second share came within the ``q`` quantile of all
  second-share delays; for each, the delay from its first share to the first share past the fraction ``p`` of
  its shares (rank / count > p); the interval is the ``p`` quantile of those delays (R ``quantile`` type 7).
* :func:`get_coord_shares` is its ``get_coord_shares(coordination_interval, percentile_edge_weight)`` with the
  network of ``build_coord_graph``: for each URL shared more than once by more than one entity, the shares are
  cut into consecutive ``coordination_interval``-second bins starting at the URL's first share (R
  ``cut(date, breaks = "<n> secs")``: intervals closed on the left); a bin with two or more shares is
  coordinated. A share is marked ``is_coordinated`` when its URL, its time and its entity each occur among the
  coordinated shares -- three separate ``%in%`` tests, as in the R code, not one test of the triple. The entity
  network projects the entity-URL graph of coordinated shares (multiple shares of one URL by one entity count
  once): the weight of two entities is the number of URLs both shared in coordinated bins; edges with weight
  ``>=`` the ``percentile_edge_weight`` quantile of all weights are kept (note ``>=``, where CooRTweet uses ``>``).

CooRnet restricts the shares before all this (``keep_ourl_only``: the URLs of the original list;
``clean_urls``: URLs without tracking parameters); :func:`shares_from_posts` takes the URLs to keep. CooRnet's
entity is the account URL (``account.url``); canonical posts carry CrowdTangle's ``account.id``, one per
``account.url``. R reads CrowdTangle dates in the session's time zone before binning; binning in UTC seconds
differs only for a URL whose shares span a daylight-saving change in that zone.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from overt.coordination.detectors import AT, Detector, Windowed
from overt.coordination.schema import profile_edges
from overt.errors import OvertError
from overt.ingest.csvsource import ident, sql_str
from overt.ingest.normalise import normalise_url

if TYPE_CHECKING:
    from overt.coordination.scan import Progress
    from overt.engine import DuckDBEngine

#: Columns the functions here read.
SHARES_COLUMNS = ("url", "account", "share_id", "shared_at")

_names = itertools.count()


def coord_interval_quantile(con: duckdb.DuckDBPyConnection, shares: str, *, q: float = 0.1, p: float = 0.5) -> float:
    """The quantile CooRnet's ``estimate_coord_interval`` computes, as its log prints it (e.g. ``134.5``).

    Raises :class:`~overt.errors.OvertError` when no URL is shared twice (R returns ``NA``).
    """
    for value, what in ((q, "q"), (p, "p")):
        if not 0 <= value <= 1:
            raise OvertError(f"The {what} value must be between 0 and 1. Got {value!r} instead.")
    [(value,)] = con.execute(estimate_coord_interval_sql(shares, q=q, p=p)).fetchall()
    if value is None:
        raise OvertError(f"{shares}: no URL is shared more than once; CooRnet cannot estimate an interval.")
    return float(value)


def estimate_coord_interval(con: duckdb.DuckDBPyConnection, shares: str, *, q: float = 0.1, p: float = 0.5) -> int:
    """CooRnet's ``estimate_coord_interval(q, p)``: the coordination interval in whole seconds.

    CooRnet passes the quantile on as the text ``"<x> secs"``, which R's ``cut`` reads with ``as.integer``, so
    a fractional estimate is truncated (``134.5`` -> 134 s); an estimate of 0 becomes 1 s, as CooRnet sets it.
    (Between 0 and 1 R truncates to a zero-second step and ``cut`` fails; here it is 1 s too.)
    """
    return max(1, math.trunc(coord_interval_quantile(con, shares, q=q, p=p)))


def estimate_coord_interval_sql(shares: str, *, q: float, p: float) -> str:
    """The SQL of :func:`coord_interval_quantile`: one row, one value (NULL without URLs shared twice)."""
    return f"""
        WITH s AS (
            SELECT url, shared_at FROM {ident(shares)}
        ),
        repeated AS (
            SELECT url FROM s GROUP BY url HAVING COUNT(*) > 1
        ),
        -- rank(date, ties.method = "first"): how ties are broken changes no delay used below.
        ranked AS (
            SELECT s.url, s.shared_at - MIN(s.shared_at) OVER (PARTITION BY s.url) AS sec_from_first_share,
                   ROW_NUMBER() OVER (PARTITION BY s.url ORDER BY s.shared_at) AS share_rank,
                   COUNT(*) OVER (PARTITION BY s.url) AS n_shares
            FROM s JOIN repeated r ON s.url = r.url
        ),
        second_share AS (
            SELECT url, sec_from_first_share AS delay FROM ranked WHERE share_rank = 2
        ),
        -- "find URLs with an unusual fast second share and keep the quickest"
        quickest AS (
            SELECT url FROM second_share
            WHERE delay <= (SELECT quantile_cont(delay, {_fraction(q)}) FROM second_share)
        ),
        -- perc_of_shares = rank / ct_shares_count, a double division in R as here.
        reached AS (
            SELECT r.url, MIN(r.sec_from_first_share) AS delay
            FROM ranked r JOIN quickest k ON r.url = k.url
            WHERE CAST(r.share_rank AS DOUBLE) / r.n_shares > {_fraction(p)}
            GROUP BY r.url
        )
        SELECT quantile_cont(delay, {_fraction(p)}) FROM reached
    """


def get_coord_shares(
    con: duckdb.DuckDBPyConnection,
    shares: str,
    *,
    coordination_interval: int,
    percentile_edge_weight: float = 0.9,
) -> tuple[duckdb.DuckDBPyRelation, duckdb.DuckDBPyRelation]:
    """CooRnet's ``get_coord_shares``: the shares marked ``is_coordinated``, and the entity network.

    Returns ``(labels, edges)``: *labels* is every row of *shares* with a boolean ``is_coordinated``; *edges* is
    CooRnet's ``highly_connected_g`` as ``account_a < account_b, weight, threshold`` (weight = URLs both entities
    shared in coordinated bins, threshold = the ``percentile_edge_weight`` quantile every kept weight reaches).
    Components, degrees and strengths of CooRnet's entity table follow from the edges.
    """
    if isinstance(coordination_interval, bool) or not isinstance(coordination_interval, int):
        raise OvertError(f"coordination_interval must be whole seconds. Got {coordination_interval!r} instead.")
    if coordination_interval < 1:
        raise OvertError("The coordination_interval value can't be 0 (or negative); CooRnet refuses it too.")
    if not 0 <= percentile_edge_weight <= 1:
        raise OvertError(f"percentile_edge_weight must be between 0 and 1. Got {percentile_edge_weight!r} instead.")
    coordinated = f"overt_coornet_coordinated_{next(_names)}"
    con.execute(
        f"CREATE OR REPLACE TEMP VIEW {ident(coordinated)} AS {coordinated_shares_sql(shares, coordination_interval)}"
    )
    labels = con.sql(labels_sql(shares, coordinated))
    edges = con.sql(entity_network_sql(coordinated, percentile_edge_weight))
    return labels, edges


def coordinated_shares_sql(shares: str, coordination_interval: int) -> str:
    """CooRnet's ``coordinated_shares``: ``url, account, shared_at`` of every share in a coordinated bin."""
    return f"""
        WITH s AS (
            SELECT url, account, shared_at FROM {ident(shares)}
        ),
        -- URLs shared more than once (table(expanded) > 1), and by more than one entity.
        candidates AS (
            SELECT url FROM s GROUP BY url HAVING COUNT(*) > 1 AND COUNT(DISTINCT account) > 1
        ),
        -- cut(as.POSIXct(date), breaks = "<n> secs"): breaks at the first share + k * n, right = FALSE.
        binned AS (
            SELECT s.url, s.account, s.shared_at,
                   CAST(FLOOR(CAST(s.shared_at - MIN(s.shared_at) OVER (PARTITION BY s.url) AS DOUBLE)
                              / {int(coordination_interval)}) AS BIGINT) AS bin
            FROM s JOIN candidates c ON s.url = c.url
        ),
        -- filter(count > 1): a bin with two shares, even of one entity, is coordinated.
        coordinated_bins AS (
            SELECT url, bin FROM binned GROUP BY url, bin HAVING COUNT(*) > 1
        )
        SELECT b.url, b.account, b.shared_at
        FROM binned b JOIN coordinated_bins c ON b.url = c.url AND b.bin = c.bin
    """


def labels_sql(shares: str, coordinated: str) -> str:
    """Every share with ``is_coordinated``: URL, time and entity each among the coordinated shares."""
    return f"""
        SELECT s.*, (u.url IS NOT NULL AND t.shared_at IS NOT NULL AND a.account IS NOT NULL) AS is_coordinated
        FROM {ident(shares)} s
        LEFT JOIN (SELECT DISTINCT url FROM {ident(coordinated)}) u ON s.url = u.url
        LEFT JOIN (SELECT DISTINCT shared_at FROM {ident(coordinated)}) t ON s.shared_at = t.shared_at
        LEFT JOIN (SELECT DISTINCT account FROM {ident(coordinated)}) a ON s.account = a.account
    """


def entity_network_sql(coordinated: str, percentile_edge_weight: float) -> str:
    """``build_coord_graph``'s ``highly_connected_g`` as an edge list."""
    return f"""
        WITH bipartite AS (
            -- simplify(remove.multiple = TRUE): one entity-URL edge however often the entity shared the URL.
            SELECT DISTINCT account, url FROM {ident(coordinated)}
        ),
        -- bipartite.projection(multiplicity = TRUE)$proj2: weight = URLs in common.
        projected AS (
            SELECT a.account AS account_a, b.account AS account_b, COUNT(*) AS weight
            FROM bipartite a JOIN bipartite b ON a.url = b.url AND a.account < b.account
            GROUP BY a.account, b.account
        ),
        threshold AS (
            SELECT quantile_cont(weight, {_fraction(percentile_edge_weight)}) AS q FROM projected
        )
        SELECT e.account_a, e.account_b, e.weight, t.q AS threshold
        FROM projected e CROSS JOIN threshold t
        WHERE e.weight >= t.q
        ORDER BY e.account_a, e.account_b
    """


def shares_from_posts(
    con: duckdb.DuckDBPyConnection,
    posts: duckdb.DuckDBPyRelation | str,
    *,
    urls: Iterable[str] | None = None,
    name: str = "coornet_shares",
) -> str:
    """Create a view of CooRnet shares from canonical posts and return its name.

    One row per post and link (``urls``; CooRnet unnests CrowdTangle's ``expandedLinks`` and de-duplicates post
    and link the same way): ``url, account`` (the account id), ``share_id`` (the post id) and ``shared_at``
    (whole seconds since 1970). *urls* keeps only those links (CooRnet's ``keep_ourl_only``); they are
    normalised as ingest normalises links, so give them as written.
    """
    table = posts if isinstance(posts, str) else _view(posts)
    keep = ""
    if urls is not None:
        wanted = sorted({normalise_url(u) for u in urls})
        if not wanted:
            raise OvertError("shares_from_posts: the list of URLs to keep is empty.")
        values = ", ".join(f"({sql_str(u)})" for u in wanted)
        keep = f"JOIN (VALUES {values}) AS k(url) ON u.url = k.url"
    con.execute(
        f"""
        CREATE OR REPLACE TEMP VIEW {ident(name)} AS
        SELECT DISTINCT u.url, p.account_id AS account, p.post_id AS share_id, {AT} AS shared_at
        FROM {ident(table)} p CROSS JOIN UNNEST(p.urls) AS u(url) {keep}
        """
    )
    return name


def _view(relation: duckdb.DuckDBPyRelation) -> str:
    name = f"overt_coornet_posts_{next(_names)}"
    relation.create_view(name, replace=True)
    return name


def _fraction(value: float) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise OvertError(f"Expected a fraction between 0 and 1. Got {value!r} instead.")
    return repr(float(value))


def run(
    eng: DuckDBEngine, det: Detector, dest: Path, progress: Progress, *, auto: tuple[float, float] | None
) -> tuple[pa.Table, dict[str, Any]]:
    """``--profile coornet``: CooRnet's coordinated link sharing (``co_link`` only).

    The interval is the scan's window, or with ``--window auto`` :func:`estimate_coord_interval` with *auto*'s
    ``(q, p)``;
    the network keeps edges at or above the 0.9 quantile of weights. The shares marked ``is_coordinated`` go to
    ``profile/co_link_labels.parquet``.
    """
    if det.name != "co_link":
        raise OvertError(f"profile coornet reproduces CooRnet's coordinated link sharing (co_link), not {det.name}")
    assert isinstance(det, Windowed) and det.window is not None
    shares = shares_from_posts(eng.con, "posts")
    interval = det.window if auto is None else estimate_coord_interval(eng.con, shares, q=auto[0], p=auto[1])
    labels, edges = get_coord_shares(eng.con, shares, coordination_interval=interval)
    progress.advance("co_link: coordinated shares")
    folder = dest.parent.with_name("profile")
    folder.mkdir(exist_ok=True)
    pq.write_table(labels.to_arrow_table(), folder / "co_link_labels.parquet")
    network = edges.to_arrow_table()
    table = profile_edges("co_link", network.column("account_a"), network.column("account_b"), network.column("weight"))
    pq.write_table(table, dest)
    progress.advance("co_link: written")
    return table, {"params": det.params(), "coordination_interval": interval, "edges": table.num_rows}
