from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from overt.errors import InputError
from overt.ingest.formats.bluesky import BlueskyReader
from overt.ingest.formats.mastodon import MastodonReader
from overt.ingest.formats.telegram import TelegramReader, entity_lists, plain_text
from overt.ingest.sniff import HEAD_BYTES, read_head
from tests.conftest import DATA, by_id, rows

TG = DATA / "telegram"
RESULT = TG / "result.json"
OLD = TG / "old_group.json"
CHANNEL = "channel1234567890"


@pytest.fixture
def channel(ingest: Any) -> Any:
    return ingest(RESULT, max_reject_rate=1)


# --- sniffing -----------------------------------------------------------------------------------------------


def test_full_account_export_is_not_sniffed_and_not_read(ingest: Any, tmp_path: Path) -> None:
    path = tmp_path / "result.json"
    path.write_text(json.dumps({"about": "x", "chats": {"about": "y", "list": [json.loads(RESULT.read_text())]}}))
    assert not TelegramReader.sniff(read_head(path))
    with pytest.raises(InputError, match="export each chat on its own"):
        ingest(path, format="telegram")


def big_export(tmp_path: Path) -> Path:
    """A channel export larger than the sniffed head, written the way Telegram Desktop indents it."""
    message = json.loads(RESULT.read_text())["messages"][1]
    messages = [{**message, "id": i} for i in range(1, 2_000)]
    path = tmp_path / "result.json"
    doc = {"name": "Big", "type": "public_channel", "id": 42, "messages": messages}
    path.write_text(json.dumps(doc, indent=1, ensure_ascii=False))
    assert path.stat().st_size > HEAD_BYTES
    return path


def test_large_export_sniffed_from_text_and_read_whole(ingest: Any, tmp_path: Path) -> None:
    path = big_export(tmp_path)
    head = read_head(path)
    assert head.json is None
    assert TelegramReader.sniff(head)
    assert not MastodonReader.sniff(head) and not BlueskyReader.sniff(head)
    ds = ingest(path, format="telegram")
    assert ds.manifest.tables["posts"] == 1_999
    assert by_id(ds.table("posts"))["channel42/1999"]["source"]["line"] == 1_999


# --- messages -----------------------------------------------------------------------------------------------


def test_message_fields(channel: Any) -> None:
    post = by_id(channel.table("posts"))[f"{CHANNEL}/2"]
    assert post["platform"] == "telegram"
    assert post["kind"] == "post"
    assert post["account_id"] == CHANNEL
    assert post["text"] == (
        "Breaking: turnout is low. Details: https://news.example.com/turnout?utm_source=tg #Vote2024 and our sources"
    )
    assert post["urls"] == ["https://news.example.com/turnout", "https://sources.example.org/list"]
    assert post["hashtags"] == ["vote2024"]
    assert post["mentions"] == []
    assert post["media"] == ["photos/photo_2@01-03-2024_13-00-00.jpg"]
    assert post["source"]["line"] == 2


def test_date_unixtime_wins_over_local_date(channel: Any) -> None:
    post = by_id(channel.table("posts"))[f"{CHANNEL}/2"]
    # "date" says 13:00 (the exporting machine's clock, UTC+1); date_unixtime is 12:00 UTC.
    assert post["created_at"] == datetime(2024, 3, 1, 12, tzinfo=UTC)
    assert channel.manifest.inputs[0].assumed_timezone is None


def test_forwards_are_reposts(channel: Any) -> None:
    posts = by_id(channel.table("posts"))
    by_name, hidden, by_id_ = posts[f"{CHANNEL}/3"], posts[f"{CHANNEL}/5"], posts[f"{CHANNEL}/8"]
    assert by_name["kind"] == hidden["kind"] == by_id_["kind"] == "repost"
    assert by_name["repost_of_account_id"] == "Other Channel"
    assert hidden["repost_of_account_id"] is None
    assert by_id_["repost_of_account_id"] == "channel424242"
    assert {p["repost_of_post_id"] for p in (by_name, hidden, by_id_)} == {None}
    assert by_name["text"] == "Watch this"
    # A file left out of the export has no usable name.
    assert by_name["media"] == []


