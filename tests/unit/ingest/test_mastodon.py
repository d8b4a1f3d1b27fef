from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from overt.ingest.formats.base import Head
from overt.ingest.formats.mastodon import MastodonReader, qualified_acct
from overt.ingest.html_text import html_to_text
from overt.ingest.sniff import read_head
from tests.conftest import DATA, by_id, rows

MASTO = DATA / "mastodon"
STATUSES = MASTO / "statuses.json"
PAGES = MASTO / "pages.jsonl"
ALICE_STATUS = "https://mastodon.example/users/alice/statuses/113000000000000001"


@pytest.fixture
def statuses(ingest: Any) -> Any:
    return ingest(STATUSES)


# --- sniffing -----------------------------------------------------------------------------------------------


def test_sniffs_large_array_from_text() -> None:
    text = '[\n  {\n    "id": "1",\n    "visibility": "public",\n    "uri": "https://m.example/users/a/statuses/1",\n'
    text += '    "account": {\n      "acct": "a",'
    head = Head(path=Path("big.json"), text=text, columns=None, delimiter=None, json=None)
    assert MastodonReader.sniff(head)
    tweet = '[\n {\n  "id_str": "1",\n  "user": {"id_str": "2"},'
    assert not MastodonReader.sniff(Head(path=Path("t.json"), text=tweet, columns=None, delimiter=None, json=None))


def test_qualified_acct() -> None:
    assert qualified_acct({"acct": "Alice", "url": "https://mastodon.example/@Alice"}) == "alice@mastodon.example"
    assert qualified_acct({"acct": "Bob@Other.example", "url": "https://other.example/@Bob"}) == "bob@other.example"
    assert qualified_acct({"acct": "carol"}) == "carol"
    assert qualified_acct(None) is None


# --- statuses -----------------------------------------------------------------------------------------------


def test_status_fields(statuses: Any) -> None:
    post = by_id(statuses.table("posts"))[ALICE_STATUS]
    assert post["platform"] == "mastodon"
    assert post["kind"] == "post"
    assert post["account_id"] == "alice@mastodon.example"
    assert post["created_at"] == datetime(2024, 11, 5, 14, 3, 12, 345000, tzinfo=UTC)
    assert post["lang"] == "en"
    assert post["client"] == "Web"  # application.name
    assert post["text"] == (
        "New report on the vote: #Elections cc @Bob\n\n"
        "Read it here: https://www.research.example.org/report/2024?utm_source=mastodon\n"
        "Q&A <live> tomorrow"
    )
    # The anchor and the card are the same page once normalised; hashtag and mention anchors are not URLs.
    assert post["urls"] == ["https://research.example.org/report/2024"]
    assert post["hashtags"] == ["elections"]
    assert post["mentions"] == ["bob@other.example"]
    assert post["media"] == [
        "https://files.mastodon.example/media_attachments/files/113/000/000/000/000/901/original/chart.png"
    ]
    assert post["source"]["line"] == 1


def test_reblog_is_repost_with_reblogged_content(statuses: Any) -> None:
    repost = by_id(statuses.table("posts"))["https://mastodon.example/users/carol/statuses/113000000000000003/activity"]
    assert repost["kind"] == "repost"
    assert repost["account_id"] == "carol@mastodon.example"
    assert repost["repost_of_post_id"] == "https://other.example/users/Bob/statuses/113000000000000777"
    assert repost["repost_of_account_id"] == "bob@other.example"
    assert repost["text"] == "Polls open at vote.example.com/ #vote"
    assert repost["lang"] == "en"
    assert repost["urls"] == ["https://vote.example.com/"]
    assert repost["hashtags"] == ["vote"]
    # A remote attachment is identified by its address on the origin server.
    assert repost["media"] == ["https://media.other.example/ballot.jpg"]


def test_reply_to_status_in_file_resolved_to_uri(statuses: Any) -> None:
    reply = by_id(statuses.table("posts"))["https://other.example/users/Bob/statuses/113000000000000778"]
    assert reply["kind"] == "reply"
    assert reply["reply_to_post_id"] == ALICE_STATUS
    assert reply["reply_to_account_id"] == "alice@mastodon.example"
    assert reply["text"] == "@alice Thanks, great work!"
    assert reply["mentions"] == ["alice@mastodon.example"]


def test_reply_to_status_not_in_file_keeps_local_id(statuses: Any) -> None:
    reply = by_id(statuses.table("posts"))["https://mastodon.example/users/alice/statuses/113000000000000005"]
    assert reply["kind"] == "reply"
    assert reply["reply_to_post_id"] == "112999999999999999"
    # A self-reply: the account is the author's own.
    assert reply["reply_to_account_id"] == "alice@mastodon.example"


def test_quotes_full_and_shallow(statuses: Any) -> None:
    posts = by_id(statuses.table("posts"))
    full = posts["https://social.example.org/users/dave/statuses/113000000000000006"]
    shallow = posts["https://mastodon.example/users/erin/statuses/113000000000000007"]
    assert full["kind"] == shallow["kind"] == "quote"
    assert full["quote_of_post_id"] == shallow["quote_of_post_id"] == ALICE_STATUS
    # The "RE: link" fallback paragraph is neither text nor a URL.
    assert full["text"] == "This is misleading."
    assert full["urls"] == []
    assert full["lang"] == "fr"


