from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from overt.errors import RejectRateError
from overt.ingest.formats.base import Head
from overt.ingest.formats.bluesky import BlueskyReader, did_of
from overt.ingest.sniff import HEAD_BYTES, read_head
from tests.conftest import DATA, by_id, rows

BSKY = DATA / "bluesky"
JETSTREAM = BSKY / "jetstream.jsonl"
FEED = BSKY / "author_feed.json"
ALICE = "did:plc:alice7vjzs4tqm5ceqhyfmgf"
BOB = "did:plc:bobbb2lq6yz3wxhnkcqdxr4e"
CAROL = "did:plc:carol5pkgd7hw3fgrt2yoc6n"
DAVE = "did:plc:daveo4ymh3cxrzwqnwbqk7tf"
ALICE_POST = f"at://{ALICE}/app.bsky.feed.post/3l3qo2vutsw2b"


def text_head(text: str) -> Head:
    """A head as read_head gives it for a file too large to parse within the first megabyte."""
    return Head(path=Path("big.json"), text=text, columns=None, delimiter=None, json=None)


# --- sniffing -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        {"data": [{"id": "1", "author_id": "2", "text": "x"}], "includes": {}},
        {"id_str": "1", "user": {"id_str": "2"}, "text": "x"},
        {"feed": []},
        {"posts": [{"uri": "https://example.com/1", "record": {}}]},
        {"did": "did:plc:x", "kind": "commit"},
    ],
    ids=["x-api-v2", "twitter-v1", "empty-feed", "non-at-posts", "no-time_us"],
)
def test_does_not_sniff_lookalikes(value: Any) -> None:
    head = Head(path=Path("x.json"), text=json.dumps(value), columns=None, delimiter=None, json=value)
    assert not BlueskyReader.sniff(head)


def test_sniffs_large_response_and_jetstream_from_text() -> None:
    feed = text_head('{\n  "feed": [\n    {\n      "post": {\n        "uri": "at://did:plc:a/app.bsky.feed.post/1",')
    jetstream = text_head('{"did":"did:plc:abc","time_us":1725911162329308,"kind":"commit","commit":{"rev":"3l')
    assert BlueskyReader.sniff(feed)
    assert BlueskyReader.sniff(jetstream)
    assert not BlueskyReader.sniff(text_head('{\n "name": "x",\n "type": "public_channel",\n "messages": ['))


def test_did_of() -> None:
    assert did_of(ALICE_POST) == ALICE
    assert did_of("at://alice.example.com/app.bsky.feed.post/1") is None
    assert did_of("https://bsky.app/profile/x") is None
    assert did_of(None) is None


# --- Jetstream ------------------------------------------------------------------------------------------------


@pytest.fixture
def jetstream(ingest: Any) -> Any:
    return ingest(JETSTREAM, format="bluesky", max_reject_rate=1)


def test_jetstream_posts_and_kinds(jetstream: Any) -> None:
    posts = by_id(jetstream.table("posts"))
    kinds = {pid.rsplit("/", 1)[1]: p["kind"] for pid, p in posts.items()}
    assert kinds == {
        "3l3qo2vutsw2b": "post",
        "3l3qo3aaaaa2c": "reply",
        "3l3qo4bbbbb2d": "quote",
        "3l3qo5ccccc2e": "repost",
        "3l3qo6eeeee2g": "post",
    }
    assert {p["platform"] for p in posts.values()} == {"bluesky"}


def test_jetstream_post_fields(jetstream: Any) -> None:
    post = by_id(jetstream.table("posts"))[ALICE_POST]
    assert post["account_id"] == ALICE
    assert post["created_at"] == datetime(2024, 9, 9, 19, 46, 2, 102000, tzinfo=UTC)
    assert post["text"] == "Read this: example.com/news/artic... #Elections @bob.example.com"
    assert post["lang"] == "en"
    # The link facet carries the full address the text shortens; utm_* is dropped by the pipeline.
    assert post["urls"] == ["https://example.com/news/article?id=7"]
    assert post["domains"] == ["example.com"]
    assert post["hashtags"] == ["elections"]
    assert post["mentions"] == [BOB]
    images = json.loads(JETSTREAM.read_text().splitlines()[0])["commit"]["record"]["embed"]["images"]
    assert post["media"] == [image["image"]["ref"]["$link"] for image in images]
    assert post["media"][0].startswith("bafkreiaaaachart")
    assert post["source"]["line"] == 1


def test_jetstream_reply_falls_back_to_time_us(jetstream: Any) -> None:
    reply = by_id(jetstream.table("posts"))[f"at://{BOB}/app.bsky.feed.post/3l3qo3aaaaa2c"]
    assert reply["reply_to_post_id"] == ALICE_POST
    assert reply["reply_to_account_id"] == ALICE
    # No createdAt in the record: time_us 1725911162329308 is used.
    assert reply["created_at"] == datetime(2024, 9, 9, 19, 46, 2, 329308, tzinfo=UTC)
    assert reply["lang"] is None


