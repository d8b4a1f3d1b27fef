from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from overt.ingest.formats.x_api_v2 import XApiV2Reader
from tests.conftest import DATA, by_id, rows, staged_rows

V2 = DATA / "x-api-v2"
V1 = DATA / "twitter-v1"


# --- sniffing -----------------------------------------------------------------------------------------------


# --- staging rows (the reader alone) ------------------------------------------------------------------------


def test_response_maps_tweets_entities_and_authors() -> None:
    out = staged_rows(XApiV2Reader(), V2 / "responses.jsonl")
    posts = {r["post_id"]: r for r in out if r["_entity"] is None and r["_error_reason"] is None}
    plain = posts["2001"]
    assert plain["_line"] == 1
    assert (plain["platform"], plain["account_id"], plain["created_at"], plain["lang"]) == (
        "twitter",
        "1001",
        "2021-06-01T08:00:00.000Z",
        "en",
    )
    assert plain["urls"] == ["https://www.example.com/story?utm_source=tw&id=7"]
    assert (plain["hashtags"], plain["mentions"], plain["media"]) == (
        ["FreeHK"],
        ["bob_news"],
        ["3_111", "3_112"],
    )
    assert (plain["handle"], plain["display_name"], plain["followers"], plain["following"]) == (
        "alice_hk",
        "Alice",
        "120",
        "80",
    )
    assert (plain["reported_location"], plain["verified"], plain["account_created_at"]) == (
        "Hong Kong",
        "false",
        "2019-08-01T02:03:04.000Z",
    )
    assert plain["profile_image"] == "https://pbs.twimg.com/profile_images/1001/p_normal.jpg"


def test_retweet_takes_full_text_and_author_from_includes() -> None:
    retweet = next(r for r in staged_rows(XApiV2Reader(), V2 / "responses.jsonl") if r["post_id"] == "2002")
    assert retweet["repost_of_post_id"] == "9001"
    assert retweet["repost_of_account_id"] == "1003"
    assert retweet["text"].startswith("The whole original text is longer")
    assert retweet["text"].endswith("#Original")
    # The retweet's own entities (the @carol of "RT @carol:") plus the original's.
    assert retweet["mentions"] == ["carol"]
    assert (retweet["urls"], retweet["hashtags"]) == (["https://example.org/a"], ["Original"])


def test_quote_and_reply_references() -> None:
    posts = {r["post_id"]: r for r in staged_rows(XApiV2Reader(), V2 / "responses.jsonl") if r["post_id"]}
    assert posts["2003"]["quote_of_post_id"] == "9002"
    assert posts["2003"]["repost_of_post_id"] is None
    assert (posts["2004"]["reply_to_post_id"], posts["2004"]["reply_to_account_id"]) == ("9002", "1004")
    # No entities object at all: NULL lists, so the pipeline extracts from the text.
    assert posts["2004"]["urls"] is posts["2004"]["hashtags"] is posts["2004"]["mentions"] is None
    # Entities without a kind: the API says there are none.
    assert (posts["2003"]["hashtags"], posts["2003"]["mentions"]) == ([], [])


def test_users_who_wrote_nothing_become_account_rows() -> None:
    accounts = [r for r in staged_rows(XApiV2Reader(), V2 / "responses.jsonl") if r["_entity"] == "account"]
    assert sorted((r["_line"], r["account_id"], r["handle"]) for r in accounts) == [
        (1, "1003", "carol"),
        (1, "1004", "dave"),
    ]
    carol = next(r for r in accounts if r["account_id"] == "1003")
    assert (carol["description"], carol["followers"], carol["platform"]) == ("Writer", "900", "twitter")


def test_single_data_object_errors_and_missing_author() -> None:
    out = staged_rows(XApiV2Reader(), V2 / "responses.jsonl")
    # `data` as one object; its author's profile rides on the post row, so no account row.
    assert [(r["post_id"], r["handle"], r["_entity"]) for r in out if r["_line"] == 3] == [("2006", "erin", None)]
    errors = next(r for r in out if r["_line"] == 4)
    assert errors["_error_field"] == "errors"
    assert errors["_error_reason"] == (
        "API error response without data: One or more parameters to your request was invalid."
    )
    orphan = next(r for r in out if r["_line"] == 5)
    assert (orphan["post_id"], orphan["account_id"]) == ("2007", None)
    assert '"who wrote this?"' in orphan["_raw"]


def test_flattened_expansions_become_account_rows() -> None:
    out = staged_rows(XApiV2Reader(), V2 / "flattened_expansions.jsonl")
    retweet = out[0]
    assert (retweet["repost_of_post_id"], retweet["repost_of_account_id"]) == ("3100", "1102")
    assert retweet["text"] == "Original flattened text in full https://t.co/z"
    assert retweet["handle"] == "flat_one"
    assert [(r["_line"], r["account_id"]) for r in out if r["_entity"] == "account"] == [
        (1, "1102"),
        (2, "1103"),
    ]


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ('{"meta": {"result_count": 0}}', "response holds no tweets and no users"),
        ('"just text"', "expected a JSON object (X API v2 tweet or response), got str"),
        ('{"foo": 1}', "neither an X API v2 response (data, includes) nor a tweet (id, author_id, text)"),
        ('{"data": ["oops"]}', "data item is not a tweet object"),
    ],
)
def test_unusable_records_are_rejected_with_a_reason(tmp_path: Path, line: str, reason: str) -> None:
    path = tmp_path / "odd.jsonl"
    path.write_text('{"id": "1", "author_id": "2", "text": "ok"}\n' + line + "\n")
    assert [r["_error_reason"] for r in staged_rows(XApiV2Reader(), path) if r["_line"] == 2] == [reason]


