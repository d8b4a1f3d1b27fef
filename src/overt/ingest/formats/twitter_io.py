"""Twitter/X Information Operations archive (the hashed CSVs Twitter published of state-backed takedowns)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from overt.ingest.csvsource import ident, require_columns, sql_bracket_list, sql_str, stage_csv
from overt.ingest.formats.base import Head, Options, Reader, Staged
from overt.ingest.normalise import TimeFormat

if TYPE_CHECKING:
    import duckdb

TWEET_COLUMNS = ("tweetid", "userid", "tweet_time")
USER_COLUMNS = ("userid", "user_screen_name", "account_creation_date")
_ACCOUNT = {
    "handle": "user_screen_name",
    "display_name": "user_display_name",
    "description": "user_profile_description",
    "reported_location": "user_reported_location",
    "declared_lang": "account_language",
    "followers": "follower_count",
    "following": "following_count",
    "account_created_at": "account_creation_date",
}
_TIMES = TimeFormat(("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "iso"))
_DATES = TimeFormat(("%Y-%m-%d", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "iso"))


def campaign_of(path: Path) -> str:
    """The operation name in an archive file name: ``china_082019_1_tweets_csv_hashed.csv`` -> ``china_082019_1``."""
    stem = path.name.split(".")[0]
    return re.sub(r"_(tweets|users)(_csv)?(_(un)?hashed)?(_\d+)?$", "", stem) or stem


class TwitterIOReader(Reader):
    """Twitter/X Information Operations archive: tweets files and users files.

    Every account in the archive was attributed by Twitter to a state-backed operation, so each account gets
    the label ``io`` with the campaign taken from the file name. Hashed ids stay strings. The archive's list
    cells (``hashtags``, ``urls``, ``user_mentions``) are read as given; ``user_mentions`` holds user ids.
    Times are UTC without an offset.
    """

    name = "twitter-io"
    description = "Twitter/X Information Operations archive CSV (tweets or users file)"

    @classmethod
    def sniff(cls, head: Head) -> bool:
        cols = set(head.columns or ())
        return set(TWEET_COLUMNS) <= cols or (set(USER_COLUMNS) <= cols and "tweetid" not in cols)

    def stage(self, head: Head, con: duckdb.DuckDBPyConnection, options: Options) -> Staged:
        path = head.path
        cols = set(head.columns or ())
        tweets = "tweetid" in cols
        require_columns(head, TWEET_COLUMNS if tweets else USER_COLUMNS, self.name)
        zone = options.timezone or "UTC"
        times = TimeFormat(_TIMES.formats, zone)
        dates = TimeFormat(_DATES.formats, zone)

        def col(name: str) -> str:
            return ident(name) if name in cols else "NULL"

        account = ", ".join(f"{col(src)} AS {dst}" for dst, src in _ACCOUNT.items())
        labels = f"'io' AS label, {sql_str(campaign_of(path))} AS campaign"
        if not tweets:
            select = f"'account' AS _entity, 'twitter' AS platform, {col('userid')} AS account_id, {account}, {labels}"
            return stage_csv(con, path, head, select, account_created_at=dates)
        retweet = f"lower(trim(coalesce({col('is_retweet')}, ''))) IN ('true', '1', 't', 'yes')"
        select = f"""
            'twitter' AS platform,
            {col("tweetid")} AS post_id,
            {col("userid")} AS account_id,
            {col("tweet_time")} AS created_at,
            {col("tweet_text")} AS text,
            {col("tweet_language")} AS lang,
            {col("tweet_client_name")} AS client,
            CASE WHEN {retweet} THEN 'repost' END AS kind,
            CASE WHEN {retweet} THEN {col("retweet_tweetid")} END AS repost_of_post_id,
            CASE WHEN {retweet} THEN {col("retweet_userid")} END AS repost_of_account_id,
            {col("in_reply_to_tweetid")} AS reply_to_post_id,
            {col("in_reply_to_userid")} AS reply_to_account_id,
            {col("quoted_tweet_tweetid")} AS quote_of_post_id,
            {sql_bracket_list(col("urls")) if "urls" in cols else "NULL"} AS urls,
            {sql_bracket_list(col("hashtags")) if "hashtags" in cols else "NULL"} AS hashtags,
            {sql_bracket_list(col("user_mentions")) if "user_mentions" in cols else "NULL"} AS mentions,
            {account},
            {labels}
        """
        return stage_csv(con, path, head, select, created_at=times, account_created_at=dates)
