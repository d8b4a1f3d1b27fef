from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from overt.ingest.formats.base import Options
from overt.ingest.formats.twitter_v1 import V1_TIME, TwitterV1Reader
from overt.ingest.sniff import read_head
from tests.conftest import DATA, by_id, rows, staged_rows

V1 = DATA / "twitter-v1"
V2 = DATA / "x-api-v2"
FIRST = "1100000000000000001"


# --- sniffing -----------------------------------------------------------------------------------------------


def test_times_are_read_with_their_offset() -> None:
    stage = TwitterV1Reader().stage(read_head(V1 / "timeline.json"), duckdb.connect(), Options())
    assert stage.created_at.formats == stage.account_created_at.formats == (V1_TIME,)
    assert stage.created_at.has_zone


# --- staging rows (the reader alone) ------------------------------------------------------------------------


def test_retweet_takes_text_and_ids_of_retweeted_status() -> None:
    out = staged_rows(TwitterV1Reader(), V1 / "retweets.jsonl")
    retweet = out[0]
    assert (retweet["post_id"], retweet["account_id"]) == ("1100000000000000020", "502")
    assert (retweet["repost_of_post_id"], retweet["repost_of_account_id"]) == (FIRST, "501")
    # The original's whole text (extended_tweet), not the cut "RT @hk_watcher: ..." of the retweet.
    assert retweet["text"].endswith("more later #HongKong https://t.co/def")
    assert retweet["mentions"] == ["hk_watcher"]  # from the retweet's own entities
    assert retweet["hashtags"] == ["HongKong"]  # from the original's extended entities
    assert retweet["media"] == ["9100000000000000001", "9100000000000000002"]
    assert retweet["handle"] == "amplifier"


def test_quote_and_account_rows_of_referenced_authors() -> None:
    out = staged_rows(TwitterV1Reader(), V1 / "retweets.jsonl")
    quote = next(r for r in out if r["post_id"] == "1100000000000000030")
    assert (quote["quote_of_post_id"], quote["repost_of_post_id"], quote["text"]) == (
        FIRST,
        None,
        "This is big https://t.co/qq",
    )
    accounts = [(r["_line"], r["account_id"], r["handle"]) for r in out if r["_entity"] == "account"]
    assert accounts == [(1, "501", "hk_watcher"), (2, "501", "hk_watcher")]


def test_compatibility_mode_status_uses_extended_tweet() -> None:
    status = staged_rows(TwitterV1Reader(), V1 / "stream.jsonl")[0]
    assert status["text"].endswith("#HongKong https://t.co/def")
    assert status["urls"] == ["https://news.example.com/live?utm_campaign=x&page=2"]
    assert (status["hashtags"], status["mentions"]) == (["HongKong"], [])
    assert status["created_at"] == "Wed Oct 10 20:19:24 +0000 2018"
    assert (status["handle"], status["declared_lang"], status["following"], status["reported_location"]) == (
        "hk_watcher",
        "en",
        "300",
        "香港",
    )


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (
            '{"scrub_geo": {"user_id_str": "1", "up_to_status_id_str": "2"}}',
            "stream scrub_geo notice, not a status",
        ),
        ("42", "expected a JSON object (a v1.1 status), got int"),
        ('{"foo": 1}', "not a v1.1 status (no id_str, id or user)"),
    ],
)
def test_unusable_records_are_rejected_with_a_reason(tmp_path: Path, line: str, reason: str) -> None:
    path = tmp_path / "odd.jsonl"
    path.write_text(line + "\n")
    assert [r["_error_reason"] for r in staged_rows(TwitterV1Reader(), path)] == [reason]


# --- through the pipeline -----------------------------------------------------------------------------------