# --- through the pipeline -----------------------------------------------------------------------------------


def test_flattened_file_end_to_end(ingest) -> None:
    ds = ingest(V2 / "flattened.jsonl", format="x-api-v2", max_reject_rate=1)
    posts = by_id(ds.table("posts"))
    assert sorted(posts) == ["3001", "3003", "3004"]
    assert posts["3001"]["created_at"] == datetime(2022, 2, 24, 5, 0, tzinfo=UTC)
    assert posts["3001"]["created_at"].utcoffset().total_seconds() == 0
    # Entities present: lists as given, empty where the tweet has none (nothing extracted from the text).
    assert (posts["3001"]["hashtags"], posts["3001"]["urls"], posts["3001"]["mentions"]) == (["test"], [], [])
    # No entities: extracted from the text by the pipeline.
    assert posts["3003"]["hashtags"] == ["extracted"]
    assert posts["3003"]["mentions"] == ["someone"]
    assert posts["3003"]["urls"] == ["https://example.com/x"]
    # A long tweet: the whole text and its entities from note_tweet.
    assert posts["3004"]["text"].endswith("here is the rest #LongForm")
    assert posts["3004"]["hashtags"] == ["longform"]
    assert {p["kind"] for p in posts.values()} == {"post"}
    rejects = rows(ds.table("rejects").order("line"))
    assert [(r["line"], r["field"]) for r in rejects] == [(3, None), (4, "post_id")]
    assert rejects[0]["reason"].startswith("invalid JSON")
    assert rejects[0]["raw"] == "{not json at all"
    assert '"a tweet without an id"' in rejects[1]["raw"]
    account = rows(ds.table("accounts"))
    assert [(a["account_id"], a["handle"], a["followers"], a["following"]) for a in account] == [
        ("1101", "flat_one", 7, 8)
    ]
    assert account[0]["created_at"] == datetime(2018, 3, 3, 3, 3, 3, tzinfo=UTC)


def test_json_array_of_tweets(ingest) -> None:
    ds = ingest(V2 / "tweets.json", format="x-api-v2")
    posts = by_id(ds.table("posts"))
    assert {k: (p["kind"], p["quote_of_post_id"], p["source"]["line"]) for k, p in posts.items()} == {
        "5001": ("post", None, 1),
        "5002": ("quote", "5001", 2),
    }


def test_responses_end_to_end(ingest) -> None:
    ds = ingest(V2 / "responses.jsonl", format="x-api-v2", max_reject_rate=1)
    posts = by_id(ds.table("posts"))
    assert {k: p["kind"] for k, p in posts.items()} == {
        "2001": "post",
        "2002": "repost",
        "2003": "quote",
        "2004": "reply",
        "2006": "post",
    }
    assert posts["2001"]["urls"] == ["https://example.com/story?id=7"]
    assert posts["2004"]["hashtags"] == ["nope"]
    assert posts["2006"]["hashtags"] == ["香港"]
    accounts = by_id(ds.table("accounts"), "account_id")
    assert sorted(accounts) == ["1001", "1002", "1003", "1004", "1005"]
    assert (accounts["1002"]["handle"], accounts["1002"]["verified"], accounts["1002"]["followers"]) == (
        "bob_news",
        True,
        50000,
    )
    assert accounts["1003"]["created_at"] == datetime(2015, 5, 5, 5, 5, 5, tzinfo=UTC)
    rejects = rows(ds.table("rejects").order("line"))
    assert [(r["line"], r["field"]) for r in rejects] == [(2, None), (4, "errors"), (5, "account_id")]


def test_pretty_printed_response_document(ingest) -> None:
    ds = ingest(V2 / "response.json", format="x-api-v2")
    assert [p["post_id"] for p in rows(ds.table("posts"))] == ["4001"]
    assert [a["handle"] for a in rows(ds.table("accounts").order("account_id"))] == ["pretty", "mentioned"]


def test_flattened_expansions_end_to_end(ingest) -> None:
    ds = ingest(V2 / "flattened_expansions.jsonl", format="x-api-v2")
    posts = by_id(ds.table("posts"))
    assert (posts["3002"]["kind"], posts["3005"]["kind"]) == ("repost", "reply")
    assert sorted(by_id(ds.table("accounts"), "account_id")) == ["1101", "1102", "1103"]


def test_client_from_source_when_present(ingest, tmp_path: Path) -> None:
    tweet = {"id": "1", "author_id": "7", "created_at": "2021-06-01T08:00:00.000Z", "text": "hi"}
    lines = [
        {"data": [tweet | {"source": "Twitter Web App"}, tweet | {"id": "2", "source": " "}]},
        tweet | {"id": "3", "source": "dlvr.it"},  # flattened (twarc2)
        tweet | {"id": "4"},  # collected after 2022-12-20: no source
    ]
    path = tmp_path / "sources.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    posts = by_id(ingest(path, format="x-api-v2").table("posts"))
    assert {k: p["client"] for k, p in posts.items()} == {"1": "Twitter Web App", "2": None, "3": "dlvr.it", "4": None}
