"""Co-occurrence: pairing actions close in time, and turning pairs into edges.

Pairing is a time-bucketed equi-join: with buckets ``floor(ts / window)``, two actions within ``window``
seconds are in the same or adjacent buckets, so each action is joined with its item's actions in three
buckets only, and the work grows with the pairs that are close in time rather than with the square of an
item's lifetime popularity. A bucket where more than ``cap`` distinct accounts act on one item (a viral post)
is left out of pairing and reported, so nothing explodes quadratically without the user knowing.

A *pairs* table has one row per co-acting pair of actions: ``account_a, account_b, item, a_post_id, a_at,
b_post_id, b_at`` (``ts`` in whole seconds). Undirected detectors store each pair once with
``account_a < account_b``.
"""

from __future__ import annotations


def bucketed(actions: str, window: int, keep: str = "TRUE") -> str:
    """The materialised *actions* table (``account_id, item, ts, post_id``) with time buckets.

    Blank items and rows failing the detector's *keep* condition are dropped here, on a table: the same filter
    on the expression that computes an item (a normalised text) made DuckDB evaluate it several times over.
    """
    return f"""
        SELECT account_id, item, ts, post_id, CAST(floor(ts / {window}) AS BIGINT) AS bucket
        FROM {actions} WHERE item IS NOT NULL AND item <> '' AND ({keep})
    """


def viral(actions: str, cap: int) -> str:
    """Item-buckets of the bucketed *actions* table with more than *cap* distinct accounts."""
    return f"""
        SELECT item, bucket, count(DISTINCT account_id) AS n_accounts, count(*) AS n_actions
        FROM {actions} GROUP BY item, bucket HAVING count(DISTINCT account_id) > {int(cap)}
    """


def pairs(actions: str, window: int, *, directed: bool = False, loops: bool = False) -> str:
    """Action pairs on the same item within *window* seconds, from the bucketed table *actions*.

    Undirected (the default): distinct accounts, once per pair with ``account_a < account_b``. Directed
    (peer-tool profiles): both orders, and with *loops* also two different posts by the same account.
    """
    if directed:
        accounts = "x.account_id <> y.account_id" if not loops else "x.post_id <> y.post_id"
    else:
        accounts = "x.account_id < y.account_id"
    return f"""
        SELECT x.account_id AS account_a, y.account_id AS account_b, x.item AS item,
               x.post_id AS a_post_id, x.ts AS a_at, y.post_id AS b_post_id, y.ts AS b_at
        FROM {actions} x
        JOIN (SELECT a.*, a.bucket + o.d AS near FROM {actions} a
              CROSS JOIN (SELECT -1 AS d UNION ALL SELECT 0 UNION ALL SELECT 1) o) y
          ON x.item = y.item AND x.bucket = y.near
        WHERE abs(x.ts - y.ts) <= {int(window)} AND {accounts}
    """


def without(actions: str, excluded: str) -> str:
    """*actions* minus the item-buckets listed in *excluded*."""
    return f"""
        SELECT a.* FROM {actions} a
        LEFT JOIN {excluded} v ON a.item = v.item AND a.bucket = v.bucket
        WHERE v.item IS NULL
    """


