"""Mastodon and API-compatible fediverse servers: REST API Status entities."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from overt.ingest.formats.base import Head, Options, Reader, Staged
from overt.ingest.html_text import html_to_text
from overt.ingest.jsonsource import RecordError, as_str, get_path, iter_records, stage_json
from overt.ingest.normalise import TimeFormat

if TYPE_CHECKING:
    import duckdb

STATUS_KEYS = frozenset({"id", "uri", "account", "content", "created_at"})
# For a head too large to parse: keys only a Status entity has together.
_VISIBILITY_TEXT = re.compile(r'"visibility"\s*:\s*"(?:public|unlisted|private|direct)"')
_URI_TEXT = re.compile(r'"uri"\s*:\s*"https?://')
_ACCT_TEXT = re.compile(r'"acct"\s*:\s*"')


def qualified_acct(account: Any) -> str | None:
    """``user@domain`` of an Account or Mention, lower-cased; the domain of a local account is its URL's host.

    ``acct`` has no domain for accounts local to the instance the data came from, so the same person would
    otherwise get different ids in collections from different instances. Usernames are case-insensitive on
    Mastodon, and mentions are case-folded by the pipeline, so ids are lower-cased to match them.
    """
    acct = as_str(get_path(account, "acct"))
    if not acct:
        return None
    if "@" not in acct:
        host = urlsplit(as_str(get_path(account, "url")) or "").hostname
        if host:
            acct = f"{acct}@{host}"
    return acct.lower()


@dataclass
class _Index:
    """Instance-local ids seen anywhere in the file, mapped to instance-independent ids."""

    statuses: dict[str, str] = field(default_factory=dict)
    accounts: dict[str, str] = field(default_factory=dict)

    def add(self, status: dict[str, Any]) -> None:
        for item in (status, status.get("reblog"), get_path(status, "quote", "quoted_status")):
            if not isinstance(item, dict):
                continue
            local, uri = as_str(item.get("id")), as_str(item.get("uri"))
            if local and uri:
                self.statuses[local] = uri
            for person in [item.get("account"), *_list(item.get("mentions"))]:
                local, acct = as_str(get_path(person, "id")), qualified_acct(person)
                if local and acct:
                    self.accounts[local] = acct


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _account_ref(local: Any, status: dict[str, Any], index: _Index) -> str | None:
    """The account id for an instance-local account id referenced by *status* (kept as given if unknown)."""
    ref = as_str(local)
    if ref is None:
        return None
    for person in [status.get("account"), *_list(status.get("mentions"))]:
        if as_str(get_path(person, "id")) == ref:
            return qualified_acct(person)
    return index.accounts.get(ref, ref)


def _quote(quote: Any, index: _Index) -> str | None:
    # Mastodon 4.4+: a Quote carries the quoted status, a ShallowQuote only its local id.
    uri = as_str(get_path(quote, "quoted_status", "uri"))
    if uri:
        return uri
    local = as_str(get_path(quote, "quoted_status_id"))
    return index.statuses.get(local, local) if local else None


def _body(status: dict[str, Any]) -> dict[str, Any]:
    """Text, language and entity lists of a status (the reblogged status for a reblog)."""
    body = html_to_text(as_str(status.get("content")) or "")
    urls = [*body.links, *[u for u in [as_str(get_path(status, "card", "url"))] if u]]
    tags, mentions, media = status.get("tags"), status.get("mentions"), status.get("media_attachments")
    return {
        "text": body.text,
        "lang": as_str(status.get("language")),
        "urls": urls,
        "hashtags": [as_str(get_path(t, "name")) for t in tags] if isinstance(tags, list) else None,
        "mentions": [qualified_acct(m) for m in mentions] if isinstance(mentions, list) else None,
        "media": [_attachment(a) for a in media] if isinstance(media, list) else None,
    }


def _attachment(attachment: Any) -> str | None:
    # The origin's address of the file: the same attachment seen from any instance gets the same value.
    return as_str(get_path(attachment, "remote_url") or get_path(attachment, "url") or get_path(attachment, "id"))


def _account(account: Any) -> dict[str, Any]:
    note = as_str(get_path(account, "note"))
    return {
        "account_id": qualified_acct(account),
        "handle": as_str(get_path(account, "username")),
        "display_name": as_str(get_path(account, "display_name")),
        "description": html_to_text(note).text if note else None,
        "account_created_at": as_str(get_path(account, "created_at")),
        "followers": as_str(get_path(account, "followers_count")),
        "following": as_str(get_path(account, "following_count")),
        "profile_image": as_str(get_path(account, "avatar")),
    }


def map_status(status: Any, index: _Index) -> list[dict[str, Any]]:
    """The staging row of one Status entity."""
    if not isinstance(status, dict):
        raise RecordError(None, f"expected a Status object, got {type(status).__name__}")
    post_id = as_str(status.get("uri")) or as_str(status.get("url"))
    if not post_id:
        raise RecordError("uri", "status without uri or url")
    row: dict[str, Any] = {
        "platform": "mastodon",
        "post_id": post_id,
        "created_at": as_str(status.get("created_at")),
        # The status's own application: a reblog's (usually absent) is the reblogger's, never the original's.
        "client": as_str(get_path(status, "application", "name")),
        **_account(status.get("account")),
    }
    reblog = status.get("reblog")
    if isinstance(reblog, dict):
        # A reblog's own content is empty: the text and entities are those of the reblogged status.
        row |= _body(reblog)
        row["kind"] = "repost"
        row["repost_of_post_id"] = as_str(reblog.get("uri")) or as_str(reblog.get("url"))
        row["repost_of_account_id"] = qualified_acct(reblog.get("account"))
        return [row]
    row |= _body(status)
    in_reply_to = as_str(status.get("in_reply_to_id"))
    row["reply_to_post_id"] = index.statuses.get(in_reply_to, in_reply_to) if in_reply_to else None
    row["reply_to_account_id"] = _account_ref(status.get("in_reply_to_account_id"), status, index)
    row["quote_of_post_id"] = _quote(status.get("quote"), index)
    return [row]


class MastodonReader(Reader):
    """Mastodon REST API Status entities (statuses, timelines, search results), as saved from the API.

    Reads a JSON array of statuses, JSON lines of statuses, or JSON lines of arrays (one API page per line).
    Post ids are the status ``uri`` (its ActivityPub id: the same from every instance); account ids are
    ``user@domain``. Reblogs become reposts carrying the reblogged text; replies and quotes to statuses found
    anywhere in the same file are resolved to their ``uri`` (a file is read twice for that).

    Cannot read: ActivityPub JSON-LD (outbox exports, ``Note`` objects), the account archive export, or
    Streaming API event frames. A reply to a status that is not in the file keeps the instance-local
    ``in_reply_to_id``, which only means something on the instance the data was collected from.
    """

    name = "mastodon"
    description = "Mastodon REST API statuses (JSON array or JSON lines)"

    @classmethod
    def sniff(cls, head: Head) -> bool:
        value = head.json
        if value is None:
            text = head.text.lstrip()
            return text.startswith(("[", "{")) and all(
                p.search(text) for p in (_VISIBILITY_TEXT, _URI_TEXT, _ACCT_TEXT)
            )
        # The first status of an array, or of the first page of a JSON-lines file of pages.
        while isinstance(value, list) and value:
            value = value[0]
        return isinstance(value, dict) and value.keys() >= STATUS_KEYS and isinstance(value.get("account"), dict)

    def stage(self, head: Head, con: duckdb.DuckDBPyConnection, options: Options) -> Staged:
        index = _Index()
        for _line, record, error in iter_records(head):
            if error is None and isinstance(record, dict):
                index.add(record)
        times = TimeFormat(("iso",), options.timezone or "UTC", has_zone=True)
        return stage_json(
            con,
            head,
            lambda status: map_status(status, index),
            iter_records(head),
            created_at=times,
            account_created_at=times,
        )