def test_jetstream_quote_with_media_and_utc(jetstream: Any) -> None:
    quote = by_id(jetstream.table("posts"))[f"at://{CAROL}/app.bsky.feed.post/3l3qo4bbbbb2d"]
    assert quote["quote_of_post_id"] == ALICE_POST
    assert quote["urls"] == ["https://news.example.org/story"]
    assert quote["lang"] == "de"
    # createdAt 21:46:10+02:00 is stored in UTC.
    assert quote["created_at"] == datetime(2024, 9, 9, 19, 46, 10, tzinfo=UTC)


def test_jetstream_repost(jetstream: Any) -> None:
    repost = by_id(jetstream.table("posts"))[f"at://{DAVE}/app.bsky.feed.repost/3l3qo5ccccc2e"]
    assert repost["repost_of_post_id"] == ALICE_POST
    assert repost["repost_of_account_id"] == ALICE
    assert repost["text"] is None
    assert repost["urls"] == []


def test_jetstream_feed_generator_embed_is_not_a_quote(jetstream: Any) -> None:
    post = by_id(jetstream.table("posts"))["at://did:web:erin.example.net/app.bsky.feed.post/3l3qo6eeeee2g"]
    assert post["kind"] == "post"
    assert post["quote_of_post_id"] is None
    assert post["hashtags"] == ["feedlaunch"]


def test_jetstream_rejects_non_posts_with_reasons(jetstream: Any) -> None:
    rejects = {r["line"]: r for r in rows(jetstream.table("rejects"))}
    assert {line: r["reason"] for line, r in rejects.items() if line != 12} == {
        5: "not a post: app.bsky.feed.like create",
        6: "not a post: app.bsky.feed.post delete",
        8: "not a post: account event",
        11: "not a post: app.bsky.graph.follow create",
    }
    assert rejects[5]["field"] == "commit.collection"
    assert rejects[6]["field"] == "commit.operation"
    assert json.loads(rejects[5]["raw"])["commit"]["collection"] == "app.bsky.feed.like"


def test_jetstream_invalid_line_rejected_good_rows_kept(jetstream: Any) -> None:
    rejects = {r["line"]: r for r in rows(jetstream.table("rejects"))}
    assert rejects[12]["reason"].startswith("invalid JSON")
    assert rejects[12]["raw"].startswith('{"did":"did:plc:daveo4')
    assert jetstream.manifest.rows_in == 12
    assert jetstream.manifest.tables["posts"] == 5


def test_jetstream_accounts_from_identity_and_profile(jetstream: Any) -> None:
    accounts = by_id(jetstream.table("accounts"), "account_id")
    assert set(accounts) == {ALICE, BOB, CAROL, DAVE, "did:web:erin.example.net"}
    assert accounts[ALICE]["handle"] == "alice.example.com"
    bob = accounts[BOB]
    assert bob["display_name"] == "Bob B."
    assert bob["description"] == "Just Bob.\nPosting about things."
    assert bob["profile_image"] == "bafkreicccbobavatarcccccccccccccccccccccccccccccccccccccccc"
    assert all(a["verified"] is None for a in accounts.values())


def test_jetstream_with_default_reject_rate_fails_on_likes(ingest: Any) -> None:
    with pytest.raises(RejectRateError, match=r"not a post: app\.bsky\.feed\.like create"):
        ingest(JETSTREAM, format="bluesky")


# --- API responses --------------------------------------------------------------------------------------------


@pytest.fixture
def feed(ingest: Any) -> Any:
    return ingest(FEED)


def test_feed_posts_numbered_by_item(feed: Any) -> None:
    posts = rows(feed.table("posts"))
    assert sorted(p["source"]["line"] for p in posts) == [1, 2, 3, 4, 5]
    assert rows(feed.table("rejects")) == []


def test_feed_own_post(feed: Any) -> None:
    post = by_id(feed.table("posts"))[f"at://{ALICE}/app.bsky.feed.post/3kalicepost01"]
    assert post["kind"] == "post"
    assert post["account_id"] == ALICE
    assert post["created_at"] == datetime(2024, 10, 1, 12, tzinfo=UTC)
    assert post["urls"] == ["https://research.example.org/report"]
    assert post["hashtags"] == ["disinfo"]


def test_feed_repost_with_reason_uri(feed: Any) -> None:
    repost = by_id(feed.table("posts"))[f"at://{ALICE}/app.bsky.feed.repost/3kalicerep001"]
    assert repost["kind"] == "repost"
    assert repost["account_id"] == ALICE
    assert repost["repost_of_post_id"] == f"at://{BOB}/app.bsky.feed.post/3kbobpost0001"
    assert repost["repost_of_account_id"] == BOB
    # The repost time is when it was indexed; the text is the reposted post's.
    assert repost["created_at"] == datetime(2024, 10, 1, 13, tzinfo=UTC)
    assert repost["text"] == "Worth reading: https://blog.example.net/post"
    assert repost["urls"] == ["https://blog.example.net/post"]


