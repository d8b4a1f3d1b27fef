"""Bluesky: Jetstream event dumps, and the AppView's feed and post-search API responses."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from overt.ingest.formats.base import LIST_COLUMNS, Head, Options, Reader, Staged, json_keys
from overt.ingest.jsonsource import RecordError, as_str, get_path, iter_records, stage_json
from overt.ingest.normalise import TimeFormat

if TYPE_CHECKING:
    import duckdb

POST = "app.bsky.feed.post"
REPOST = "app.bsky.feed.repost"
PROFILE = "app.bsky.actor.profile"
REASON_REPOST = "app.bsky.feed.defs#reasonRepost"
_FACET = "app.bsky.richtext.facet#"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
#: An API response ({"feed": [...]} or {"posts": [...]}) too large for the head to hold it whole.
_RESPONSE_TEXT = re.compile(r'\s*\{\s*"(?:feed|posts)"\s*:\s*\[\s*(?:\]|\{)')
_JETSTREAM_TEXT = re.compile(r'\{\s*"did"\s*:\s*"did:[a-z]+:[^"]*"\s*,\s*"time_us"\s*:\s*\d')


def did_of(uri: Any) -> str | None:
    """The repository DID in an AT URI ``at://{did}/{collection}/{rkey}``, or None."""
    if not isinstance(uri, str) or not uri.startswith("at://"):
        return None
    authority = uri[len("at://") :].split("/", 1)[0]
    return authority if authority.startswith("did:") else None


def _collection(uri: str) -> str | None:
    parts = uri[len("at://") :].split("/")
    return parts[1] if len(parts) > 2 else None


def _list(values: Any) -> list[Any]:
    return values if isinstance(values, list) else []


def _add(target: list[str], value: Any) -> None:
    if isinstance(value, str) and value:
        target.append(value)


def _blob_cid(blob: Any) -> Any:
    # Current blobs carry {"ref": {"$link": cid}}; records written before 2023 carry {"cid": cid}.
    return get_path(blob, "ref", "$link") or get_path(blob, "cid")


def _embed(embed: Any, urls: list[str], media: list[str]) -> str | None:
    """Add an embed's links and media CIDs to *urls*/*media*; return the URI of the quoted post, if any."""
    kind = get_path(embed, "$type")
    if kind == "app.bsky.embed.recordWithMedia":
        _embed(get_path(embed, "media"), urls, media)
        return _quoted(get_path(embed, "record", "record", "uri"))
    if kind == "app.bsky.embed.record":
        return _quoted(get_path(embed, "record", "uri"))
    if kind == "app.bsky.embed.external":
        _add(urls, get_path(embed, "external", "uri"))
    elif kind == "app.bsky.embed.images":
        for image in _list(get_path(embed, "images")):
            _add(media, _blob_cid(get_path(image, "image")))
    elif kind == "app.bsky.embed.video":
        _add(media, _blob_cid(get_path(embed, "video")))
    return None


def _quoted(uri: Any) -> str | None:
    # A record embed can also show a feed generator, list or starter pack: only an embedded post is a quote.
    return uri if isinstance(uri, str) and uri.startswith("at://") and _collection(uri) == POST else None


def post_content(record: dict[str, Any]) -> dict[str, Any]:
    """Staging columns for what an ``app.bsky.feed.post`` record says: text, language, reply, quote, entities.

    The list columns are always lists: the record's facets are the authoritative entities, and the text
    cannot stand in for them because clients shorten the text of long links.
    """
    urls: list[str] = []
    hashtags: list[str] = []
    mentions: list[str] = []
    media: list[str] = []
    for facet in _list(record.get("facets")):
        for feature in _list(get_path(facet, "features")):
            kind = get_path(feature, "$type")
            if kind == _FACET + "link":
                _add(urls, get_path(feature, "uri"))
            elif kind == _FACET + "mention":
                _add(mentions, get_path(feature, "did"))
            elif kind == _FACET + "tag":
                _add(hashtags, get_path(feature, "tag"))
    for tag in _list(record.get("tags")):
        _add(hashtags, tag)
    quote = _embed(record.get("embed"), urls, media)
    parent = get_path(record, "reply", "parent", "uri")
    return {
        "text": as_str(record.get("text")),
        "lang": as_str(get_path(record, "langs", 0)),
        "reply_to_post_id": as_str(parent),
        "reply_to_account_id": did_of(parent),
        "quote_of_post_id": quote,
        "urls": urls,
        "hashtags": hashtags,
        "mentions": mentions,
        "media": media,
    }