def edges(pair_table: str, *, examples: int = 5) -> str:
    """Undirected edge statistics from a pairs table.

    ``weight`` counts co-acting posts: the fewer of the two sides' distinct posts in the pairs, so neither
    one item acted on many times nor one post carrying several items (two links, three hashtags) counts
    more than once; ``n_shared_items`` counts the distinct items; ``a_first``/``b_first`` count the items
    each side acted on first; ``items`` holds the first *examples* shared items in time.
    """
    # Every step is a plain GROUP BY, DISTINCT or window, which DuckDB spills to disk under its memory limit;
    # count(DISTINCT) and ordered list aggregates over all pairs did not (10M posts ran out of memory at 4 GB).
    return f"""
        WITH per_item AS (
            SELECT account_a, account_b, item, min(a_at) AS fa, min(b_at) AS fb, count(*) AS n_pairs,
                   min(least(a_at, b_at)) AS first_at, max(greatest(a_at, b_at)) AS last_at
            FROM {pair_table} GROUP BY account_a, account_b, item
        ),
        ranked AS (
            SELECT *, row_number() OVER (PARTITION BY account_a, account_b ORDER BY first_at, item) AS k
            FROM per_item
        ),
        a_posts AS (
            SELECT account_a, account_b, count(*) AS n
            FROM (SELECT DISTINCT account_a, account_b, a_post_id FROM {pair_table}) d GROUP BY account_a, account_b
        ),
        b_posts AS (
            SELECT account_a, account_b, count(*) AS n
            FROM (SELECT DISTINCT account_a, account_b, b_post_id FROM {pair_table}) d GROUP BY account_a, account_b
        ),
        stats AS (
            SELECT account_a, account_b, count(*) AS n_shared_items, sum(n_pairs) AS n_pairs,
                   min(first_at) AS first_at, max(last_at) AS last_at,
                   sum(CASE WHEN fa < fb THEN 1 ELSE 0 END) AS a_first,
                   sum(CASE WHEN fb < fa THEN 1 ELSE 0 END) AS b_first
            FROM ranked GROUP BY account_a, account_b
        ),
        examples AS (
            SELECT account_a, account_b, array_agg(item ORDER BY k) AS items
            FROM ranked WHERE k <= {int(examples)} GROUP BY account_a, account_b
        )
        SELECT s.account_a, s.account_b, least(pa.n, pb.n) AS weight, s.n_shared_items, s.n_pairs, s.first_at,
               s.last_at, s.a_first, s.b_first, e.items
        FROM stats s
        JOIN a_posts pa ON pa.account_a = s.account_a AND pa.account_b = s.account_b
        JOIN b_posts pb ON pb.account_a = s.account_a AND pb.account_b = s.account_b
        JOIN examples e ON e.account_a = s.account_a AND e.account_b = s.account_b
    """


def expected(edge_table: str, activity_table: str, min_weight: int) -> str:
    """Candidate edges with the number of co-acting pairs chance predicts for them.

    The null model keeps everything about the data but who the partners are: every action stays where it is,
    on its item at its time, so each of ``a``'s actions keeps its chance encounters (the other actions on
    the same item within the window: many for a viral post at a busy hour, none for an obscure one). Those
    encounters number ``k_a`` (``a``'s *pair degree*). If the accounts behind the other actions were
    reshuffled, keeping how many actions each account has (``m_b`` of ``M`` in all), each encounter would be
    with ``b`` with probability ``m_b / M``; so given ``a`` about ``k_a m_b / M`` pairs with ``b`` are chance,
    and symmetrically given ``b``. The expectation is their mean, ``(k_a m_b + k_b m_a) / 2M``. It accounts
    for each item's popularity and timing (through ``k``) and each account's activity (through ``m``), and it
    does not let a dense ring explain itself away (as a pure degree model would when the ring is most of the
    co-activity). *activity_table* gives ``account_id, m``.
    """
    return f"""
        WITH degree AS (
            SELECT account, sum(n_pairs) AS k FROM (
                SELECT account_a AS account, n_pairs FROM {edge_table}
                UNION ALL SELECT account_b AS account, n_pairs FROM {edge_table}
            ) d GROUP BY account
        ),
        total AS (SELECT sum(m) AS big_m FROM {activity_table})
        SELECT e.*,
               (CAST(da.k AS DOUBLE) * mb.m + CAST(db.k AS DOUBLE) * ma.m) / (2.0 * t.big_m) AS expected
        FROM {edge_table} e
        JOIN degree da ON da.account = e.account_a
        JOIN degree db ON db.account = e.account_b
        JOIN {activity_table} ma ON ma.account_id = e.account_a
        JOIN {activity_table} mb ON mb.account_id = e.account_b
        CROSS JOIN total t
        WHERE e.weight >= {int(min_weight)}
        ORDER BY e.account_a, e.account_b
    """
