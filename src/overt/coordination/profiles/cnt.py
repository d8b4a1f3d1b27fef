"""``--profile cnt``: coordination-network-toolkit's networks, edge for edge.

The toolkit (QUT Digital Observatory; semantics of its GitHub HEAD, which equal release 1.5.2 on every edge
between two different accounts) computes, for each network type, a directed edge ``user_1 -> user_2`` whose
weight is the number of ``user_1``'s messages that have at least one ``user_2`` message on the same item
within ``time_window`` seconds (inclusive), keeping edges with weight ``>= min_edge_weight``. A message is
never paired with itself; two messages of one account are, which gives self loops (kept here as the toolkit
keeps them; 1.5.2 also paired each message with itself). The items are:

* ``co_repost`` (its ``co_retweet``): the reposted message id;
* ``co_link`` (``co_link``): each URL of a non-repost message;
* ``co_text`` (``co_tweet``): non-repost text, lower-cased, ``@``-mentions removed, whitespace collapsed;
* ``co_similar_text`` (``co_similar_tweet``): no item; two non-repost messages within the window whose token
  sets have Jaccard similarity ``>= similarity_threshold``;
* ``co_reply`` (``co_reply``): the replied-to message id, for non-repost messages.

Differences that remain: overt normalises URLs at ingest (the toolkit compares them as written), and its
tokens approximate the toolkit's Unicode word segmentation with a regular expression
(:data:`overt.coordination.near_duplicate.CNT_TOKENS`); empty texts are never similar (the toolkit fails
with a division by zero on them).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.parquet as pq

from overt.coordination import cooccurrence, near_duplicate
from overt.coordination.detectors import (
    AT,
    CoLink,
    CoRepost,
    CoSimilarText,
    Detector,
    Windowed,
    collapse_spaces,
    without_mentions,
)
from overt.coordination.schema import profile_edges, seconds_to_timestamps
from overt.errors import OvertError

if TYPE_CHECKING:
    from overt.coordination.scan import Progress
    from overt.engine import DuckDBEngine

#: overt detector -> the toolkit's network name.
NETWORKS = {
    "co_repost": "co_retweet",
    "co_link": "co_link",
    "co_text": "co_tweet",
    "co_similar_text": "co_similar_tweet",
    "co_reply": "co_reply",
}


def check(detectors: list[Detector]) -> None:
    """Refuse detectors the toolkit has no network for."""
    missing = [d.name for d in detectors if d.name not in NETWORKS]
    if missing:
        raise OvertError(
            f"profile cnt has no equivalent of {', '.join(missing)}; it supports {', '.join(NETWORKS)} "
            f"(the toolkit's {', '.join(NETWORKS.values())})"
        )
    for d in detectors:
        if isinstance(d, CoLink) and d.level != "url":
            raise OvertError("profile cnt compares URLs, not domains (co_link level='url')")


def text_key() -> str:
    """The toolkit's ``message_preprocessor``: lower case, mentions removed, whitespace collapsed."""
    return collapse_spaces(without_mentions("text"))


def actions(det: Detector) -> str:
    """The toolkit's items for *det* as ``account_id, item, ts, post_id``."""
    if isinstance(det, CoRepost):
        return det.actions()
    if isinstance(det, CoLink):
        return f"""
            SELECT account_id, item, {AT} AS ts, post_id
            FROM (SELECT account_id, created_at, post_id, unnest(urls) AS item FROM posts
                  WHERE repost_of_post_id IS NULL) u
        """
    if det.name == "co_text":
        return f"""
            SELECT account_id, {text_key()} AS item, {AT} AS ts, post_id
            FROM posts WHERE repost_of_post_id IS NULL AND text IS NOT NULL
        """
    if det.name == "co_reply":
        return f"""
            SELECT account_id, reply_to_post_id AS item, {AT} AS ts, post_id
            FROM posts WHERE repost_of_post_id IS NULL AND reply_to_post_id IS NOT NULL
        """
    raise OvertError(f"profile cnt: no item definition for {det.name}")


def weights(pair_table: str, min_weight: int) -> str:
    """Directed toolkit weights: distinct ``account_a`` messages with a partner message of ``account_b``."""
    return f"""
        SELECT account_a, account_b, count(DISTINCT a_post_id) AS weight,
               min(least(a_at, b_at)) AS first_at, max(greatest(a_at, b_at)) AS last_at
        FROM {pair_table} GROUP BY account_a, account_b
        HAVING count(DISTINCT a_post_id) >= {int(min_weight)}
        ORDER BY account_a, account_b
    """


def run(eng: DuckDBEngine, det: Detector, dest: Path, progress: Progress) -> tuple[pa.Table, dict[str, Any]]:
    """Compute *det*'s toolkit network, write it to *dest* and return it."""
    assert isinstance(det, Windowed) and det.window is not None
    window, name = det.window, det.name
    info: dict[str, Any] = {"params": det.params(), "network": NETWORKS[name]}
    pairs = f"cnt_{name}_pairs"
    if isinstance(det, CoSimilarText):
        msgs, pre, found = f"cnt_{name}_messages", f"cnt_{name}_prefixes", f"cnt_{name}_matches"
        eng.create(f"{msgs}_raw", near_duplicate.tokenised("cnt"))
        info["actions"] = eng.create(msgs, near_duplicate.messages(f"{msgs}_raw", window, 1))
        eng.drop(f"{msgs}_raw")
        eng.create(pre, near_duplicate.prefixes(msgs, det.threshold))
        eng.create(found, near_duplicate.matches(msgs, pre, window, det.threshold))
        info["pairs"] = eng.create(
            pairs,
            f"""
            SELECT x_account AS account_a, y_account AS account_b, x_post_id AS a_post_id, x_at AS a_at,
                   y_post_id AS b_post_id, y_at AS b_at FROM {found}
            UNION ALL
            SELECT y_account, x_account, y_post_id, y_at, x_post_id, x_at FROM {found}
            """,
        )
        eng.drop(msgs, pre, found)
    else:
        acts = f"cnt_{name}_actions"
        eng.create(f"{acts}_raw", actions(det))
        info["actions"] = eng.create(acts, cooccurrence.bucketed(f"{acts}_raw", window))
        eng.drop(f"{acts}_raw")
        info["pairs"] = eng.create(pairs, cooccurrence.pairs(acts, window, directed=True, loops=True))
        eng.drop(acts)
    progress.advance(f"{name}: pairs")
    rows = eng.arrow(weights(pairs, det.min_weight))
    eng.drop(pairs)
    progress.advance(f"{name}: weights")
    n = rows.num_rows
    table = profile_edges(
        name,
        rows.column("account_a"),
        rows.column("account_b"),
        rows.column("weight"),
        first_at=seconds_to_timestamps(rows.column("first_at")),
        last_at=seconds_to_timestamps(rows.column("last_at")),
    )
    pq.write_table(table, dest)
    info["edges"] = n
    progress.advance(f"{name}: written")
    return table, info
