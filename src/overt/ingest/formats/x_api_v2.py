"""Twitter/X API v2 JSON: whole responses (``data`` + ``includes``) or flattened tweets (twarc2)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from overt.ingest.formats.base import Head, Options, Reader, Staged, client_name, dumps
from overt.ingest.jsonsource import RecordError, as_str, get_path, stage_json
from overt.ingest.normalise import TimeFormat

if TYPE_CHECKING:
    import duckdb

PLATFORM = "twitter"
#: Keys a v2 response envelope may have: filtered-stream lines add ``matching_rules``, twarc adds ``__twarc``.
_RESPONSE_KEYS = frozenset({"data", "includes", "meta", "errors", "matching_rules", "__twarc"})
#: v1.1 status keys; a v2 tweet never has them, which keeps this reader apart from ``twitter-v1``.
_V1_KEYS = frozenset({"user", "id_str"})
_PROBLEM = "https://api.twitter.com/2/problems/"
_REFERENCE = {
    "retweeted": "repost_of_post_id",
    "quoted": "quote_of_post_id",
    "replied_to": "reply_to_post_id",
}
_REQUIRED = ("id", "author_id", "created_at")
_TIMES = TimeFormat(("iso",), has_zone=True)


def _is_tweet(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and "id" in value
        and ("author_id" in value or "text" in value)
        and not _V1_KEYS & value.keys()
    )


def _strings(items: Any, *keys: str) -> list[str]:
    """The first non-empty of *keys* of each object in *items* (or the items themselves when no keys)."""
    out: list[str] = []
    for item in items if isinstance(items, list) else ():
        value = next((item.get(k) for k in keys if item.get(k)), None) if isinstance(item, dict) else item
        text = None if isinstance(value, dict | list) else as_str(value)
        if text:
            out.append(text)
    return out


def _text(tweet: dict[str, Any]) -> str | None:
    # Tweets longer than 280 characters carry a truncated `text` and the whole text in `note_tweet`.
    return as_str(get_path(tweet, "note_tweet", "text") or tweet.get("text"))


def _lists(tweet: dict[str, Any]) -> dict[str, list[str]]:
    """List columns the tweet states; a column is absent when the tweet has no such field at all."""
    entities = get_path(tweet, "note_tweet", "entities") or tweet.get("entities")
    out: dict[str, list[str]] = {}
    if isinstance(entities, dict):
        # The API omits an entity kind when the tweet has none, so a missing key inside `entities` means none.
        out["urls"] = _strings(entities.get("urls"), "expanded_url", "url")
        out["hashtags"] = _strings(entities.get("hashtags"), "tag")
        out["mentions"] = _strings(entities.get("mentions"), "username")
    attachments = tweet.get("attachments")
    if isinstance(attachments, dict):
        out["media"] = _strings(attachments.get("media_keys"))
    return out


def _profile(user: Any) -> dict[str, Any]:
    """Account staging columns of a v2 user object."""
    if not isinstance(user, dict):
        return {}
    return {
        "handle": as_str(user.get("username")),
        "display_name": as_str(user.get("name")),
        "description": as_str(user.get("description")),
        "account_created_at": as_str(user.get("created_at")),
        "reported_location": as_str(user.get("location")),
        "followers": as_str(get_path(user, "public_metrics", "followers_count")),
        "following": as_str(get_path(user, "public_metrics", "following_count")),
        "verified": as_str(user.get("verified")),
        "profile_image": as_str(user.get("profile_image_url")),
    }


def _account_row(user: dict[str, Any]) -> dict[str, Any]:
    return {
        "_entity": "account",
        "platform": PLATFORM,
        "account_id": as_str(user.get("id")),
        **_profile(user),
    }


def _post(tweet: dict[str, Any], author: Any, included: dict[str | None, dict[str, Any]]) -> dict[str, Any]:
    """The post row of one tweet; *included* maps ids to the response's ``includes.tweets``."""
    row: dict[str, Any] = {
        "platform": PLATFORM,
        "post_id": as_str(tweet.get("id")),
        "account_id": as_str(tweet.get("author_id")),
        "created_at": as_str(tweet.get("created_at")),
        "lang": as_str(tweet.get("lang")),
        # Plain text ("Twitter Web App"); Twitter dropped it from API payloads on 2022-12-20 (developer changelog).
        "client": client_name(tweet.get("source")),
        "reply_to_account_id": as_str(tweet.get("in_reply_to_user_id")),
        **_profile(author),
    }
    text, lists = _text(tweet), _lists(tweet)
    references = tweet.get("referenced_tweets")
    for ref in references if isinstance(references, list) else ():
        column = _REFERENCE.get(get_path(ref, "type"))
        if column is None or column in row:
            continue
        ref_id = as_str(get_path(ref, "id"))
        row[column] = ref_id
        # twarc2 flatten inlines the referenced tweet into the reference itself.
        original = included.get(ref_id) or (ref if "text" in ref else None)
        if column == "repost_of_post_id" and original is not None:
            row["repost_of_account_id"] = as_str(original.get("author_id"))
            # A retweet's own text is "RT @x: " plus the original, cut short; the original is what spread.
            # Its entities are added to the retweet's, which name @x and whatever the cut text kept.
            text = _text(original) or text
            theirs = _lists(original)
            lists = {k: [*lists.get(k, []), *theirs.get(k, [])] for k in lists.keys() | theirs.keys()}
    row["text"] = text
    row.update(lists)
    if not all(tweet.get(k) for k in _REQUIRED):
        row["_raw"] = dumps(tweet)[:10_000]  # the pipeline rejects it; keep the tweet for the rejects table
    return row