def test_replies_and_mentions(channel: Any) -> None:
    posts = by_id(channel.table("posts"))
    reply = posts[f"{CHANNEL}/4"]
    assert reply["kind"] == "reply"
    assert reply["reply_to_post_id"] == f"{CHANNEL}/2"
    assert reply["reply_to_account_id"] == CHANNEL
    assert reply["text"] == "Update for @Observer_Team and Maria"
    assert reply["mentions"] == ["observer_team", "user555000111"]
    elsewhere = posts[f"{CHANNEL}/7"]
    assert elsewhere["kind"] == "reply"
    assert elsewhere["reply_to_post_id"] == "channel999/88"
    assert elsewhere["reply_to_account_id"] is None
    assert elsewhere["media"] == ["files/leaflet.pdf"]
    assert elsewhere["text"] == ""


def test_service_messages_rejected(channel: Any) -> None:
    rejects = {r["line"]: (r["field"], r["reason"]) for r in rows(channel.table("rejects"))}
    assert rejects == {
        1: ("type", "not a post: service message (create_channel)"),
        6: ("type", "not a post: service message (pin_message)"),
    }
    assert channel.manifest.tables["posts"] == 6


def test_chat_is_an_account(channel: Any) -> None:
    [account] = rows(channel.table("accounts"))
    assert account["account_id"] == CHANNEL
    assert account["display_name"] == "Example News"
    assert account["verified"] is None


def test_old_export_local_dates_text_extraction_and_members(ingest: Any) -> None:
    ds = ingest(OLD, max_reject_rate=1, timezone="Europe/Berlin")
    posts = by_id(ds.table("posts"))
    first, second = posts["channel777000/10"], posts["channel777000/11"]
    # Only "date" (local time): read in the zone given, recorded in the manifest as assumed.
    assert first["created_at"] == datetime(2020, 6, 1, 10, tzinfo=UTC)
    assert ds.manifest.inputs[0].assumed_timezone == "Europe/Berlin"
    # No text_entities and plain text: the pipeline extracts from the text.
    assert first["urls"] == ["https://blog.example.net/x"]
    assert first["hashtags"] == ["topic"]
    # No text_entities but a text list: its entity objects are used.
    assert second["text"] == "ok example.org/y"
    assert second["urls"] == ["https://example.org/y"]
    assert second["reply_to_account_id"] == "user111"
    accounts = by_id(ds.table("accounts"), "account_id")
    assert {k: a["display_name"] for k, a in accounts.items()} == {
        "channel777000": "Old Group",
        "user111": "Anna",
        "user222": "Ben",
    }
    [reject] = rows(ds.table("rejects"))
    assert (reject["line"], reject["reason"]) == (3, "not a post: unsupported message")


def test_old_export_defaults_to_utc(ingest: Any) -> None:
    ds = ingest(OLD, max_reject_rate=1)
    assert by_id(ds.table("posts"))["channel777000/10"]["created_at"] == datetime(2020, 6, 1, 12, tzinfo=UTC)
    assert ds.manifest.inputs[0].assumed_timezone == "UTC"


def test_invalid_json_is_one_reject_with_its_line(ingest: Any, tmp_path: Path) -> None:
    path = tmp_path / "result.json"
    path.write_text(RESULT.read_text()[:700])
    ds = ingest(path, format="telegram", max_reject_rate=1)
    [reject] = rows(ds.table("rejects"))
    assert reject["reason"].startswith("invalid JSON")
    assert reject["line"] == RESULT.read_text()[:700].count("\n") + 1
    assert rows(ds.table("posts")) == []


def test_plain_text_and_entity_lists() -> None:
    assert plain_text("just text") == "just text"
    assert plain_text(["a ", {"type": "bold", "text": "b"}, {"type": "custom_emoji", "text": "🙂"}]) == "a b🙂"
    assert plain_text(None) is None
    assert entity_lists(
        [
            {"type": "email", "text": "x@example.com"},
            {"type": "text_link", "text": "here", "href": "https://h.example"},
            {"type": "mention_name", "text": "No Id"},
            {"type": "cashtag", "text": "$ABC"},
        ]
    ) == {"urls": ["https://h.example"], "hashtags": [], "mentions": []}
