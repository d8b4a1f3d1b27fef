"""The FiveThirtyEight / Clemson IRA tweets (Linvill & Warren), in its original layout or split by author."""

from __future__ import annotations

from typing import TYPE_CHECKING

from overt.ingest.csvsource import ident, require_columns, stage_csv
from overt.ingest.formats.base import Head, Options, Reader, Staged
from overt.ingest.normalise import TimeFormat

if TYPE_CHECKING:
    import duckdb

# The by-author repository writes ISO-like minutes; FiveThirtyEight's original CSVs write "10/1/2017 19:58".
_TIMES = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%m/%d/%Y %H:%M", "%m/%d/%Y %H:%M:%S")


class IRA538Reader(Reader):
    """IRA tweets collected by Linvill & Warren (Clemson) and published by FiveThirtyEight.

    Reads three layouts, told apart by their headers:

    - FiveThirtyEight's original CSVs (``external_author_id, author, content, publish_date, post_type,
      account_category, tweet_id, ...``): posts, with each row's ``account_category`` as a label;
    - the by-author tweets files (``author_id, content, publish_date, post_type, retweet, ...``): posts;
    - the by-author ``authors.csv`` (``author_id, author, external_author_id, account_category, ...``):
      account rows with their role labels.

    Notes
    -----
    Accounts are identified by their lower-cased handle in every layout (the by-author tweets carry no
    numeric id), so files of both kinds join. The data has no tweet ids in the by-author layout; a stable
    ``post_id`` is derived from all of the row's values (``ira538:<md5>``), so a row harvested twice gets
    the same id and is de-duplicated, while two tweets with the same text in the same minute stay apart (the
    account's tweet counter ``updates`` differs). Retweets carry no id of the retweeted tweet; when
    the text keeps its ``RT @handle:`` prefix, the handle becomes ``repost_of_account_id``. Times are minutes
    in UTC. ``region`` (Social Studio's region classification of the account, e.g. "United States") becomes
    ``reported_location``, the latest known one winning as for every profile field; "Unknown" is read as no
    location. It is the only location this data has; it is the collector's reading of where the account says it
    is, not the profile text itself. ``language`` is kept as the collector's language name (``English``), not a
    code.
    Every labelled account gets ``campaign = "ira"``.
    """

    name = "ira-538"
    description = "FiveThirtyEight/Clemson IRA tweets CSV (original or by-author layout) and authors.csv"

    @classmethod
    def sniff(cls, head: Head) -> bool:
        cols = set(head.columns or ())
        tweets = {"content", "publish_date"} <= cols and bool({"author", "author_id"} & cols)
        authors = {"author_id", "account_category", "external_author_id"} <= cols and "content" not in cols
        return tweets or authors

    def stage(self, head: Head, con: duckdb.DuckDBPyConnection, options: Options) -> Staged:
        cols = set(head.columns or ())
        zone = options.timezone or "UTC"
        if "content" not in cols:
            require_columns(head, ("author_id", "account_category"), self.name)
            select = f"""
                'account' AS _entity, 'twitter' AS platform,
                lower(trim({ident("author_id")})) AS account_id,
                {ident("author") if "author" in cols else ident("author_id")} AS handle,
                {ident("account_category")} AS label, 'ira' AS campaign
            """
            return stage_csv(con, head.path, head, select)
        author = "author" if "author" in cols else "author_id"
        require_columns(head, (author, "content", "publish_date"), self.name)

        def col(name: str) -> str:
            return ident(name) if name in cols else "NULL"

        post_type = f"upper(trim(coalesce({col('post_type')}, '')))"
        kind = f"""CASE
            WHEN {post_type} IN ('R', 'RETWEET') OR trim(coalesce({col("retweet")}, '')) = '1' THEN 'repost'
            WHEN {post_type} IN ('Q', 'QUOTE_TWEET') THEN 'quote'
            WHEN {post_type} = '' THEN 'post'
            ELSE {post_type} END"""
        # Rows identical in every column are one tweet harvested twice; rows that differ anywhere (the
        # account's tweet counter `updates` included) are different tweets, even with the same text and minute.
        every_column = ", ".join(f"coalesce({ident(c)}, '')" for c in head.columns or ())
        derived_id = f"'ira538:' || md5(concat_ws(chr(31), {every_column}))"
        post_id = f"coalesce(nullif(trim({col('tweet_id')}), ''), {derived_id})" if "tweet_id" in cols else derived_id
        label = (
            f"{ident('account_category')} AS label, 'ira' AS campaign"
            if "account_category" in cols
            else "NULL AS label"
        )
        select = f"""
            'twitter' AS platform,
            {post_id} AS post_id,
            lower(trim({ident(author)})) AS account_id,
            {ident(author)} AS handle,
            {ident("publish_date")} AS created_at,
            {ident("content")} AS text,
            {col("language")} AS lang,
            {kind} AS kind,
            CASE WHEN ({kind}) = 'repost'
                 THEN nullif(lower(regexp_extract({ident("content")}, '^RT @([A-Za-z0-9_]+):', 1)), '') END
                 AS repost_of_account_id,
            {col("followers")} AS followers,
            nullif(trim({col("region")}), 'Unknown') AS reported_location,
            {col("following")} AS following,
            {label}
        """
        return stage_csv(con, head.path, head, select, created_at=TimeFormat(_TIMES, zone))
