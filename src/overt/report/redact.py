"""Redaction for reports that leave the team: stable pseudonyms for the accounts the report does not accuse.

A report on a cluster names every member, but a cluster also catches ordinary accounts at its edge (one
significant tie, a low score). A redacted report replaces, for every account scoring below a threshold (or
not scored at all), its account id and handle with a pseudonym ``account-<8 hex>``, its post ids with
``post-<8 hex>`` and its post texts with :data:`REDACTED_TEXT`, wherever they appear: members, network
edges, evidence, the accounts section, the items shared, the free-text evidence and explanations, and the
CSV exports made from them.

The pseudonym is ``HMAC-SHA256(key, account_id)`` cut to 8 hex digits: the same account gets the same
pseudonym in every report made with the same key (so two reports on one scan can be compared) and a
different one under another key, and without the key it cannot be computed from an account id. The default
key (:func:`derive_key`) comes from the SHA-256 of the scan's input files: stable for a scan, known to
whoever holds those files, and not guessable from an account id alone. Give your own key (``--redact-key``)
when a report is published and the inputs are not secret.

What it cannot do: hide an account that the *unredacted* parts identify (a flagged account's own post may
quote a redacted one in words the report cannot recognise as a name: only handles and account ids are
matched, as whole words), or hide what a flagged account and a redacted one posted alike (an identical text
shared by both is the flagged account's text too, and stays in its posts).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable, Collection, Iterable, Sequence
from typing import Any

#: What a redacted post text, or an item made of one, reads as.
REDACTED_TEXT = "[redacted]"

#: Shortest handle or account id replaced inside free text: shorter ones are too often ordinary words or
#: numbers (they are still replaced where they stand alone as an id).
MIN_TOKEN = 3

#: Hex digits of a pseudonym (4 bytes); a collision inside one report gets more digits (see Redactor).
DIGITS = 8

# A word that may be a handle or an id: letters, digits and _, with inner . @ : / - (bluesky and mastodon
# handles, did:plc ids, URLs, whose parts are tried one by one).
_TOKEN = re.compile(r"\w(?:[\w.@:/-]*\w)?")
_PARTS = re.compile(r"\w+")
#: What a pseudonym looks like (``account-`` or ``post-`` and hex digits).
PSEUDONYM = re.compile(r"(?:account|post)-[0-9a-f]{8,}")
# Quoted passages in evidence sentences (profile texts, post excerpts, locations): greedy within one
# sentence, so that an apostrophe inside the quote cannot end it early.
_QUOTES = (re.compile(r"'.*'", re.S), re.compile(r'".*"', re.S), re.compile(r"“.*”", re.S))


def derive_key(input_hashes: Iterable[str], fallback: str = "") -> bytes:
    """The default key: a hash of the scan's input file hashes (sorted), or of *fallback* without inputs."""
    material = "\n".join(sorted(h for h in input_hashes if h)) or fallback
    return hashlib.sha256(b"overt-report-redact/1\n" + material.encode("utf-8")).digest()


def as_key(key: str | bytes) -> bytes:
    return key if isinstance(key, bytes) else key.encode("utf-8")


def _digest(key: bytes, kind: str, value: str) -> str:
    return hmac.new(key, f"{kind}\0{value}".encode(), hashlib.sha256).hexdigest()


def pseudonym(account_id: str, key: bytes, digits: int = DIGITS) -> str:
    """``account-<hex>``: HMAC-SHA256 of the account id under *key*, cut to *digits* hex digits."""
    return "account-" + _digest(key, "account", account_id)[:digits]


def post_pseudonym(post_id: str, key: bytes, digits: int = DIGITS) -> str:
    """``post-<hex>``: the same for a post id (a post id leads to its author on the platform)."""
    return "post-" + _digest(key, "post", post_id)[:digits]