def test_feed_repost_without_reason_uri_gets_derived_id(feed: Any) -> None:
    carol_post = f"at://{CAROL}/app.bsky.feed.post/3kcarolpst001"
    repost = by_id(feed.table("posts"))[f"repost:{ALICE}:{carol_post}"]
    assert repost["repost_of_post_id"] == carol_post
    assert repost["repost_of_account_id"] == CAROL
    assert repost["lang"] == "fr"


def test_feed_reply_and_pinned_post(feed: Any) -> None:
    posts = by_id(feed.table("posts"))
    reply = posts[f"at://{ALICE}/app.bsky.feed.post/3kalicerepl01"]
    assert reply["kind"] == "reply"
    assert reply["reply_to_post_id"] == f"at://{BOB}/app.bsky.feed.post/3kbobpost0001"
    assert reply["reply_to_account_id"] == BOB
    assert reply["mentions"] == [BOB]
    assert posts[f"at://{ALICE}/app.bsky.feed.post/3kalicepin001"]["kind"] == "post"


def test_feed_author_profile_becomes_account(feed: Any) -> None:
    accounts = by_id(feed.table("accounts"), "account_id")
    assert list(accounts) == [ALICE]
    alice = accounts[ALICE]
    assert alice["handle"] == "alice.example.com"
    assert alice["display_name"] == "Alice A."
    assert alice["created_at"] == datetime(2023, 4, 12, 8, tzinfo=UTC)
    assert alice["profile_image"].startswith("https://cdn.bsky.app/img/avatar/plain/")


def test_json_lines_of_responses_numbered_across_pages(ingest: Any, tmp_path: Path) -> None:
    feed = json.loads(FEED.read_text())["feed"]
    path = tmp_path / "pages.jsonl"
    path.write_text(
        json.dumps({"feed": feed[:2], "cursor": "a"})
        + "\n"
        + '{"feed": [{"post": \n'
        + json.dumps({"feed": feed[2:], "cursor": "b"})
        + "\n"
    )
    assert BlueskyReader.sniff(read_head(path))
    ds = ingest(path, max_reject_rate=1)
    assert sorted(p["source"]["line"] for p in rows(ds.table("posts"))) == [1, 2, 4, 5, 6]
    [reject] = rows(ds.table("rejects"))
    assert reject["line"] == 3
    assert reject["reason"].startswith("invalid JSON") and reject["reason"].endswith("on line 2")


def test_search_posts_response(ingest: Any, tmp_path: Path) -> None:
    views = [item["post"] for item in json.loads(FEED.read_text())["feed"][:2]]
    path = tmp_path / "search.json"
    path.write_text(json.dumps({"posts": views, "hitsTotal": 2}))
    ds = ingest(path)
    posts = by_id(ds.table("posts"))
    # A bare post view has no repost reason: both are the authors' own posts.
    assert set(posts) == {
        f"at://{ALICE}/app.bsky.feed.post/3kalicepost01",
        f"at://{BOB}/app.bsky.feed.post/3kbobpost0001",
    }
    assert {p["kind"] for p in posts.values()} == {"post"}
    assert posts[f"at://{BOB}/app.bsky.feed.post/3kbobpost0001"]["account_id"] == BOB


def test_large_pretty_printed_response_read_as_one_document(ingest: Any, tmp_path: Path) -> None:
    item = json.loads(FEED.read_text())["feed"][0]
    uri = item["post"]["uri"]
    feed = [{"post": {**item["post"], "uri": f"{uri}{i}"}} for i in range(800)]
    path = tmp_path / "feed.json"
    path.write_text(json.dumps({"feed": feed, "cursor": "c"}, indent=2))
    assert path.stat().st_size > HEAD_BYTES
    head = read_head(path)
    assert head.json is None
    assert BlueskyReader.sniff(head)
    ds = ingest(path)
    assert ds.manifest.tables["posts"] == 800
    assert by_id(ds.table("posts"))[f"{uri}799"]["source"]["line"] == 800


def test_broken_pretty_printed_response_is_one_reject(ingest: Any, tmp_path: Path) -> None:
    text = json.dumps({"feed": json.loads(FEED.read_text())["feed"] * 300}, indent=2)
    cut = text[: HEAD_BYTES + 1000]
    path = tmp_path / "feed.json"
    path.write_text(cut)
    ds = ingest(path, format="bluesky", max_reject_rate=1)
    [reject] = rows(ds.table("rejects"))
    # The whole document is one record: it fails where the file ends.
    assert reject["line"] == 1
    assert reject["reason"].startswith("invalid JSON")
    assert reject["reason"].endswith(f"on line {cut.count(chr(10)) + 1}")