def test_stream_end_to_end(ingest) -> None:
    ds = ingest(V1 / "stream.jsonl", format="twitter-v1", max_reject_rate=1)
    posts = by_id(ds.table("posts"))
    assert sorted(posts) == [FIRST, "1100000000000000010", "1100000000000000011"]
    first = posts[FIRST]
    assert first["created_at"] == datetime(2018, 10, 10, 20, 19, 24, tzinfo=UTC)
    assert first["created_at"].utcoffset().total_seconds() == 0
    assert first["urls"] == ["https://news.example.com/live?page=2"]
    assert first["domains"] == ["example.com"]
    assert (first["hashtags"], first["mentions"]) == (["hongkong"], [])
    assert first["media"] == ["9100000000000000001", "9100000000000000002"]
    assert (first["kind"], first["lang"], first["source"]["line"]) == ("post", "en", 1)
    reply = posts["1100000000000000010"]
    assert (reply["kind"], reply["reply_to_post_id"], reply["reply_to_account_id"]) == ("reply", FIRST, "501")
    assert reply["mentions"] == ["hk_watcher"]
    # Numeric ids only, and no entities: ids as strings, entities extracted from the text.
    bare = posts["1100000000000000011"]
    assert bare["account_id"] == "504"
    assert (bare["hashtags"], bare["mentions"], bare["urls"]) == (
        ["extracted"],
        ["someone"],
        ["https://example.com/p"],
    )
    rejects = rows(ds.table("rejects").order("line"))
    assert [(r["line"], r["field"], r["reason"]) for r in rejects if r["line"] != 4] == [
        (2, "delete", "stream delete notice, not a status"),
        (5, "limit", "stream limit notice, not a status"),
        (7, "account_id", "missing account id"),
    ]
    invalid = next(r for r in rejects if r["line"] == 4)
    assert invalid["reason"].startswith("invalid JSON")
    assert invalid["raw"] == '{"created_at": "Thu Oct 11'
    assert '"orphan"' in rejects[-1]["raw"]


def test_accounts_table(ingest) -> None:
    ds = ingest(V1 / "stream.jsonl", format="twitter-v1", max_reject_rate=1)
    accounts = by_id(ds.table("accounts"), "account_id")
    assert sorted(accounts) == ["501", "502", "504"]
    watcher = accounts["501"]
    assert watcher == {
        "platform": "twitter",
        "account_id": "501",
        "handle": "hk_watcher",
        "display_name": "HK Watcher",
        "description": "Eyes on the street",
        "created_at": datetime(2019, 7, 1, 12, 0, tzinfo=UTC),
        "reported_location": "香港",
        "declared_lang": "en",
        "followers": 1500,
        "following": 300,
        "verified": False,
        "profile_image": "https://pbs.twimg.com/profile_images/501/a_normal.jpg",
    }
    assert accounts["504"]["handle"] == "old_archive"


def test_json_array_of_statuses(ingest) -> None:
    ds = ingest(V1 / "timeline.json", format="twitter-v1")
    posts = rows(ds.table("posts").order("post_id"))
    assert [(p["post_id"], p["source"]["line"], p["hashtags"]) for p in posts] == [
        ("1190000000000000001", 1, ["one"]),
        ("1190000000000000002", 2, []),
    ]
    assert rows(ds.table("accounts"))[0]["verified"] is True


def test_retweets_end_to_end(ingest) -> None:
    ds = ingest(V1 / "retweets.jsonl", format="twitter-v1")
    posts = by_id(ds.table("posts"))
    assert {k: p["kind"] for k, p in posts.items()} == {
        "1100000000000000020": "repost",
        "1100000000000000030": "quote",
    }
    accounts = by_id(ds.table("accounts"), "account_id")
    assert sorted(accounts) == ["501", "502", "503"]
    assert accounts["501"]["followers"] == 1500


def test_client_is_the_anchor_text_of_source(ingest, tmp_path: Path) -> None:
    def status(i: int, source: str | None, **more: object) -> dict[str, object]:
        user = {"id_str": f"5{i}", "screen_name": f"u{i}"}
        found = {"id_str": f"9{i}", "created_at": "Wed Oct 10 20:19:24 +0000 2018", "user": user, "text": "hi"}
        return found | ({"source": source} if source is not None else {}) | more

    lines = [
        status(1, '<a href="https://dlvr.it" rel="nofollow">dlvr.it</a>'),
        status(2, '<a href="https://x.example" rel="nofollow">Tweetbot &amp; Co</a>'),
        status(3, "web"),  # the oldest tweets name the client without a link
        status(4, None),
        # A retweet's client is the retweeter's app, not the one the original was written with.
        status(
            5,
            '<a href="http://twitter.com/download/android">Twitter for Android</a>',
            retweeted_status=status(6, '<a href="https://ifttt.com">IFTTT</a>'),
        ),
    ]
    path = tmp_path / "clients.jsonl"
    path.write_text("\n".join(json.dumps(s) for s in lines) + "\n")
    posts = by_id(ingest(path, format="twitter-v1").table("posts"))
    assert {k: p["client"] for k, p in posts.items()} == {
        "91": "dlvr.it",
        "92": "Tweetbot & Co",
        "93": "web",
        "94": None,
        "95": "Twitter for Android",
    }
