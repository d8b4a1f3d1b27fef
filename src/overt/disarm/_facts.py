"""What each cluster shows, read once from the scan's tables, the signal tables and the dataset.

The rules in :mod:`overt.disarm.tagging` look only at these small per-cluster summaries; every pass over edges,
evidence and posts happens here, in SQL on the engine.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from overt.coordination.schema import CLUSTERS, EDGES, EVIDENCE
from overt.engine import DuckDBEngine

# Items short and public enough to quote (hashtags, sites); texts and links are in the scan's evidence.
QUOTED = ("co_hashtag", "hashtag_sequence", "co_domain")
# Matched on the lower-cased handle and display name (IRA outlets: ChicagoDailyNew, TodayMiami, HoustonTopNews).
NEWS_WORDS = r"news|daily|today|times|herald|gazette|tribune|chronicle|journal|headlines|breaking"
# Matched on the lower-cased description and display name.
JOURNALIST_WORDS = r"journalist|reporter|correspondent|news anchor|newsroom"

_EDGE_COLUMNS = ["detector", "account_a", "account_b", "n_shared_items", "n_pairs"]
_EVIDENCE_COLUMNS = ["detector", "account_a", "account_b", "item", "a_at", "b_at"]


@dataclass
class Trace:
    """One detector's co-actions inside one cluster (edges with both accounts in it)."""

    edges: int
    accounts: int
    coactions: int
    items: int | None = None
    median_delay: float | None = None
    max_delay: float | None = None
    to_the_minute: bool = False
    top_items: list[str] = field(default_factory=list)


@dataclass
class SignalStats:
    """One signal over a cluster: its members' scores and the cluster's own score."""

    assessed: int = 0
    flagged: int = 0
    mean: float | None = None
    example: str | None = None
    cluster_score: float | None = None
    cluster_evidence: str | None = None


@dataclass
class Volume:
    """The members' posts: how many, by how many accounts, on how many UTC days, and the busiest clock hour."""

    posts: int
    accounts: int
    days: int
    peak_hour: datetime
    peak_posts: int
    peak_accounts: int


@dataclass
class Cluster:
    """Everything the rules may use about one cluster; absent sources leave their fields empty."""

    cluster: int
    size: int
    traces: dict[str, Trace] = field(default_factory=dict)
    signals: dict[str, SignalStats] = field(default_factory=dict)
    volume: Volume | None = None
    ages: tuple[int, int, float] | None = None  # members with a creation date, new ones, median age in days
    profiles: int = 0
    news: list[str] = field(default_factory=list)
    journalists: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Sources:
    """The inputs: Arrow tables where given, else Parquet files of a scan folder (read in place)."""

    clusters: pa.Table
    edges: Mapping[str, pa.Table] | None = None
    evidence: Mapping[str, pa.Table] | None = None
    edge_files: tuple[Path, ...] = ()
    evidence_files: tuple[Path, ...] = ()
    signals: pa.Table | None = None
    cluster_signals: pa.Table | None = None


