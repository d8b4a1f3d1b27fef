"""Find personal data in the free text of a statement of reasons before it leaves for the Commission's database.

Article 24(5) DSA: what platforms submit to the Transparency Database must not contain personal data, and the
database's documentation asks platforms to be "particularly careful with free text fields". A reviewer who writes
facts such as "the account @anna_k posted the same text as ..." would publish a handle in a public EU database. This
module is the last check before export, for the DSA export and for whoever else needs it.

What it finds (:class:`Finding` ``kind``):

- ``email``: e-mail addresses;
- ``profile_url``: links to a person's profile or channel on a social platform (``x.com/name``, ``t.me/name``,
  ``facebook.com/profile.php?id=...``, ``instagram.com/name``, ``youtube.com/@name``, ``reddit.com/u/name``), and any
  link whose path names someone with ``/@name``, ``/u/``, ``/user/``, ``/users/``, ``/profile/`` or ``/people/``;
- ``handle``: ``@name`` mentions (a letter or digit after ``@`` and at least one letter, not inside an address);
- ``phone``: international numbers (``+49 30 1234567``, ``+1 (555) 123-4567``, ``0049 30 1234567``) and common
  national shapes: a trunk ``0`` then 8 to 12 further digits (``030 1234 5678``, ``06 12 34 56 78``,
  ``0612345678``), and North American ``(555) 123-4567`` / ``555-123-4567`` / ``555.123.4567``.

What it deliberately leaves alone, because statements are full of them: dates (``2025-07-01``, ``01.07.2025``,
``1/7/2025``), years, times, counts (``1,234 accounts``, ``12 345 followers``), identifiers that start with a
letter (``T0049``, ``CIB-2025-07``), hashes, and links to documents rather than people (a policy page).

A finding never carries the matched text itself, only a masked form (first and last character), so that a refusal
message can be logged without repeating the personal data it refuses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Kind = Literal["email", "profile_url", "handle", "phone"]


@dataclass(frozen=True)
class Finding:
    """One piece of personal data: its kind, where it is (character offsets) and a masked form for messages."""

    kind: Kind
    start: int
    end: int
    masked: str

    def describe(self) -> str:
        return f"{_NOUN[self.kind]} '{self.masked}'"


_NOUN = {"email": "e-mail address", "profile_url": "link to a profile", "handle": "handle", "phone": "phone number"}


def mask(text: str) -> str:
    """``text`` with all but its first and last character hidden (short texts are hidden completely)."""
    if len(text) <= 4:
        return "*" * len(text)
    return f"{text[0]}***{text[-1]}"


_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(?![\w-])")

# Hosts whose first path segment (or query id) is a person or a channel.
_PROFILE_HOSTS = (
    r"(?:www\.|m\.|mobile\.)?(?:twitter\.com|x\.com|facebook\.com|fb\.com|instagram\.com|tiktok\.com|threads\.net|"
    r"t\.me|telegram\.me|vk\.com|ok\.ru|linkedin\.com/in|youtube\.com|youtube\.com/c|youtube\.com/channel|"
    r"youtube\.com/user|reddit\.com/u|reddit\.com/user|bsky\.app/profile|github\.com|medium\.com|weibo\.com|"
    r"truthsocial\.com|gab\.com|rumble\.com/c|twitch\.tv|snapchat\.com/add|pinterest\.com)"
)
# Path segments of those hosts that are pages of the service, not people.
_SERVICE_PAGES = frozenset(
    {
        "about",
        "help",
        "legal",
        "policies",
        "policy",
        "privacy",
        "terms",
        "tos",
        "rules",
        "en",
        "intl",
        "safety",
        "transparency",
        "hashtag",
        "search",
        "explore",
        "watch",
        "s",
        "share",
        "settings",
        "communityguidelines",
        "community-guidelines",
    }
)
_PROFILE_URL = re.compile(
    rf"(?<![\w.])(?:https?://)?{_PROFILE_HOSTS}/(?P<first>[^\s/?#)\]>,;\"']+)[^\s)\]>,;\"']*", re.IGNORECASE
)
_PROFILE_QUERY = re.compile(r"(?<![\w.])(?:https?://)?\S*?profile\.php\?id=\d+\S*", re.IGNORECASE)
_PERSON_PATH = re.compile(
    r"(?<![\w.])(?:https?://)?[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+(?::\d+)?"
    r"/(?:[^\s]*?/)?(?:@[\w.-]+|(?:u|user|users|profile|people)/[\w.-]+)[^\s)\]>,;\"']*",
    re.IGNORECASE,
)

_HANDLE = re.compile(r"(?<![\w@./:+-])@(?=[A-Za-z0-9_.]*[A-Za-z])[A-Za-z0-9_](?:[A-Za-z0-9_.]{0,48}[A-Za-z0-9_])?")

# Digit groups separated by one space, dot or hyphen (national numbers also a slash), optionally "(area)".
_SEP = r"[ .\-]?"
_PHONE_INTL = re.compile(
    rf"(?<![\w+])(?:\+|00)[1-9]\d{{0,2}}{_SEP}(?:\(0?\d{{1,4}}\){_SEP})?\d{{1,5}}(?:{_SEP}\d{{1,5}}){{1,5}}(?![\w])"
)
_PHONE_NATIONAL = re.compile(r"(?<![\w+.\-/])0\d{1,4}(?:[ .\-/]?\d{1,5}){0,5}(?![\w]|[.\-/]\d)")
_PHONE_NANP = re.compile(r"(?<![\w+.\-/])(?:\(\d{3}\)\s?|\d{3}[.\-])\d{3}[.\-]\d{4}(?![\w]|[.\-/]\d)")
_DATE_SHAPE = re.compile(r"\d{1,4}([./-])\d{1,2}\1\d{1,4}")
# A day-month-year date with a four-digit year, which a number may follow ("01.07.2025 14 accounts").
_DATE_PREFIX = re.compile(r"\d{1,2}([./-])\d{1,2}\1\d{4}(?!\d)")


def _digits(text: str) -> int:
    return sum(ch.isdigit() for ch in text)


def _is_phone(candidate: str, *, international: bool) -> bool:
    if _DATE_SHAPE.fullmatch(candidate) or _DATE_PREFIX.match(candidate):
        return False
    digits = _digits(candidate)
    if international:
        # E.164 allows 15 digits after the country code's prefix; 00 adds two.
        return 8 <= digits <= (17 if candidate.startswith("00") else 15)
    return 9 <= digits <= 13


def find_personal_data(text: str) -> list[Finding]:
    """Every e-mail address, profile link, handle and phone number in ``text``, in the order they appear.

    Overlapping matches are reported once, as the earliest and then longest one (an e-mail address is not also
    reported as a handle, a profile link not also as a handle).
    """
    candidates: list[tuple[int, int, Kind]] = []
    for pattern in (_EMAIL,):
        candidates += [(m.start(), m.end(), "email") for m in pattern.finditer(text)]
    for m in _PROFILE_URL.finditer(text):
        if m.group("first").lower() not in _SERVICE_PAGES:
            candidates.append((m.start(), m.end(), "profile_url"))
    for pattern in (_PROFILE_QUERY, _PERSON_PATH):
        candidates += [(m.start(), m.end(), "profile_url") for m in pattern.finditer(text)]
    candidates += [(m.start(), m.end(), "handle") for m in _HANDLE.finditer(text)]
    for m in _PHONE_INTL.finditer(text):
        if _is_phone(m.group(), international=True):
            candidates.append((m.start(), m.end(), "phone"))
    for pattern in (_PHONE_NATIONAL, _PHONE_NANP):
        for m in pattern.finditer(text):
            if pattern is _PHONE_NANP or _is_phone(m.group(), international=False):
                candidates.append((m.start(), m.end(), "phone"))

    # A sentence's full stop or comma after a link is not part of it.
    candidates = [(s, e - len(text[s:e]) + len(text[s:e].rstrip(".,;:!?")), k) for s, e, k in candidates]
    findings: list[Finding] = []
    taken_until = -1
    # Earliest first; at one position the longest wins (an address before the handle inside it).
    for start, end, kind in sorted(candidates, key=lambda c: (c[0], -(c[1] - c[0]))):
        if start < taken_until:
            continue
        findings.append(Finding(kind=kind, start=start, end=end, masked=mask(text[start:end])))
        taken_until = end
    return findings
