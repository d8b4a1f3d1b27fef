"""Telegram Desktop chat exports: the ``result.json`` of "Export chat history" in JSON format."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from overt.errors import InputError
from overt.ingest.formats.base import Head, Options, Reader, Staged
from overt.ingest.jsonsource import RecordError, as_str, get_path, stage_json
from overt.ingest.normalise import TimeFormat
from overt.ingest.sniff import open_text

if TYPE_CHECKING:
    import duckdb

#: Chat type -> prefix of the chat's peer id as Telegram Desktop writes it in ``from_id`` ("channel123").
CHAT_TYPES: dict[str, str] = {
    "saved_messages": "user",
    "replies": "user",
    "personal_chat": "user",
    "bot_chat": "user",
    "private_group": "chat",
    "private_supergroup": "channel",
    "public_supergroup": "channel",
    "private_channel": "channel",
    "public_channel": "channel",
}
# Telegram Desktop writes the chat's name, type and id before its messages, so a head too large to parse
# as JSON still shows them near the start.
_CHAT_TYPE_NAMES = "|".join(CHAT_TYPES)
_TYPE_TEXT = re.compile(rf'"type"\s*:\s*"(?:{_CHAT_TYPE_NAMES})"')
_MESSAGES_TEXT = re.compile(r'"messages"\s*:\s*\[')
_HEAD_CHARS = 4096


def plain_text(text: Any) -> str | None:
    """A message's ``text``: a string, or a list of strings and entity objects ``{"type", "text", ...}``."""
    if isinstance(text, str) or text is None:
        return text
    if isinstance(text, list):
        return "".join(part if isinstance(part, str) else as_str(get_path(part, "text")) or "" for part in text)
    return as_str(text)


def entity_lists(entities: list[Any]) -> dict[str, list[str]]:
    """URLs, hashtags and mentions from a message's text entities."""
    found: dict[str, list[str]] = {"urls": [], "hashtags": [], "mentions": []}
    for entity in entities:
        kind, text = get_path(entity, "type"), as_str(get_path(entity, "text"))
        value, column = None, None
        if kind == "link":
            value, column = text, "urls"
        elif kind == "text_link":
            value, column = as_str(get_path(entity, "href")), "urls"
        elif kind == "hashtag":
            value, column = text, "hashtags"
        elif kind == "mention":
            value, column = text, "mentions"
        elif kind == "mention_name":
            # A mention of a user without a username: the text is their name, user_id their id.
            user = as_str(get_path(entity, "user_id"))
            value, column = (f"user{user}" if user else None), "mentions"
        if column is not None and value:
            found[column].append(value)
    return found


def _unixtime(value: Any) -> str | None:
    """``date_unixtime`` (seconds since 1970, written as a string) as ISO 8601 in UTC."""
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool):
        return None
    return datetime.fromtimestamp(value, UTC).isoformat()


def _media(message: dict[str, Any]) -> list[str]:
    # Files left out of the export are written as "(File not included. ...)": the same text for every
    # message, which would make unrelated messages look like they share media.
    return [
        path
        for path in (as_str(message.get("photo")), as_str(message.get("file")))
        if path and not path.startswith("(")
    ]


