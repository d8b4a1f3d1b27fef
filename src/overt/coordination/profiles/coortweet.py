"""``--profile coortweet``: CooRTweet's coordinated groups and network, row for row.

Reproduces the R package CooRTweet 2.1.2 (Righetti & Balluff, MIT; the R code of CRAN 2.1.2 equals GitHub HEAD
d31a008) as portable SQL:

* :func:`detect_groups` is its ``detect_groups`` (``do_detect_groups``, ``calc_group_combinations``,
  ``do_remove_loops``, ``filter_min_participation``): accounts with fewer than ``min_participation`` rows are
  dropped; every pair of rows of one object with ``|Δt| <= time_window`` (inclusive) is a candidate;
  ``remove_loops`` drops pairs of one account, of one content, and pairs where the object is one of the two
  contents; the final filter keeps a pair when either of its contents belongs to an account that has at least
  ``min_participation`` input rows among the contents left. The older content is ``content_id``; on a tie
  (Δt = 0) the row that comes first in CooRTweet's own row order is. Output rows come in CooRTweet's order.
* :func:`generate_coordinated_network` is its ``generate_coordinated_network`` with ``fast_net = FALSE`` and
  ``subgraph = 0``: one undirected edge per account pair (``pmin``/``pmax`` of the ids), weight = number of
  coordinated share pairs, ``avg_time_delta``, distinct ``content_id``/``content_id_y`` and their
  ``edge_symmetry_score``, and ``weight_threshold`` = 1 when the weight is strictly greater than the R type-7
  quantile ``edge_weight`` of all edge weights.
* :func:`shares_from_posts` is the part of ``prep_data``/``reshape_tweets`` that turns posts into
  ``object_id, account_id, content_id, timestamp_share`` rows.

CooRTweet's row order matters in two places: which content of a zero-delay pair is ``content_id`` (and so
``n_content_id`` versus ``n_content_id_y``), and the order of the output rows. R groups rows by account (accounts
in order of first appearance, rows within an account in input order) before pairing them, and lists objects in
order of first appearance after that regrouping. A shares table may carry a ``share_order`` column giving the
input order; without it rows are ordered by time and ids, which changes nothing but those two things.

Known differences: R's ``pmin``/``pmax`` compare account ids in the session's locale collation, SQL ``LEAST``/
``GREATEST`` in byte order (identical for the hexadecimal, numeric and ``tw_``/``fb_`` ids of CooRTweet's data
and of Twitter/Facebook exports). A canonical dataset holds one row per post, so a post listed under two objects
of one type (40 tweets of the bundled ``russian_coord_tweets``) keeps only its first object; see the parity tests.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from overt.coordination.detectors import AT, Detector, Windowed
from overt.coordination.schema import profile_edges
from overt.errors import OvertError
from overt.ingest.csvsource import ident

if TYPE_CHECKING:
    from overt.coordination.scan import Progress
    from overt.engine import DuckDBEngine

#: Columns :func:`detect_groups` reads: CooRTweet's input layout.
SHARES_COLUMNS = ("object_id", "account_id", "content_id", "timestamp_share")
#: Optional column of a shares table giving the input row order (see the module docstring).
ORDER_COLUMN = "share_order"
#: Columns of :func:`detect_groups`' result, in CooRTweet's order.
RESULT_COLUMNS = ("object_id", "content_id", "content_id_y", "time_delta", "account_id", "account_id_y")
#: Object types :func:`shares_from_posts` knows, with the prefix they get when several are combined.
OBJECT_PREFIXES = {"repost": "repost_", "url": "url_", "hashtag": "hashtag_", "domain": "domain_", "text": "text_"}

_names = itertools.count()


def detect_groups(
    con: duckdb.DuckDBPyConnection,
    shares: str,
    *,
    time_window: int = 10,
    min_participation: int = 2,
    remove_loops: bool = True,
) -> duckdb.DuckDBPyRelation:
    """CooRTweet's ``detect_groups(shares, time_window, min_participation, remove_loops)``.

    *shares* names a table or view with columns ``object_id, account_id, content_id, timestamp_share``
    (seconds, a number) and optionally ``share_order``. Returns ``object_id, content_id, content_id_y,
    time_delta, account_id, account_id_y`` in CooRTweet's row order, ``content_id`` being the older share and
    ``time_delta`` the absolute delay in seconds.
    """
    columns = _columns(con, shares)
    missing = [c for c in SHARES_COLUMNS if c not in columns]
    if missing:
        raise OvertError(f"{shares}: missing column(s) {', '.join(missing)} needed by CooRTweet's detect_groups")
    return con.sql(
        detect_groups_sql(
            shares,
            time_window=time_window,
            min_participation=min_participation,
            remove_loops=remove_loops,
            ordered=ORDER_COLUMN in columns,
        )
    )


def detect_groups_sql(
    shares: str, *, time_window: int, min_participation: int, remove_loops: bool, ordered: bool = True
) -> str:
    """The SQL of :func:`detect_groups` over table *shares* (with a ``share_order`` column when *ordered*)."""
    window = _number(time_window, "time_window")
    mp = int(min_participation)
    # R keeps input order; without share_order any deterministic order will do (see the module docstring).
    order = ident(ORDER_COLUMN) if ordered else "timestamp_share"
    loops = (
        # do_remove_loops: the object is one of the two contents, one content twice, one account twice.
        "object_id <> content_id AND object_id <> content_id_y AND content_id <> content_id_y "
        "AND account_id <> account_id_y"
        if remove_loops
        else "TRUE"
    )
    if mp >= 1:
        # filter_min_participation: count the *input rows* (not distinct contents) of each account whose content
        # is in a pair; a content listed under two objects counts twice. Keep a pair when either content
        # belongs to an account with at least min_participation such rows.
        final = f"""
        pair_contents AS (
            SELECT content_id FROM kept UNION SELECT content_id_y FROM kept
        ),
        rows_in AS (
            SELECT x.account_id, x.content_id FROM x JOIN pair_contents p ON x.content_id = p.content_id
        ),
        active AS (
            SELECT account_id FROM rows_in GROUP BY account_id HAVING COUNT(*) >= {mp}
        ),
        active_contents AS (
            SELECT DISTINCT r.content_id FROM rows_in r JOIN active a ON r.account_id = a.account_id
        ),
        coordinated AS (
            SELECT k.* FROM kept k
            LEFT JOIN active_contents c1 ON k.content_id = c1.content_id
            LEFT JOIN active_contents c2 ON k.content_id_y = c2.content_id
            WHERE c1.content_id IS NOT NULL OR c2.content_id IS NOT NULL
        )"""
    else:
        final = "coordinated AS (SELECT * FROM kept)"
    return f"""
        WITH shares_in AS (
            SELECT object_id, account_id, content_id, timestamp_share AS ts, {order} AS r,
                   COUNT(*) OVER (PARTITION BY account_id) AS n_rows,
                   MIN({order}) OVER (PARTITION BY account_id) AS account_first
            FROM {ident(shares)}
        ),
        -- The pre-filter, which also regroups R's rows by account: the position of a row within its object
        -- follows (first row of its account, own row), as data.table's `x[, .SD, by = account_id]` leaves them.
        x AS (
            SELECT object_id, account_id, content_id, ts, account_first, r,
                   ROW_NUMBER() OVER (PARTITION BY object_id ORDER BY account_first, r, content_id) AS pos
            FROM shares_in WHERE n_rows >= {mp}
        ),
        -- calc_group_combinations: the self join `group[group, on = .(id < id)]`, the earlier row on the left.
        pairs AS (
            SELECT a.object_id, a.content_id, b.content_id AS content_id_y, a.ts - b.ts AS time_delta,
                   a.account_id, b.account_id AS account_id_y, a.pos AS pos_x, b.pos AS pos_y
            FROM x a JOIN x b ON a.object_id = b.object_id AND a.pos < b.pos
            WHERE ABS(a.ts - b.ts) <= {window}
        ),
        kept AS (
            SELECT * FROM pairs WHERE {loops}
        ),
        {final},
        -- `by = object_id` lists objects in order of their first row after the regrouping.
        objects AS (
            SELECT object_id, account_first AS object_first, r AS object_r FROM x WHERE pos = 1
        )
        SELECT c.object_id,
               CASE WHEN c.time_delta > 0 THEN c.content_id_y ELSE c.content_id END AS content_id,
               CASE WHEN c.time_delta > 0 THEN c.content_id ELSE c.content_id_y END AS content_id_y,
               ABS(c.time_delta) AS time_delta,
               CASE WHEN c.time_delta > 0 THEN c.account_id_y ELSE c.account_id END AS account_id,
               CASE WHEN c.time_delta > 0 THEN c.account_id ELSE c.account_id_y END AS account_id_y
        FROM coordinated c JOIN objects o ON c.object_id = o.object_id
        ORDER BY o.object_first, o.object_r, c.object_id, c.pos_y, c.pos_x
    """


def generate_coordinated_network(
    con: duckdb.DuckDBPyConnection, result_relation: duckdb.DuckDBPyRelation | str, *, edge_weight: float = 0.5
) -> duckdb.DuckDBPyRelation:
    """CooRTweet's ``generate_coordinated_network(result, edge_weight)`` as an edge list.

    *result_relation* is :func:`detect_groups`' result (a relation on *con*, or a table name). Returns
    ``account_a, account_b, weight, avg_time_delta, n_content_id, n_content_id_y, edge_symmetry_score,
    weight_threshold`` with ``account_a < account_b`` (igraph's ``from``/``to``; it keeps either order).
    """
    if not 0 <= edge_weight <= 1:
        raise OvertError(f"edge_weight must be a number between 0 and 1. Got {edge_weight!r} instead.")
    return con.sql(generate_coordinated_network_sql(_table(con, result_relation, "coortweet_result"), edge_weight))


def generate_coordinated_network_sql(result: str, edge_weight: float) -> str:
    """The SQL of :func:`generate_coordinated_network` over table *result*."""
    q = _number(edge_weight, "edge_weight")
    return f"""
        WITH x AS (
            -- "standardize the order of the vertices": pmin/pmax of the two accounts; contents are not swapped.
            SELECT LEAST(account_id, account_id_y) AS account_a, GREATEST(account_id, account_id_y) AS account_b,
                   content_id, content_id_y, time_delta
            FROM {ident(result)}
        ),
        edges AS (
            SELECT account_a, account_b, COUNT(*) AS weight, AVG(CAST(time_delta AS DOUBLE)) AS avg_time_delta,
                   COUNT(DISTINCT content_id) AS n_content_id, COUNT(DISTINCT content_id_y) AS n_content_id_y
            FROM x GROUP BY account_a, account_b
        ),
        threshold AS (
            -- R's quantile() type 7 is linear interpolation between order statistics, as quantile_cont.
            SELECT quantile_cont(weight, {q}) AS q FROM edges
        )
        SELECT e.account_a, e.account_b, e.weight, e.avg_time_delta, e.n_content_id, e.n_content_id_y,
               CAST(LEAST(e.n_content_id, e.n_content_id_y) AS DOUBLE)
                   / GREATEST(e.n_content_id, e.n_content_id_y) AS edge_symmetry_score,
               CASE WHEN e.weight > t.q THEN 1 ELSE 0 END AS weight_threshold
        FROM edges e CROSS JOIN threshold t
        ORDER BY e.account_a, e.account_b
    """


def shares_from_posts(
    con: duckdb.DuckDBPyConnection,
    posts: duckdb.DuckDBPyRelation | str,
    object: str = "repost",
    *,
    objects: Sequence[str] | None = None,
    include_originals: bool = False,
    name: str | None = None,
) -> str:
    """Create a view of CooRTweet shares from canonical posts and return its name.

    One row per (post, object): ``object_id, account_id, content_id`` (the post id), ``timestamp_share`` (whole
    seconds since 1970) and ``share_order`` (input file and line, so that ties break as in R). *object* is one of

    * ``repost``: the reposted post (``reshape_tweets(intent = "retweets")``, the bundled data's object). With
      *include_originals*, a reposted post that is itself in the dataset is also a share of itself
      (object = content), as ``reshape_tweets`` attaches the original tweets; ``remove_loops`` then drops its pairs
      but it still counts towards ``min_participation``. The bundled ``russian_coord_tweets`` has no such rows.
    * ``url``: each link, without links to ``https://twitter.com`` (``intent = "urls"``); links are normalised
      at ingest, CooRTweet compares them as the API gives them.
    * ``hashtag``: each hashtag (``intent = "hashtags"``; lower-cased at ingest, CooRTweet keeps the case).
    * ``domain``: each registrable domain (``intent = "urls_domains"`` uses the host without ``www.``, so
      ``news.bbc.co.uk`` stays apart from ``bbc.co.uk`` there but not here).
    * ``text``: CooRTweet's ``normalize_text`` of posts that are neither reposts nor replies (``intent =
      "cotweet"`` with its defaults): mentions and every ``RT`` removed, lower case, trimmed.

    Ids are taken as they are, without the platform (CooRTweet's own multi-platform data prefixes its account
    ids with ``tw_``/``fb_``).

    *objects* combines several types as CooRTweet's multi-modal example does: object ids are prefixed with the
    type (``url_``, ``hashtag_``, ...) so that types never mix, and one :func:`detect_groups` runs over all of
    them (``min_participation`` then counts an account's rows of every type). CooRTweet's own example runs
    ``detect_groups`` once per type and binds the results; to do that, call this once per type and union the
    results of :func:`detect_groups`.
    """
    types = list(objects) if objects is not None else [object]
    if not types:
        raise OvertError("shares_from_posts needs at least one object type.")
    unknown = [t for t in types if t not in OBJECT_PREFIXES]
    if unknown:
        raise OvertError(f"Unknown CooRTweet object type(s) {', '.join(unknown)}; known: {', '.join(OBJECT_PREFIXES)}.")
    if len(set(types)) != len(types):
        raise OvertError(f"Object types given twice: {', '.join(types)}.")
    table = _table(con, posts, "coortweet_posts")
    prefixed = len(types) > 1
    parts = [
        _object_rows(table, t, rank, OBJECT_PREFIXES[t] if prefixed else "", include_originals)
        for rank, t in enumerate(types)
    ]
    view = name or "coortweet_shares_" + "_".join(types)
    union = "\nUNION ALL\n".join(parts)
    con.execute(
        f"""
        CREATE OR REPLACE TEMP VIEW {ident(view)} AS
        WITH shares AS (
            -- One row per post and object even where a list repeats a value; CooRTweet's multi-modal example
            -- de-duplicates its prep_data() rows on these four columns too.
            SELECT object_id, account_id, content_id, timestamp_share,
                   MIN(type_rank) AS type_rank, MIN(file) AS file, MIN(line) AS line
            FROM ({union}) rows_
            WHERE object_id IS NOT NULL
            GROUP BY object_id, account_id, content_id, timestamp_share
        )
        SELECT object_id, account_id, content_id, timestamp_share,
               ROW_NUMBER() OVER (ORDER BY type_rank, file, line, object_id) AS {ident(ORDER_COLUMN)}
        FROM shares
        """
    )
    return view


def _object_rows(posts: str, kind: str, rank: int, prefix: str, include_originals: bool) -> str:
    """``object_id, account_id, content_id, timestamp_share, type_rank, file, line`` of one object type."""
    src = ident(posts)

    def rows(obj: str, source: str, where: str = "TRUE", after: int = 0) -> str:
        value = f"'{prefix}' || {obj}" if prefix else obj
        return f"""
            SELECT {value} AS object_id, p.account_id, p.post_id AS content_id,
                   {AT} AS timestamp_share,
                   {2 * rank + after} AS type_rank, p.source.file AS file, p.source.line AS line
            FROM {source} WHERE {where}"""

    if kind == "repost":
        sql = rows("p.repost_of_post_id", f"{src} p", "p.repost_of_post_id IS NOT NULL")
        if include_originals:
            # rbind(retweets, original_tweets): the originals come after every repost.
            sql += "\nUNION ALL\n" + rows(
                "p.post_id",
                f"{src} p JOIN (SELECT DISTINCT repost_of_post_id FROM {src}) o ON p.post_id = o.repost_of_post_id",
                after=1,
            )
        return sql
    if kind == "url":
        return rows("u.item", f"{src} p CROSS JOIN UNNEST(p.urls) AS u(item)", "u.item NOT LIKE 'https://twitter.com%'")
    if kind == "hashtag":
        return rows("u.item", f"{src} p CROSS JOIN UNNEST(p.hashtags) AS u(item)")
    if kind == "domain":
        return rows("u.item", f"{src} p CROSS JOIN UNNEST(p.domains) AS u(item)")
    # normalize_text(): gsub("@.+?(\\s|$)", "", x); gsub("RT", "", x); trimws(tolower(x)). In that order: "RT" is
    # removed case-sensitively, anywhere in a word, before lower-casing.
    text = (
        "regexp_replace(lower(regexp_replace(regexp_replace(p.text, '@.+?(\\s|$)', '', 'g'), 'RT', '', 'g')), "
        "'^[ \\t\\r\\n]+|[ \\t\\r\\n]+$', '', 'g')"
    )
    return rows(text, f"{src} p", "p.text IS NOT NULL AND p.kind NOT IN ('repost', 'reply')")


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    return list(con.sql(f"SELECT * FROM {ident(table)} LIMIT 0").columns)


def _table(con: duckdb.DuckDBPyConnection, source: duckdb.DuckDBPyRelation | str, stem: str) -> str:
    """A table name for *source*: the name itself, or a temporary view of the relation."""
    if isinstance(source, str):
        return source
    # A view of the relation itself (not of its SQL text, which cannot name Arrow or pandas sources).
    name = f"overt_{stem}_{next(_names)}"
    source.create_view(name, replace=True)
    return name


def _number(value: float, what: str) -> str:
    """*value* as a SQL literal, refusing anything that is not a finite non-negative number."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not value >= 0 or value == float("inf"):
        raise OvertError(f"{what} must be a non-negative number. Got {value!r} instead.")
    return repr(value)


#: overt detector -> CooRTweet object type.
OBJECTS = {"co_repost": "repost", "co_link": "url", "co_hashtag": "hashtag", "co_text": "text"}


def run(eng: DuckDBEngine, det: Detector, dest: Path, progress: Progress) -> tuple[pa.Table, dict[str, Any]]:
    """``--profile coortweet`` for one detector: ``detect_groups`` on its object type, then the network.

    ``min_weight`` is CooRTweet's ``min_participation``; the window is its ``time_window``; ``edge_weight`` is
    0.5. The edges file holds CooRTweet's full graph (``subgraph = 0``); its own columns, with
    ``weight_threshold``, go to ``profile/<detector>.parquet``.
    """
    if det.name not in OBJECTS:
        raise OvertError(f"profile coortweet has no object type for {det.name}; it supports {', '.join(OBJECTS)}")
    assert isinstance(det, Windowed) and det.window is not None
    shares = shares_from_posts(eng.con, "posts", OBJECTS[det.name], name=f"coortweet_{det.name}_shares")
    result = detect_groups(eng.con, shares, time_window=det.window, min_participation=det.min_weight)
    result.create(f"coortweet_{det.name}_result")
    progress.advance(f"{det.name}: groups")
    network = generate_coordinated_network(eng.con, f"coortweet_{det.name}_result").to_arrow_table()
    dest.parent.with_name("profile").mkdir(exist_ok=True)
    pq.write_table(network, dest.parent.with_name("profile") / dest.name)
    progress.advance(f"{det.name}: network")
    n = network.num_rows
    table = profile_edges(
        det.name,
        network.column("account_a"),
        network.column("account_b"),
        network.column("weight"),
        network.column("n_content_id"),
    )
    pq.write_table(table, dest)
    info = {
        "params": det.params(),
        "result_rows": int(eng.scalar(f"SELECT count(*) FROM coortweet_{det.name}_result")),
        "edges": n,
    }
    progress.advance(f"{det.name}: written")
    return table, info
