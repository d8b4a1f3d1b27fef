"""Twitter API v1.1 statuses as JSON lines or a JSON array (REST timelines, filter/sample stream, twarc1)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from overt.ingest.formats.base import Head, Options, Reader, Staged, client_name, dumps, json_keys
from overt.ingest.jsonsource import RecordError, as_str, get_path, stage_json
from overt.ingest.normalise import TimeFormat

if TYPE_CHECKING:
    import duckdb

PLATFORM = "twitter"
#: v1.1 times look like "Wed Oct 10 20:19:24 +0000 2018".
V1_TIME = "%a %b %d %H:%M:%S %z %Y"
_TIMES = TimeFormat((V1_TIME,), has_zone=True)
_STATUS_KEYS = frozenset({"id_str", "user", "created_at"})
#: Stream messages that are not statuses (Twitter's streaming message types).
_CONTROL = ("delete", "scrub_geo", "limit", "status_withheld", "user_withheld", "disconnect", "warning")


def _id(obj: Any) -> str | None:
    """``id_str`` of a status or user, else its numeric ``id`` (exact: Python's JSON keeps big integers)."""
    if not isinstance(obj, dict):
        return None
    return as_str(obj.get("id_str") or obj.get("id"))


def _strings(items: Any, *keys: str) -> list[str]:
    """The first non-empty of *keys* of each object in *items*."""
    out: list[str] = []
    for item in items if isinstance(items, list) else ():
        value = next((item.get(k) for k in keys if item.get(k)), None) if isinstance(item, dict) else None
        if value is not None and not isinstance(value, dict | list):
            out.append(str(value))
    return out


def _text(status: dict[str, Any]) -> str | None:
    # Depending on tweet_mode and the endpoint, the whole text is in full_text, in extended_tweet.full_text
    # (streaming "compatibility mode") or in text; the others hold a version cut at 140 characters.
    candidates = (
        status.get("full_text"),
        get_path(status, "extended_tweet", "full_text"),
        status.get("text"),
    )
    return max((t for t in candidates if isinstance(t, str)), key=len, default=None)


def _lists(status: dict[str, Any]) -> dict[str, list[str]]:
    """List columns the status states; absent when the status has no ``entities`` at all."""
    extended = status.get("extended_tweet")
    # In compatibility mode the top-level entities describe the cut text; extended_tweet's the whole one.
    source = extended if isinstance(extended, dict) and isinstance(extended.get("entities"), dict) else status
    entities = source.get("entities")
    if not isinstance(entities, dict):
        return {}
    # entities.media lists only the first photo; extended_entities.media lists them all.
    media = get_path(source, "extended_entities", "media") or entities.get("media")
    return {
        "urls": _strings(entities.get("urls"), "expanded_url", "url"),
        "hashtags": _strings(entities.get("hashtags"), "text"),
        "mentions": _strings(entities.get("user_mentions"), "screen_name"),
        "media": _strings(media, "id_str", "id"),
    }


def _profile(user: Any) -> dict[str, Any]:
    """Account staging columns of a v1.1 user object."""
    if not isinstance(user, dict):
        return {}
    return {
        "handle": as_str(user.get("screen_name")),
        "display_name": as_str(user.get("name")),
        "description": as_str(user.get("description")),
        "account_created_at": as_str(user.get("created_at")),
        "reported_location": as_str(user.get("location")),
        "declared_lang": as_str(user.get("lang")),
        "followers": as_str(user.get("followers_count")),
        "following": as_str(user.get("friends_count")),
        "verified": as_str(user.get("verified")),
        "profile_image": as_str(user.get("profile_image_url_https") or user.get("profile_image_url")),
    }


def _post(status: dict[str, Any]) -> dict[str, Any]:
    row: dict[str, Any] = {
        "platform": PLATFORM,
        "post_id": _id(status),
        "account_id": _id(status.get("user")),
        "created_at": as_str(status.get("created_at")),
        "text": _text(status),
        "lang": as_str(status.get("lang")),
        # The retweet's own source: the app the retweeter used, not the original's.
        "client": client_name(status.get("source")),
        "reply_to_post_id": as_str(status.get("in_reply_to_status_id_str") or status.get("in_reply_to_status_id")),
        "reply_to_account_id": as_str(status.get("in_reply_to_user_id_str") or status.get("in_reply_to_user_id")),
        "quote_of_post_id": as_str(status.get("quoted_status_id_str") or _id(status.get("quoted_status"))),
        **_profile(status.get("user")),
    }
    lists = _lists(status)
    original = status.get("retweeted_status")
    if isinstance(original, dict):
        row["repost_of_post_id"] = _id(original)
        row["repost_of_account_id"] = _id(original.get("user"))
        # A retweet's own text is "RT @x: " plus the original cut short; the original is what spread.
        # Its entities are added to the retweet's, which name @x and whatever the cut text kept.
        row["text"] = _text(original) or row["text"]
        theirs = _lists(original)
        lists = {k: [*lists.get(k, []), *theirs.get(k, [])] for k in lists.keys() | theirs.keys()}
    row.update(lists)
    if not (row["post_id"] and row["account_id"] and row["created_at"]):
        row["_raw"] = dumps(status)[:10_000]  # the pipeline rejects it; keep the status for the rejects table
    return row


def _map(record: Any) -> Iterator[dict[str, Any]]:
    if not isinstance(record, dict):
        raise RecordError(None, f"expected a JSON object (a v1.1 status), got {type(record).__name__}")
    if not record.keys() & {"id_str", "id", "user"}:
        control = next((k for k in _CONTROL if k in record), None)
        if control is not None:
            raise RecordError(control, f"stream {control} notice, not a status")
        raise RecordError(None, "not a v1.1 status (no id_str, id or user)")
    post = _post(record)
    yield post
    # Authors of the retweeted and quoted statuses are real accounts with profiles: give them account rows.
    seen = {post["account_id"]}
    for key in ("retweeted_status", "quoted_status"):
        user = get_path(record, key, "user")
        if isinstance(user, dict) and _id(user) not in seen:
            seen.add(_id(user))
            yield {"_entity": "account", "platform": PLATFORM, "account_id": _id(user), **_profile(user)}


class TwitterV1Reader(Reader):
    """Twitter API v1.1 statuses (tweets) as JSON.

    Reads JSON lines of statuses (the filter and sample streams, REST timelines and search results saved
    one status per line, as twarc 1 writes them) and JSON arrays of statuses. Both the classic
    ``tweet_mode=extended`` layout (``full_text``) and the streaming compatibility layout
    (``extended_tweet``) are read; the longest text wins. A retweet's text is that of its
    ``retweeted_status``, its entities those of both; authors of retweeted and quoted statuses become
    account rows.

    Cannot read: the search envelope ``{"statuses": [...], "search_metadata": ...}`` (save its statuses one
    per line), v2 tweets (use ``x-api-v2``), and the retweeted and quoted statuses as posts of their own
    (they were not what the collection matched). Stream control messages (``delete``, ``limit``, ...) are
    rejected with their kind as reason. Places, coordinates and counts are not read.
    """

    name = "twitter-v1"
    description = "Twitter API v1.1 status JSON (JSON lines or array; streams, timelines, twarc1)"

    @classmethod
    def sniff(cls, head: Head) -> bool:
        keys = json_keys(head.json)
        if keys >= _STATUS_KEYS:
            return True
        # A stream file may start with a control message; only the two kinds with a v1 shape count.
        value = head.json[0] if isinstance(head.json, list) and head.json else head.json
        return (keys == {"delete"} and get_path(value, "delete", "status", "id_str") is not None) or (
            keys == {"limit"} and get_path(value, "limit", "track") is not None
        )

    def stage(self, head: Head, con: duckdb.DuckDBPyConnection, options: Options) -> Staged:
        return stage_json(con, head, _map, created_at=_TIMES, account_created_at=_TIMES)
