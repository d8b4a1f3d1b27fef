"""CooRTweet input: the long "one share per row" CSV of the R package CooRTweet (Righetti & Balluff)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from overt.errors import InputError
from overt.ingest.csvsource import ident, require_columns, sql_str, stage_csv
from overt.ingest.formats.base import Head, Options, Reader, Staged
from overt.ingest.normalise import TimeFormat

if TYPE_CHECKING:
    import duckdb

#: The layout ``detect_groups`` reads; older CooRTweet and ``prep_data`` name the account ``id_user``.
SHARE_COLUMNS = ("object_id", "content_id", "timestamp_share")
ACCOUNT_COLUMNS = ("account_id", "id_user")
#: The bundled ``german_elections`` data: anonymised multi-platform, multi-modal posts.
MULTIMODAL_COLUMNS = ("account_id", "post_id", "url_id", "hashtag_id", "domain_id", "phash_id", "timestamp")
_EPOCH = TimeFormat(("epoch",))


class CooRTweetReader(Reader):
    """CooRTweet's long CSV: one row per shared object, ``timestamp_share`` in seconds since 1970.

    Reads two layouts:

    * ``object_id, account_id (or id_user), content_id, timestamp_share`` (``russian_coord_tweets``, and
      what ``prep_data``/``reshape_tweets`` produce). CooRTweet leaves the meaning of ``object_id`` to the
      user; its bundled data and its tweet preparation use the retweeted tweet, so the row becomes a repost
      of ``object_id`` by ``account_id`` with post id ``content_id`` on platform ``twitter``. Files whose
      object is a URL, a hashtag or a text must be read with ``--format table`` and a mapping instead.
    * ``account_id, post_id, url_id, hashtag_id, domain_id, phash_id, timestamp`` (``german_elections``):
      the ``tw_``/``fb_`` prefix of ``account_id`` gives the platform (the id is kept whole); ``url_id``
      becomes the URL ``url:<id>`` (an anonymised link, not a web address, so posts get no domain),
      ``hashtag_id`` a hashtag, ``phash_id`` a media hash. A post spans several rows when it has several
      images; every row carries the post's full lists, so the row kept by de-duplication loses nothing.

    Cannot read: ``domain_id`` (the staging contract has no domain column, and domains are derived from
    URLs), CooRTweet's result tables (``detect_groups`` output) and its network exports. A content id that
    shares two objects keeps the first one; the second row is reported as a duplicate.
    """

    name = "coortweet"
    description = "CooRTweet long CSV (object_id, account_id, content_id, timestamp_share) or german_elections"

    @classmethod
    def sniff(cls, head: Head) -> bool:
        cols = set(head.columns or ())
        shares = set(SHARE_COLUMNS) <= cols and bool(cols & set(ACCOUNT_COLUMNS))
        return shares or set(MULTIMODAL_COLUMNS) <= cols

    def stage(self, head: Head, con: duckdb.DuckDBPyConnection, options: Options) -> Staged:
        cols = set(head.columns or ())
        if set(MULTIMODAL_COLUMNS) <= cols:
            return stage_csv(con, head.path, head, _multimodal_select(), created_at=_EPOCH)
        require_columns(head, SHARE_COLUMNS, self.name)
        account = next((c for c in ACCOUNT_COLUMNS if c in cols), None)
        if account is None:
            raise InputError(
                f"{head.path}: missing column account_id (or id_user) required by format {self.name!r} "
                f"(found: {', '.join(head.columns or ())})."
            )
        select = f"""
            'twitter' AS platform,
            {ident("content_id")} AS post_id,
            {ident(account)} AS account_id,
            {ident("timestamp_share")} AS created_at,
            {ident("object_id")} AS repost_of_post_id
        """
        return stage_csv(con, head.path, head, select, created_at=_EPOCH)


def _multimodal_select() -> str:
    account, post = ident("account_id"), ident("post_id")

    def per_post(column: str, prefix: str = "") -> str:
        # One row per (post, image): gather the post's values on every row so that the row the pipeline keeps
        # has them all. Blank values are dropped by the pipeline.
        value = f"{sql_str(prefix)} || {ident(column)}" if prefix else ident(column)
        return f"list({value}) OVER (PARTITION BY {account}, {post})"

    return f"""
        CASE WHEN starts_with({account}, 'tw_') THEN 'twitter'
             WHEN starts_with({account}, 'fb_') THEN 'facebook' END AS platform,
        {post} AS post_id,
        {account} AS account_id,
        {ident("timestamp")} AS created_at,
        {per_post("url_id", "url:")} AS urls,
        {per_post("hashtag_id")} AS hashtags,
        {per_post("phash_id")} AS media
    """