def _error_text(errors: Any) -> str:
    first = errors[0] if isinstance(errors, list) and errors else errors
    detail = next((get_path(first, k) for k in ("detail", "title", "message") if get_path(first, k)), None)
    more = f" (and {len(errors) - 1} more)" if isinstance(errors, list) and len(errors) > 1 else ""
    return f"{detail or 'unspecified error'}{more}"


def _response(response: dict[str, Any]) -> Iterator[dict[str, Any]]:
    data = response.get("data")
    tweets = [data] if isinstance(data, dict) else data if isinstance(data, list) else []
    if not tweets and response.get("errors"):
        raise RecordError("errors", f"API error response without data: {_error_text(response['errors'])}")
    includes = response.get("includes")
    includes = includes if isinstance(includes, dict) else {}
    users = {as_str(u.get("id")): u for u in includes.get("users") or () if isinstance(u, dict)}
    included = {as_str(t.get("id")): t for t in includes.get("tweets") or () if isinstance(t, dict)}
    if not tweets and not users:
        raise RecordError("data", "response holds no tweets and no users")
    authors: set[str | None] = set()
    for tweet in tweets:
        if not isinstance(tweet, dict):
            yield {
                "_error_field": "data",
                "_error_reason": "data item is not a tweet object",
                "_raw": dumps(tweet),
            }
            continue
        author_id = as_str(tweet.get("author_id"))
        authors.add(author_id)
        yield _post(tweet, users.get(author_id), included)
    # includes.users also holds authors of referenced tweets and mentioned users: real accounts whose
    # profiles belong in the accounts table even though they wrote none of the collected tweets.
    for user_id, user in users.items():
        if user_id not in authors:
            yield _account_row(user)


def _flattened(tweet: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """One tweet with expansions inlined: ``author``, ``in_reply_to_user``, ``referenced_tweets[].author``."""
    yield _post(tweet, tweet.get("author"), {})
    references = tweet.get("referenced_tweets")
    refs = references if isinstance(references, list) else []
    others = [tweet.get("in_reply_to_user"), *(get_path(r, "author") for r in refs)]
    seen = {as_str(tweet.get("author_id"))}
    for user in others:
        if isinstance(user, dict) and as_str(user.get("id")) not in seen:
            seen.add(as_str(user.get("id")))
            yield _account_row(user)


def _map(record: Any) -> Iterator[dict[str, Any]]:
    if not isinstance(record, dict):
        raise RecordError(None, f"expected a JSON object (X API v2 tweet or response), got {type(record).__name__}")
    if record.keys() & {"data", "includes", "errors", "meta"}:
        return _response(record)
    if record.keys() & {"id", "author_id", "text"}:
        return _flattened(record)
    raise RecordError(None, "neither an X API v2 response (data, includes) nor a tweet (id, author_id, text)")


class XApiV2Reader(Reader):
    """Twitter/X API v2 tweets as JSON.

    Reads JSON lines where each line is a whole API response (``data`` as a list or a single tweet, with
    ``includes.users`` and ``includes.tweets``), JSON lines of single tweets with their expansions inlined
    (twarc2 ``flatten``), a JSON array of either, or one JSON document of either. Every tweet in ``data``
    becomes a post; users in ``includes.users`` who wrote none of them become account rows.

    Filtered-stream lines are read like responses (their ``matching_rules`` is not kept). A retweet gets the
    whole text of the retweeted tweet when ``includes.tweets`` (or the flattened reference) holds it.

    Cannot read: v1.1 statuses (use ``twitter-v1``), compliance job files, and ``includes.tweets`` as posts
    of their own: the collection did not match them, so they only supply the text and author of what the
    collected tweets retweet. Polls, places, media objects and metrics are not read; media keys are kept
    as ids.
    """

    name = "x-api-v2"
    description = "Twitter/X API v2 JSON (responses with data/includes, or flattened tweets, as JSON lines)"

    @classmethod
    def sniff(cls, head: Head) -> bool:
        value = head.json[0] if isinstance(head.json, list) and head.json else head.json
        if not isinstance(value, dict) or _V1_KEYS & value.keys():
            return False
        if "id" in value:
            return "author_id" in value
        if not value or not value.keys() <= _RESPONSE_KEYS:
            return False
        data = value.get("data")
        first = data[0] if isinstance(data, list) and data else data
        if first is not None:
            return _is_tweet(first)
        errors = value.get("errors")
        return (
            isinstance(errors, list)
            and bool(errors)
            and all(str(get_path(e, "type") or "").startswith(_PROBLEM) for e in errors)
        )

    def stage(self, head: Head, con: duckdb.DuckDBPyConnection, options: Options) -> Staged:
        return stage_json(con, head, _map, created_at=_TIMES, account_created_at=_TIMES)