def _time_us(value: Any) -> str | None:
    """Jetstream's ``time_us`` (microseconds since 1970) as ISO 8601 in UTC."""
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool):
        return None
    return (_EPOCH + timedelta(microseconds=value)).isoformat()


def map_event(event: dict[str, Any]) -> list[dict[str, Any]]:
    """Staging rows for one Jetstream event: a post or repost create, or an account (identity, profile)."""
    did = as_str(event.get("did"))
    kind = event.get("kind")
    if kind == "identity":
        handle = as_str(get_path(event, "identity", "handle"))
        if not handle:
            raise RecordError("identity.handle", "not a post: identity event without a handle")
        return [{"_entity": "account", "platform": "bluesky", "account_id": did, "handle": handle}]
    if kind != "commit":
        raise RecordError("kind", f"not a post: {kind} event")
    commit = event.get("commit")
    collection = get_path(commit, "collection")
    operation = get_path(commit, "operation")
    record = get_path(commit, "record")
    if collection == PROFILE and operation in ("create", "update") and isinstance(record, dict):
        profile = {
            "display_name": as_str(record.get("displayName")),
            "description": as_str(record.get("description")),
            "profile_image": as_str(_blob_cid(record.get("avatar"))),
        }
        return [{"_entity": "account", "platform": "bluesky", "account_id": did, **profile}]
    if collection not in (POST, REPOST) or operation != "create":
        field = "commit.collection" if collection not in (POST, REPOST) else "commit.operation"
        raise RecordError(field, f"not a post: {collection} {operation}")
    rkey = as_str(get_path(commit, "rkey"))
    if not did or not rkey:
        raise RecordError("commit.rkey" if did else "did", "commit without did or rkey")
    if not isinstance(record, dict):
        raise RecordError("commit.record", f"{collection} create without a record")
    row: dict[str, Any] = {
        "platform": "bluesky",
        "post_id": f"at://{did}/{collection}/{rkey}",
        "account_id": did,
        # createdAt is what the client declares (it can be backdated); time_us is when Jetstream saw it.
        "created_at": as_str(record.get("createdAt")) or _time_us(event.get("time_us")),
    }
    if collection == POST:
        return [row | post_content(record)]
    subject = as_str(get_path(record, "subject", "uri"))
    row |= {"repost_of_post_id": subject, "repost_of_account_id": did_of(subject)}
    return [row | {column: [] for column in LIST_COLUMNS}]


def _profile(view: Any) -> dict[str, Any]:
    """Account columns from an ``app.bsky.actor.defs#profileViewBasic``."""
    return {
        "account_id": as_str(get_path(view, "did")),
        "handle": as_str(get_path(view, "handle")),
        "display_name": as_str(get_path(view, "displayName")),
        "profile_image": as_str(get_path(view, "avatar")),
        "account_created_at": as_str(get_path(view, "createdAt")),
    }


def map_feed_item(item: dict[str, Any]) -> list[dict[str, Any]]:
    """Staging row for an ``app.bsky.feed.defs#feedViewPost`` (``{"post", "reason"?}``) or a bare postView."""
    view = item.get("post") if "post" in item else item
    uri = as_str(get_path(view, "uri"))
    record = get_path(view, "record")
    if not uri or not isinstance(record, dict):
        raise RecordError("post.record", "feed item without a post uri and record")
    content = post_content(record)
    reason = item.get("reason")
    if get_path(reason, "$type") != REASON_REPOST:
        # Posts without a reason, and pinned posts (reasonPin), are the author's own posts.
        created = as_str(record.get("createdAt")) or as_str(get_path(view, "indexedAt"))
        row = {"platform": "bluesky", "post_id": uri, "created_at": created}
        return [row | content | _profile(get_path(view, "author"))]
    by = _profile(get_path(reason, "by"))
    if not by["account_id"]:
        raise RecordError("reason.by.did", "repost reason without the reposting account")
    return [
        {
            "platform": "bluesky",
            # Newer AppViews give the repost record's own URI; older ones do not, so a stable id is derived.
            "post_id": as_str(get_path(reason, "uri")) or f"repost:{by['account_id']}:{uri}",
            "created_at": as_str(get_path(reason, "indexedAt")),
            "repost_of_post_id": uri,
            "repost_of_account_id": as_str(get_path(view, "author", "did")) or did_of(uri),
            **{k: content[k] for k in ("text", "lang", "urls", "hashtags", "mentions", "media")},
            **by,
        }
    ]