def quote(value: str) -> str:
    """A SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def has_relation(eng: DuckDBEngine, name: str) -> bool:
    """Whether the engine has a table or view *name*."""
    return bool(
        eng.scalar(
            f"SELECT (SELECT count(*) FROM duckdb_tables() WHERE table_name = {quote(name)})"
            f" + (SELECT count(*) FROM duckdb_views() WHERE view_name = {quote(name)})"
        )
    )


class _Registry:
    """Tables registered on the engine under private names, dropped at the end."""

    def __init__(self, eng: DuckDBEngine) -> None:
        self.eng = eng
        self.made: list[str] = []

    def register(self, name: str, table: pa.Table) -> str:
        self.eng.register(name, table)
        self.made.append(name)
        return name

    def source(
        self,
        name: str,
        tables: Mapping[str, pa.Table] | None,
        files: tuple[Path, ...],
        schema: pa.Schema,
        cols: list[str],
    ) -> str:
        """SQL for the given Arrow tables, else for the Parquet files (evidence can be large: not loaded)."""
        wanted = pa.schema([schema.field(c) for c in cols])
        if tables is not None:
            parts = [table.select(cols).cast(wanted) for table in tables.values()]
            return self.register(name, pa.concat_tables([wanted.empty_table(), *parts]))
        if files:
            paths = ", ".join(quote(str(f)) for f in files)
            return f"(SELECT {', '.join(cols)} FROM read_parquet([{paths}], union_by_name = true))"
        return self.register(name, wanted.empty_table())

    def drop(self) -> None:
        self.eng.drop(*self.made)


def read_clusters(eng: DuckDBEngine, src: Sources, *, signal_score: float, new_account_days: int) -> list[Cluster]:
    """Summarise every cluster of *src* (and the dataset *eng* has attached, if any), by cluster number."""
    reg = _Registry(eng)
    try:
        members = src.clusters.select(["cluster", "account_id"]).cast(
            pa.schema([CLUSTERS.field(c) for c in ("cluster", "account_id")])
        )
        reg.register("_disarm_members", members)
        out = {
            int(k): Cluster(int(k), int(n))
            for k, n in eng.rows("SELECT cluster, count(DISTINCT account_id) FROM _disarm_members GROUP BY cluster")
        }
        edges = reg.source("_disarm_edges", src.edges, src.edge_files, EDGES, _EDGE_COLUMNS)
        evidence = reg.source("_disarm_evidence", src.evidence, src.evidence_files, EVIDENCE, _EVIDENCE_COLUMNS)
        _read_traces(eng, edges, evidence, out)
        accounts = reg.register("_disarm_signals", src.signals) if src.signals is not None else None
        clusters = (
            reg.register("_disarm_cluster_signals", src.cluster_signals) if src.cluster_signals is not None else None
        )
        _read_signals(eng, accounts, clusters, signal_score, out)
        if has_relation(eng, "posts"):
            _read_volume(eng, out)
        if has_relation(eng, "accounts"):
            _read_profiles(eng, out)
            if has_relation(eng, "posts"):
                _read_ages(eng, new_account_days, out)
    finally:
        reg.drop()
    return [out[k] for k in sorted(out)]


def _inside(source: str, extra: str = "") -> str:
    """Rows of an edge or evidence *source* whose two accounts are in the same cluster, with that cluster."""
    return f"""
        SELECT m.cluster, e.detector, e.account_a, e.account_b{extra}
        FROM {source} AS e
        JOIN _disarm_members AS m ON m.account_id = e.account_a
        JOIN _disarm_members AS m2 ON m2.account_id = e.account_b AND m2.cluster = m.cluster
        WHERE e.account_a <> e.account_b
    """


def _read_traces(eng: DuckDBEngine, edges: str, evidence: str, out: dict[int, Cluster]) -> None:
    inside = _inside(edges, ", coalesce(e.n_pairs, e.n_shared_items, 0) AS n")
    rows = eng.rows(f"""
        WITH inside AS ({inside}),
        ends AS (
            SELECT cluster, detector, account_a AS account_id FROM inside
            UNION SELECT cluster, detector, account_b FROM inside
        ),
        per AS (
            SELECT cluster, detector, count(*) AS n_edges, sum(n) AS n_pairs FROM inside GROUP BY cluster, detector
        ),
        accts AS (SELECT cluster, detector, count(*) AS n_accounts FROM ends GROUP BY cluster, detector)
        SELECT per.cluster, per.detector, n_edges, n_accounts, n_pairs
        FROM per JOIN accts ON accts.cluster = per.cluster AND accts.detector = per.detector
    """)
    for cluster, detector, n_edges, n_accounts, n_pairs in rows:
        # Without evidence (peer profiles write none) the edges' pair counts stand for the co-actions.
        out[cluster].traces[detector] = Trace(int(n_edges), int(n_accounts), int(n_pairs or 0))
    minute = "CAST(floor(epoch(e.{0})) AS BIGINT) % 60 = 0"
    delay = "abs(epoch(e.b_at) - epoch(e.a_at))"
    eng.create(
        "_disarm_ev",
        _inside(evidence, f", e.item, {delay} AS delay, {minute.format('a_at')} AND {minute.format('b_at')} AS on_min"),
    )
    try:
        stats = eng.rows("""
            SELECT cluster, detector, count(*), count(DISTINCT item), median(delay), max(delay), bool_and(on_min)
            FROM _disarm_ev GROUP BY cluster, detector
        """)
        top = eng.rows(f"""
            SELECT cluster, detector, item FROM (
                SELECT cluster, detector, item,
                       row_number() OVER (PARTITION BY cluster, detector ORDER BY count(*) DESC, item) AS rk
                FROM _disarm_ev WHERE detector IN ({", ".join(quote(d) for d in QUOTED)})
                GROUP BY cluster, detector, item
            ) ranked WHERE rk <= 3 ORDER BY cluster, detector, rk
        """)
    finally:
        eng.drop("_disarm_ev")
    for cluster, detector, n, n_items, median, longest, on_minute in stats:
        tr = out[cluster].traces.get(detector)
        if tr is None:  # evidence without a kept edge: not from this scan's edges
            continue
        tr.coactions, tr.items = int(n), int(n_items)
        tr.median_delay = None if median is None else float(median)
        tr.max_delay = None if longest is None else float(longest)
        tr.to_the_minute = bool(on_minute)
    for cluster, detector, item in top:
        if detector in out[cluster].traces:
            out[cluster].traces[detector].top_items.append(str(item))


def _read_signals(
    eng: DuckDBEngine, accounts: str | None, clusters: str | None, signal_score: float, out: dict[int, Cluster]
) -> None:
    if accounts:
        rows = eng.rows(f"""
            WITH s AS (
                SELECT m.cluster, s.signal, s.account_id, s.score, s.evidence,
                       row_number() OVER (PARTITION BY m.cluster, s.signal
                                          ORDER BY s.score DESC, s.account_id) AS rk
                FROM {accounts} AS s JOIN _disarm_members AS m ON m.account_id = s.account_id
                WHERE s.score IS NOT NULL
            )
            SELECT cluster, signal, count(*), sum(CASE WHEN score >= {float(signal_score)!r} THEN 1 ELSE 0 END),
                   avg(score), max(CASE WHEN rk = 1 THEN evidence END)
            FROM s GROUP BY cluster, signal
        """)
        for cluster, signal, assessed, flagged, mean, example in rows:
            out[cluster].signals[signal] = SignalStats(int(assessed), int(flagged), float(mean), example)
    if clusters:
        rows = eng.rows(f"""
            SELECT cluster, signal, score, evidence FROM (
                SELECT cluster, signal, score, evidence,
                       row_number() OVER (PARTITION BY cluster, signal ORDER BY score DESC) AS rk
                FROM {clusters} WHERE score IS NOT NULL
            ) ranked WHERE rk = 1
        """)
        for cluster, signal, score, evidence in rows:
            if cluster in out:
                s = out[cluster].signals.setdefault(signal, SignalStats())
                s.cluster_score, s.cluster_evidence = float(score), evidence


def _read_volume(eng: DuckDBEngine, out: dict[int, Cluster]) -> None:
    rows = eng.rows("""
        WITH p AS (
            SELECT m.cluster, p.account_id, p.created_at
            FROM posts AS p JOIN _disarm_members AS m ON m.account_id = p.account_id
        ),
        hours AS (
            SELECT cluster, date_trunc('hour', created_at) AS hour, count(*) AS n,
                   count(DISTINCT account_id) AS n_accounts
            FROM p GROUP BY cluster, date_trunc('hour', created_at)
        ),
        peak AS (
            SELECT cluster, hour, n, n_accounts, row_number() OVER (PARTITION BY cluster ORDER BY n DESC, hour) AS rk
            FROM hours
        ),
        totals AS (
            SELECT cluster, count(*) AS n_posts, count(DISTINCT account_id) AS n_active,
                   count(DISTINCT CAST(created_at AS DATE)) AS n_days
            FROM p GROUP BY cluster
        )
        SELECT t.cluster, t.n_posts, t.n_active, t.n_days, k.hour, k.n, k.n_accounts
        FROM totals AS t JOIN peak AS k ON k.cluster = t.cluster AND k.rk = 1
    """)
    for cluster, n_posts, n_active, n_days, hour, n, n_accounts in rows:
        out[cluster].volume = Volume(int(n_posts), int(n_active), int(n_days), hour, int(n), int(n_accounts))


def _read_profiles(eng: DuckDBEngine, out: dict[int, Cluster]) -> None:
    rows: list[tuple[Any, ...]] = eng.rows(f"""
        WITH a AS (
            SELECT m.cluster, m.account_id, any_value(a.handle) AS handle,
                   any_value(a.display_name) AS display_name, any_value(a.description) AS description
            FROM _disarm_members AS m JOIN accounts AS a ON a.account_id = m.account_id
            GROUP BY m.cluster, m.account_id
        )
        SELECT cluster, coalesce(handle, account_id) AS shown,
               regexp_matches(lower(coalesce(handle, '') || ' ' || coalesce(display_name, '')), {quote(NEWS_WORDS)}),
               regexp_matches(lower(coalesce(description, '') || ' ' || coalesce(display_name, '')),
                              {quote(JOURNALIST_WORDS)})
        FROM a ORDER BY cluster, shown
    """)
    for cluster, shown, news, journalist in rows:
        c = out[cluster]
        c.profiles += 1
        if news:
            c.news.append(str(shown))
        if journalist:
            c.journalists.append(str(shown))


def _read_ages(eng: DuckDBEngine, new_account_days: int, out: dict[int, Cluster]) -> None:
    rows = eng.rows(f"""
        WITH first_post AS (
            SELECT p.account_id, min(p.created_at) AS first_at
            FROM posts AS p JOIN _disarm_members AS m ON m.account_id = p.account_id GROUP BY p.account_id
        ),
        made AS (SELECT account_id, max(created_at) AS created FROM accounts GROUP BY account_id),
        age AS (
            SELECT m.cluster, date_diff('day', made.created, f.first_at) AS days
            FROM _disarm_members AS m
            JOIN made ON made.account_id = m.account_id
            JOIN first_post AS f ON f.account_id = m.account_id
            WHERE made.created IS NOT NULL AND made.created <= f.first_at
        )
        SELECT cluster, count(*), sum(CASE WHEN days <= {int(new_account_days)} THEN 1 ELSE 0 END), median(days)
        FROM age GROUP BY cluster
    """)
    for cluster, dated, new, median in rows:
        out[cluster].ages = (int(dated), int(new), float(median))