class Redactor:
    """The accounts to redact under one key, and the replacements for their ids, handles, posts and texts.

    Accounts are added with :meth:`add` (id and handle); :meth:`account`, :meth:`post` and :meth:`text`
    replace structured values, :meth:`scrub` replaces handles and ids standing as words in free text, and
    :meth:`unquote` removes quoted passages from an evidence sentence about a redacted account.
    """

    def __init__(self, key: str | bytes) -> None:
        self.key = as_key(key)
        self._names: dict[str, str] = {}  # account id -> pseudonym
        self._taken: dict[str, str] = {}  # pseudonym -> account id (to detect collisions)
        self._words: dict[str, str] = {}  # lower-cased id or handle -> pseudonym

    def __contains__(self, account_id: object) -> bool:
        return account_id in self._names

    def __len__(self) -> int:
        return len(self._names)

    def add(self, account_id: str, handle: str | None = None) -> str:
        """Redact *account_id* (and its *handle*); returns its pseudonym."""
        name = self._names.get(account_id)
        if name is None:
            digits = DIGITS
            name = pseudonym(account_id, self.key, digits)
            # Two accounts of one report must not share a name: the later one (in call order, which the
            # caller keeps sorted) gets more digits.
            while self._taken.get(name, account_id) != account_id:
                digits += 4
                name = pseudonym(account_id, self.key, digits)
            self._names[account_id] = name
            self._taken[name] = account_id
        for word in (account_id, handle):
            if word and len(word) >= MIN_TOKEN:
                self._words[word.lower().lstrip("@")] = name
        return name

    def add_all(self, accounts: Iterable[tuple[str, str | None]]) -> None:
        for account_id, handle in sorted(accounts, key=lambda a: (a[0], a[1] or "")):
            self.add(account_id, handle)

    def account(self, account_id: str) -> str:
        """The pseudonym of a redacted account, else the id itself."""
        return self._names.get(account_id, account_id)

    def post(self, post_id: str | None, author: str | None) -> str | None:
        """The pseudonym of a post by a redacted *author*, else the post id."""
        if post_id is None or author not in self._names:
            return post_id
        return post_pseudonym(post_id, self.key)

    def scrub(self, text: str) -> str:
        """*text* with every redacted handle or account id standing as a word replaced by its pseudonym."""
        if not self._words or not text:
            return text
        return _TOKEN.sub(self._replace, text)

    def _replace(self, match: re.Match[str]) -> str:
        token = match.group(0)
        hit = self._words.get(token.lower())
        if hit is not None:
            return hit
        if PSEUDONYM.fullmatch(token) or token.isalnum():
            return token
        return _PARTS.sub(lambda m: self._words.get(m.group(0).lower(), m.group(0)), token)

    @staticmethod
    def unquote(text: str, marks: str = "'\"“") -> str:
        """*text* with its quoted passages (profile texts, post excerpts, places) replaced; *marks* are the
        opening quotation marks to look for (``“`` alone for sentences with apostrophes of their own)."""
        for pattern in _QUOTES:
            if pattern.pattern[0] in marks:
                text = pattern.sub(f"{pattern.pattern[0]}{REDACTED_TEXT}{pattern.pattern[-1]}", text)
        return text

    def explanation(self, explanation: str, evidence: Sequence[str]) -> str:
        """A redacted account's score explanation: each contribution's evidence unquoted in place, then any
        quote left (a contribution the explanation shows but the list does not) unquoted over the whole line."""
        for sentence in sorted(set(evidence), key=len, reverse=True):
            if sentence:
                explanation = explanation.replace(sentence, self.unquote(sentence))
        return self.unquote(explanation) if _has_quote(explanation) else explanation


def _has_quote(text: str) -> bool:
    """Whether *text* still holds a quoted passage other than a redacted one."""
    for pattern in _QUOTES:
        text = text.replace(f"{pattern.pattern[0]}{REDACTED_TEXT}{pattern.pattern[-1]}", "")
    return any(pattern.search(text) for pattern in _QUOTES)


def scrub_strings(value: Any, scrub: Callable[[str], str], skip: Collection[str]) -> Any:
    """*value* (JSON-like) with *scrub* applied to every string, keys included, except under keys in *skip*."""
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, list):
        return [scrub_strings(v, scrub, skip) for v in value]
    if isinstance(value, dict):
        return {scrub(k): (v if k in skip else scrub_strings(v, scrub, skip)) for k, v in value.items()}
    return value