def map_record(record: Any) -> list[dict[str, Any]]:
    """Staging rows for one JSON record of a Bluesky file."""
    if not isinstance(record, dict):
        raise RecordError(None, f"expected a JSON object, got {type(record).__name__}")
    if "time_us" in record and "kind" in record:
        return map_event(record)
    if "post" in record or str(record.get("uri", "")).startswith("at://"):
        return map_feed_item(record)
    raise RecordError(None, "not a Jetstream event, feed item or post view")


def _is_response(head: Head) -> bool:
    if head.json is None:
        return bool(_RESPONSE_TEXT.match(head.text))
    return isinstance(head.json, dict) and ("feed" in head.json or "posts" in head.json)


def _items(head: Head) -> Iterator[tuple[int, Any, str | None]]:
    """The feed items of API responses, numbered 1, 2, ... across the file.

    A response holds up to 100 posts, so a response file is numbered by item (its index in the ``feed`` array
    for a single response) rather than by physical line: every post and every reject points at its own item.
    """
    number = 0
    for line, record, error in iter_records(head):
        items = record.get("feed", record.get("posts")) if isinstance(record, dict) else None
        if error is not None or not isinstance(items, list):
            number += 1
            yield number, record, None if error is None else f"{error} on line {line}"
            continue
        for item in items:
            number += 1
            yield number, item, None


class BlueskyReader(Reader):
    """Bluesky posts and reposts from Jetstream dumps or AppView API responses.

    Reads (1) Jetstream JSON lines (``{"did", "time_us", "kind", "commit" | "identity" | "account"}``):
    post and repost creates become posts, profile creates/updates and identity events become account rows,
    every other event (likes, follows, deletes, account status, ...) is rejected as "not a post"; and
    (2) responses of ``app.bsky.feed.getAuthorFeed`` and the other feed endpoints (``{"feed": [...]}``) or of
    ``searchPosts``/``getPosts`` (``{"posts": [...]}``), one document or one response per line, or JSON
    lines of single feed items or post views. Post ids are AT URIs; account ids are DIDs; mentions are DIDs.

    Cannot read: the binary CBOR firehose (``com.atproto.sync.subscribeRepos``) and CAR repository exports,
    thread views (``getPostThread``), likes, follows and blocks (they are not posts), or the profiles of
    reposted and replied-to authors embedded in feed items (one row per feed item).
    """

    name = "bluesky"
    description = "Bluesky Jetstream JSON lines, or getAuthorFeed/searchPosts API responses"

    @classmethod
    def sniff(cls, head: Head) -> bool:
        value = head.json
        if value is None:
            text = head.text.lstrip()
            return bool(_RESPONSE_TEXT.match(text) and '"at://' in text) or bool(_JETSTREAM_TEXT.match(text))
        if {"did", "time_us", "kind"} <= json_keys(value):
            return True
        if isinstance(value, dict) and isinstance(value.get("feed", value.get("posts")), list):
            value = value.get("feed", value.get("posts"))
        # A response or array is recognised by its first item; an empty one carries no evidence.
        return _is_bluesky_item(value[0] if isinstance(value, list) and value else value)

    def stage(self, head: Head, con: duckdb.DuckDBPyConnection, options: Options) -> Staged:
        zone = options.timezone or "UTC"
        # AT Protocol datetimes must carry an offset; the zone only applies to records that break the rule.
        times = TimeFormat(("iso",), zone, has_zone=True)
        records = _items(head) if _is_response(head) else None
        return stage_json(con, head, map_record, records, created_at=times, account_created_at=times)


def _is_bluesky_item(value: Any) -> bool:
    view = get_path(value, "post") if isinstance(value, dict) and "post" in value else value
    uri = get_path(view, "uri")
    return isinstance(uri, str) and uri.startswith("at://") and isinstance(get_path(view, "record"), dict)
