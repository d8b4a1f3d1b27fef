"""The reader contract: how a format hands its rows to the ingest pipeline.

A reader does two things:

1. :meth:`Reader.sniff` says, from the first bytes of a file (:class:`Head`), whether the file is in its format.
   Sniffing is explicit (header names, JSON keys), never "try to parse and see".
2. :meth:`Reader.stage` returns a :class:`Staged`: a DuckDB relation with *staging columns* (below), raw
   values as text, one row per input record. The pipeline normalises every format the same way from there
   (times, URLs, domains, hashtags, kinds, rejects), so readers contain no normalisation of their own.

Staging columns (all optional except ``_line``; a missing column is NULL):

=====================  ==========  ======================================================================
column                 type        meaning
=====================  ==========  ======================================================================
``_line``              BIGINT      line of the record in the file (see ``posts.source``), or with
                                   ``Staged.line_is_ordinal`` the ordinal of the good record, which the
                                   pipeline turns into a line using the structural rejects
``_entity``            VARCHAR     ``post`` (default) or ``account`` for rows that only describe an account
``_error_field``       VARCHAR     set with ``_error_reason`` when the reader already knows the row is bad
``_error_reason``      VARCHAR     (invalid JSON, an unknown record type, ...)
``_raw``               VARCHAR     the record as text, kept in rejects when the row is rejected
post columns           VARCHAR     ``platform, post_id, account_id, created_at, text, lang, client,
                                   kind, repost_of_post_id, repost_of_account_id, reply_to_post_id,
                                   reply_to_account_id, quote_of_post_id``; ``client`` is the app's name
                                   as plain text (the anchor text of an HTML link)
list columns           VARCHAR[]   ``urls, hashtags, mentions, media``: NULL means "the source has no such
                                   field" (the pipeline then extracts from ``text``); an empty list means
                                   "the source says there are none"
account columns        VARCHAR     ``handle, display_name, description, account_created_at,
                                   reported_location, declared_lang, followers, following, verified,
                                   profile_image``
label columns          VARCHAR     ``label, campaign``: ground truth carried by the row
=====================  ==========  ======================================================================
"""

from __future__ import annotations

import html
import json
import re
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from overt.ingest.normalise import TimeFormat

if TYPE_CHECKING:
    import duckdb

    from overt.ingest.mapping import Mapping

#: An HTML link, as Twitter v1.1 gives the client: ``<a href="..." rel="nofollow">Twitter Web App</a>``.
_ANCHOR = re.compile(r"<a\b[^>]*>(.*?)</a\s*>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]*>")

POST_COLUMNS = (
    "platform",
    "post_id",
    "account_id",
    "created_at",
    "text",
    "lang",
    "client",
    "kind",
    "repost_of_post_id",
    "repost_of_account_id",
    "reply_to_post_id",
    "reply_to_account_id",
    "quote_of_post_id",
)
LIST_COLUMNS = ("urls", "hashtags", "mentions", "media")
ACCOUNT_COLUMNS = (
    "handle",
    "display_name",
    "description",
    "account_created_at",
    "reported_location",
    "declared_lang",
    "followers",
    "following",
    "verified",
    "profile_image",
)
LABEL_COLUMNS = ("label", "campaign")
META_COLUMNS = ("_line", "_entity", "_error_field", "_error_reason", "_raw")

#: Every staging column and its DuckDB type.
STAGING: dict[str, str] = {
    "_line": "BIGINT",
    **{c: "VARCHAR" for c in META_COLUMNS[1:]},
    **{c: "VARCHAR" for c in POST_COLUMNS},
    **{c: "VARCHAR[]" for c in LIST_COLUMNS},
    **{c: "VARCHAR" for c in ACCOUNT_COLUMNS},
    **{c: "VARCHAR" for c in LABEL_COLUMNS},
}


@dataclass(frozen=True)
class Head:
    """The first bytes of an input file, decoded, as readers sniff it.

    ``columns`` is the CSV/TSV header (None when the file is not delimited text); ``json`` is the first JSON
    value (a whole small file, or the first line of a JSON-lines file; None when neither parses).
    """

    path: Path
    text: str
    columns: tuple[str, ...] | None
    delimiter: str | None
    json: Any


@dataclass
class Staged:
    """What a reader hands to the pipeline for one input file."""

    relation: duckdb.DuckDBPyRelation
    #: Time formats of ``created_at`` and ``account_created_at``.
    created_at: TimeFormat = field(default_factory=TimeFormat)
    account_created_at: TimeFormat = field(default_factory=TimeFormat)
    #: True when ``_line`` counts good records only (CSV via DuckDB); see :func:`structural_rejects`.
    line_is_ordinal: bool = False
    #: Lines before the first record (a CSV header).
    header_lines: int = 0
    #: Called after the relation was read: rows the parser could not split into fields
    #: (columns ``line, field, reason, raw``), or None.
    structural_rejects: Callable[[], duckdb.DuckDBPyRelation | None] = lambda: None


@dataclass(frozen=True)
class Options:
    """Per-run reader options."""

    mapping: Mapping | None = None
    timezone: str | None = None


class Reader(ABC):
    """Base class of every input format."""

    #: Name used with ``--format`` (kebab-case).
    name: ClassVar[str]
    #: One-line description shown by ``overt formats``.
    description: ClassVar[str]

    @classmethod
    @abstractmethod
    def sniff(cls, head: Head) -> bool:
        """Whether *head* looks like this format."""

    @abstractmethod
    def stage(self, head: Head, con: duckdb.DuckDBPyConnection, options: Options) -> Staged:
        """Return the staging relation for the file ``head.path``.

        Raises :class:`~overt.errors.InputError` naming the file when required columns or keys are missing.
        """


def json_keys(value: Any) -> set[str]:
    """Top-level keys of the first JSON object in *value* (an object, or the first element of an array)."""
    if isinstance(value, list) and value:
        value = value[0]
    return set(value) if isinstance(value, dict) else set()


def dumps(value: Any) -> str:
    """Compact JSON text for ``_raw``."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)


def client_name(value: Any) -> str | None:
    """The app name in a source's client field: the text of an HTML link (``<a href="...">dlvr.it</a>``, as
    Twitter v1.1 gives it), else the value as given; None when there is no name."""
    if not isinstance(value, str):
        return None
    found = _ANCHOR.search(value)
    if found is None and "<" not in value:
        return value.strip() or None
    # Twitter escapes the anchor text (``Hootsuite Inc.``, ``&amp;``): unescape it with the markup gone.
    name = html.unescape(_TAG.sub("", found.group(1) if found else value)).strip()
    return name or None