class _Chat:
    """One exported chat: maps its messages to staging rows."""

    def __init__(self, document: dict[str, Any], head: Head) -> None:
        chat_id = as_str(document.get("id"))
        if not chat_id:
            raise InputError(f'{head.path}: the Telegram export has no chat "id".')
        kind = as_str(document.get("type")) or ""
        self.peer = CHAT_TYPES.get(kind, "") + chat_id
        self.name = as_str(document.get("name"))
        self.messages: list[Any] = document["messages"]
        # Authors by message id, to name the account a reply in this chat answers.
        self.authors = {
            as_str(m.get("id")): as_str(m.get("from_id")) or self.peer
            for m in self.messages
            if isinstance(m, dict) and m.get("type") == "message"
        }

    def account_row(self) -> dict[str, Any]:
        return {"_entity": "account", "platform": "telegram", "account_id": self.peer, "display_name": self.name}

    def map_message(self, message: Any) -> list[dict[str, Any]]:
        if not isinstance(message, dict):
            raise RecordError(None, f"expected a message object, got {type(message).__name__}")
        kind = message.get("type")
        if kind != "message":
            action = f" ({message['action']})" if kind == "service" and message.get("action") else ""
            raise RecordError("type", f"not a post: {kind} message{action}")
        message_id = as_str(message.get("id"))
        if not message_id:
            raise RecordError("id", "message without id")
        author = as_str(message.get("from_id"))
        text = message.get("text")
        entities = message.get("text_entities")
        if not isinstance(entities, list) and isinstance(text, list):
            # Exports before text_entities existed carry the entities inside the text list only.
            entities = [part for part in text if isinstance(part, dict)]
        row: dict[str, Any] = {
            "platform": "telegram",
            "post_id": f"{self.peer}/{message_id}",
            "account_id": author or self.peer,
            "display_name": as_str(message.get("from")) if author else self.name,
            "created_at": _unixtime(message.get("date_unixtime")) or as_str(message.get("date")),
            "text": plain_text(text),
            "media": _media(message),
            **(entity_lists(entities) if isinstance(entities, list) else {}),
        }
        reply = as_str(message.get("reply_to_message_id"))
        if reply:
            # reply_to_peer_id is only written for a reply to a message in another chat.
            peer = as_str(message.get("reply_to_peer_id")) or self.peer
            row["reply_to_post_id"] = f"{peer}/{reply}"
            row["reply_to_account_id"] = self.authors.get(reply) if peer == self.peer else None
        if "forwarded_from" in message or "forwarded_from_id" in message:
            # The original message's id is not exported: a forward is a repost of an account (or, without
            # forwarded_from_id, of a name; null when the sender hides their account).
            row["kind"] = "repost"
            row["repost_of_account_id"] = as_str(message.get("forwarded_from_id")) or as_str(
                message.get("forwarded_from")
            )
        return [row]


def _load(head: Head) -> tuple[Any, int, str | None]:
    """The whole export as one JSON value, or the line and reason it does not parse."""
    with open_text(head.path) as f:
        try:
            return json.load(f), 0, None
        except json.JSONDecodeError as exc:
            return None, exc.lineno, f"invalid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"


class TelegramReader(Reader):
    """Telegram Desktop single-chat exports (``result.json``): channels, groups, supergroups, private chats.

    Every ``message`` becomes a post with id ``{chat peer}/{message id}`` (message ids are per chat), posted
    by ``from_id`` (``user123``, ``channel456``) or by the chat itself; forwards become reposts of the
    forwarded-from account; the chat becomes an account row (line 0). ``service`` messages (joins, pins,
    title changes) and ``unsupported`` ones are rejected as "not a post". Rows are numbered by the message's
    position in ``messages``.

    Cannot read: the full-account export (``{"about", "chats": {"list": [...]}}``; export one chat at a
    time), HTML exports, or JSON from API clients (Telethon, Pyrogram, tdl). The file is parsed whole, so it
    must fit in memory (roughly five times its size).
    """

    name = "telegram"
    description = "Telegram Desktop chat export (result.json)"

    @classmethod
    def sniff(cls, head: Head) -> bool:
        value = head.json
        if isinstance(value, dict):
            return isinstance(value.get("messages"), list) and value.get("type") in CHAT_TYPES
        if value is not None:
            return False
        # Larger than the head: the first line ("{") alone is not JSON, so look at the text.
        start = head.text.lstrip()[:_HEAD_CHARS]
        return start.startswith("{") and bool(_TYPE_TEXT.search(start) and _MESSAGES_TEXT.search(start))

    def stage(self, head: Head, con: duckdb.DuckDBPyConnection, options: Options) -> Staged:
        document, line, error = _load(head)
        if error is not None:
            # A document that does not parse has no messages to keep: it is one rejected row.
            return stage_json(con, head, lambda record: [], [(line, None, error)])
        if not isinstance(document, dict) or not isinstance(document.get("messages"), list):
            raise InputError(
                f'{head.path}: not a Telegram chat export: expected one JSON object with a "messages" array. '
                'A full-account export (with "chats") is not read: export each chat on its own.'
            )
        chat = _Chat(document, head)
        header = {k: v for k, v in document.items() if k != "messages"}

        def records() -> Iterator[tuple[int, Any, str | None]]:
            yield 0, header, None
            yield from ((i, message, None) for i, message in enumerate(chat.messages, start=1))

        def mapper(record: Any) -> list[dict[str, Any]]:
            return [chat.account_row()] if record is header else chat.map_message(record)

        # date_unixtime is UTC; older exports only have "date", local time of the machine that exported.
        zoned = all("date_unixtime" in m for m in chat.messages if isinstance(m, dict))
        times = TimeFormat(("iso",), options.timezone or "UTC", has_zone=zoned)
        return stage_json(con, head, mapper, records(), created_at=times)
