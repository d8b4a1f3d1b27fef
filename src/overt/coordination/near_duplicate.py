"""Near-duplicate texts within a time window: an exact prefix-filtered Jaccard similarity join.

Each text becomes its set of word tokens. Order every token by how rare it is in the dataset; a text of
``n`` tokens keeps its ``n - ceil(t * n) + 1`` rarest tokens as its *prefix*. Two sets with Jaccard
similarity at least ``t`` overlap in at least ``ceil(t * max(|x|, |y|))`` tokens, so their prefixes must
share a token (Chaudhuri et al. 2006; Bayardo et al. 2007). Joining prefixes on token (and on time, bucketed
as in :mod:`overt.coordination.cooccurrence`) gives every candidate; the exact similarity of each candidate
decides. Unlike MinHash/LSH this has no false negatives, and because prefixes hold rare tokens the candidate
lists stay short.
"""

from __future__ import annotations

from overt.coordination.detectors import without_mentions

#: Word tokens: letters/digits runs, lower-cased, with mentions and links removed.
WORDS = r"\w+"
#: coordination-network-toolkit's tokens (Unicode word segmentation): words that may contain ' . , : ; between
#: letters or digits ("it's", "3.5", "u.s.a"), and every other non-space character on its own.
CNT_TOKENS = r"\w+(?:['.,:;]\w+)*|[^\w ]"


def tokens(style: str) -> str:
    """SQL for the distinct tokens of ``text`` in *style* ``words`` or ``cnt``."""
    if style == "cnt":
        pattern = CNT_TOKENS.replace("'", "''")
        return f"list_distinct(regexp_extract_all({without_mentions('text')}, '{pattern}'))"
    if style == "words":
        return f"list_distinct(regexp_extract_all({without_mentions('text', links=True)}, '{WORDS}'))"
    raise ValueError(f"unknown token style {style!r}")


def tokenised(style: str) -> str:
    """Non-repost posts with their token sets (materialise this, then select with :func:`messages`)."""
    return f"""
        SELECT post_id, account_id, CAST(floor(epoch(created_at)) AS BIGINT) AS ts, {tokens(style)} AS toks
        FROM posts WHERE kind <> 'repost' AND text IS NOT NULL
    """


def messages(tokenised_table: str, window: int, min_tokens: int) -> str:
    """Messages with at least *min_tokens* tokens, their token count and time bucket."""
    return f"""
        SELECT post_id, account_id, ts, CAST(floor(ts / {int(window)}) AS BIGINT) AS bucket, toks, len(toks) AS n
        FROM {tokenised_table} WHERE len(toks) >= {int(min_tokens)}
    """


def prefixes(message_table: str, threshold: float) -> str:
    """Each message's prefix: the ranks of its rarest ``n - ceil(t n) + 1`` tokens.

    Tokens get one global rank (by document frequency, then text); each message keeps the smallest ranks of
    its tokens. Joining candidates on these integer ranks is cheaper than on the token strings.
    """
    # The epsilon keeps ceil(0.8 * 15) at 12: floating point makes it 12.000000000000002.
    last = f"n - CAST(ceil({float(threshold)} * n - 1e-9) AS BIGINT) + 1"
    return f"""
        WITH unnested AS (SELECT post_id, account_id, ts, bucket, n, unnest(toks) AS tok FROM {message_table}),
        df AS (SELECT tok, count(*) AS df FROM unnested GROUP BY tok),
        ranks AS (SELECT tok, row_number() OVER (ORDER BY df, tok) AS rk FROM df),
        ranked AS (SELECT u.*, r.rk FROM unnested u JOIN ranks r ON u.tok = r.tok),
        per_post AS (
            SELECT post_id, any_value(account_id) AS account_id, any_value(ts) AS ts, any_value(bucket) AS bucket,
                   any_value({last}) AS p, list(rk) AS rks
            FROM ranked GROUP BY post_id
        )
        SELECT post_id, account_id, ts, bucket, unnest(list_sort(rks)[1:p]) AS rk FROM per_post
    """


def matches(message_table: str, prefix_table: str, window: int, threshold: float) -> str:
    """Unordered pairs of different posts within *window* seconds whose token sets have Jaccard ≥ threshold."""
    return f"""
        WITH candidates AS (
            SELECT DISTINCT x.post_id AS px, y.post_id AS py
            FROM {prefix_table} x
            JOIN (SELECT p.*, p.bucket + o.d AS near FROM {prefix_table} p
                  CROSS JOIN (SELECT -1 AS d UNION ALL SELECT 0 UNION ALL SELECT 1) o) y
              ON x.rk = y.rk AND x.bucket = y.near
            WHERE x.post_id < y.post_id AND abs(x.ts - y.ts) <= {int(window)}
        ),
        scored AS (
            SELECT mx.post_id AS x_post_id, mx.account_id AS x_account, mx.ts AS x_at,
                   my.post_id AS y_post_id, my.account_id AS y_account, my.ts AS y_at,
                   len(list_intersect(mx.toks, my.toks)) AS common, mx.n AS nx, my.n AS ny
            FROM candidates c
            JOIN {message_table} mx ON mx.post_id = c.px
            JOIN {message_table} my ON my.post_id = c.py
            WHERE my.n >= {float(threshold)} * mx.n - 1e-9 AND mx.n >= {float(threshold)} * my.n - 1e-9
        )
        SELECT x_post_id, x_account, x_at, y_post_id, y_account, y_at,
               CAST(common AS DOUBLE) / (nx + ny - common) AS similarity
        FROM scored
        WHERE CAST(common AS DOUBLE) / (nx + ny - common) >= {float(threshold)}
    """