def test_accounts(statuses: Any) -> None:
    accounts = by_id(statuses.table("accounts"), "account_id")
    assert set(accounts) == {
        "alice@mastodon.example",
        "bob@other.example",
        "carol@mastodon.example",
        "dave@social.example.org",
        "erin@mastodon.example",
    }
    alice = accounts["alice@mastodon.example"]
    assert alice["handle"] == "alice"
    assert alice["display_name"] == "Alice 🌍"
    assert alice["description"] == "Researcher & writer.\n\nViews my own.\nShe/her"
    assert alice["created_at"] == datetime(2022, 11, 2, tzinfo=UTC)
    assert (alice["followers"], alice["following"]) == (1520, 310)
    assert alice["profile_image"].endswith("/109000000000000001/original/a.png")
    # "bot": true is not verification.
    assert alice["verified"] is None
    assert accounts["bob@other.example"]["handle"] == "Bob"
    assert accounts["carol@mastodon.example"]["description"] is None


def test_no_rejects(statuses: Any) -> None:
    assert rows(statuses.table("rejects")) == []


def test_pages_numbered_by_status_and_broken_line_rejected(ingest: Any) -> None:
    ds = ingest(PAGES, max_reject_rate=1)
    posts = rows(ds.table("posts"))
    assert sorted((p["source"]["line"], p["text"]) for p in posts) == [(1, "one"), (2, "two #nolist"), (4, "three")]
    # tags: [] says there are none: "#nolist" in the text is not taken for one.
    assert next(p for p in posts if p["text"] == "two #nolist")["hashtags"] == []
    [reject] = rows(ds.table("rejects"))
    assert reject["line"] == 3
    assert reject["reason"].startswith("invalid JSON on line 2: Unterminated string")


def test_json_lines_of_statuses_use_physical_lines(ingest: Any, tmp_path: Path) -> None:
    items = json.loads(STATUSES.read_text())
    path = tmp_path / "statuses.jsonl"
    path.write_text(json.dumps(items[0]) + "\n\n" + "not json\n" + json.dumps(items[2]) + "\n")
    assert MastodonReader.sniff(read_head(path))
    ds = ingest(path, max_reject_rate=1)
    assert sorted(p["source"]["line"] for p in rows(ds.table("posts"))) == [1, 4]
    [reject] = rows(ds.table("rejects"))
    assert (reject["line"], reject["raw"]) == (3, "not json")
    # The parent of the reply is in the file, so it resolves to its uri.
    reply = by_id(ds.table("posts"))["https://other.example/users/Bob/statuses/113000000000000778"]
    assert reply["reply_to_post_id"] == ALICE_STATUS


def test_status_without_uri_is_rejected(ingest: Any, tmp_path: Path) -> None:
    item = json.loads(STATUSES.read_text())[0]
    broken = {**item, "id": "9", "uri": None, "url": None}
    path = tmp_path / "s.json"
    path.write_text(json.dumps([item, broken]))
    ds = ingest(path, max_reject_rate=1)
    [reject] = rows(ds.table("rejects"))
    assert (reject["line"], reject["field"], reject["reason"]) == (2, "uri", "status without uri or url")


def test_client_is_the_status_own_application(ingest: Any, tmp_path: Path) -> None:
    items = json.loads(STATUSES.read_text())
    plain, reblog = items[0], items[1]
    assert reblog["reblog"]
    reblog = reblog | {"application": None, "reblog": reblog["reblog"] | {"application": {"name": "Moa"}}}
    path = tmp_path / "apps.json"
    path.write_text(json.dumps([plain | {"application": {"name": "Buffer", "website": None}}, reblog]))
    posts = by_id(ingest(path).table("posts"))
    assert posts[ALICE_STATUS]["client"] == "Buffer"
    # The reblogged status's app is its author's, not the reblogger's: the reblog has none of its own.
    assert posts[reblog["uri"]]["client"] is None


# --- HTML to text -------------------------------------------------------------------------------------------


def test_html_paragraphs_breaks_and_entities() -> None:
    result = html_to_text("<p>one &amp; two<br>three<br/>four</p><p>five&nbsp;six &#127757;</p>")
    assert result.text == "one & two\nthree\nfour\n\nfive\xa0six 🌍"
    assert result.links == []


def test_html_collapses_source_whitespace_but_keeps_pre() -> None:
    assert html_to_text("<p>a\n   b</p>").text == "a b"
    assert html_to_text("<pre>x  =  1\ny</pre>").text == "x  =  1\ny"


def test_html_links_skip_tags_and_mentions() -> None:
    html = (
        '<p><a href="https://m.example/tags/a" class="mention hashtag" rel="tag">#<span>a</span></a> '
        '<a href="https://m.example/@b" class="u-url mention">@<span>b</span></a> '
        '<a href="https://pleroma.example/tag/c">#c</a> '
        '<a href="https://x.example/long/path"><span class="invisible">https://</span>'
        '<span class="ellipsis">x.example/long/pa</span><span class="invisible">th</span></a> '
        '<a href="https://x.example/long/path">again</a></p>'
    )
    result = html_to_text(html)
    assert result.text == "#a @b #c https://x.example/long/path again"
    assert result.links == ["https://x.example/long/path"]


def test_html_quote_inline_fallback_left_out() -> None:
    html = '<p>mine</p><p class="quote-inline">RE: <a href="https://q.example/1"><span>q.example/1</span></a></p>'
    result = html_to_text(html)
    assert result.text == "mine"
    assert result.links == []


def test_html_tolerates_broken_markup() -> None:
    result = html_to_text('<p>open <b>bold <a href="https://a.example">link</p> tail & < more')
    assert result.text == "open bold link\n\ntail & < more"
    assert result.links == []  # the anchor is never closed: no link is taken from it


def test_html_lists_and_blockquotes() -> None:
    result = html_to_text("<p>intro</p><ul><li>one</li><li>two</li></ul><blockquote><p>cited</p></blockquote>")
    assert result.text == "intro\n\none\ntwo\n\ncited"
