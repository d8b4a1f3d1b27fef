"""The canonical dataset: every table, column, type and meaning, defined once.

Ingest writes these tables, detectors read them, reports and the API show them. ``docs/reference/dataset.md``
is generated from this module (``python -m overt.model.schema``) and a test keeps the two in step.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pyarrow as pa

#: Values of ``posts.kind``.
KINDS = ("post", "repost", "reply", "quote")

_STR = pa.string()
_LIST = pa.list_(pa.string())
_TIME = pa.timestamp("us", tz="UTC")
_SOURCE = pa.struct([pa.field("file", _STR), pa.field("line", pa.int64())])


@dataclass(frozen=True)
class Column:
    """One column of a canonical table."""

    name: str
    type: pa.DataType
    doc: str
    required: bool = False


@dataclass(frozen=True)
class Table:
    """A canonical table: its name, meaning and columns."""

    name: str
    doc: str
    columns: tuple[Column, ...]

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def schema(self) -> pa.Schema:
        return pa.schema([pa.field(c.name, c.type, nullable=not c.required) for c in self.columns])


POSTS = Table(
    "posts",
    "One row per post, repost, reply or quote, de-duplicated on (platform, post_id).",
    (
        Column(
            "platform",
            _STR,
            "Platform the post was made on: twitter, bluesky, mastodon, telegram, facebook, ...",
            True,
        ),
        Column(
            "post_id",
            _STR,
            "Platform id of the post, as a string (hashed ids stay as given). "
            "Where the source has no id, a stable id derived from the row's content.",
            True,
        ),
        Column("account_id", _STR, "Platform id of the posting account, as a string.", True),
        Column(
            "created_at",
            _TIME,
            "When the post was made, in UTC. Sources without a zone are read in the "
            "zone recorded in manifest.json (`assumed_timezone`).",
            True,
        ),
        Column("text", _STR, "Text of the post; for reposts the reposted text when the source gives it."),
        Column("lang", _STR, "Language of the post as the source states it (BCP 47 code or the source's name)."),
        Column(
            "client",
            _STR,
            "App or client the post was made with, as the source names it (e.g. `Twitter Web App`, `dlvr.it`).",
        ),
        Column("kind", _STR, "One of `post`, `repost`, `reply`, `quote`.", True),
        Column("repost_of_post_id", _STR, "For a repost: the id of the reposted post."),
        Column("repost_of_account_id", _STR, "For a repost: the account that wrote the reposted post."),
        Column("reply_to_post_id", _STR, "For a reply: the post replied to."),
        Column("reply_to_account_id", _STR, "For a reply: the account replied to."),
        Column("quote_of_post_id", _STR, "For a quote: the quoted post."),
        Column(
            "urls",
            _LIST,
            "Links in the post, normalised: lower-case scheme and host, no `www.`, no default "
            "port, no fragment, tracking parameters (utm_*, fbclid, gclid, ...) removed, other parameters "
            "sorted. A value that is not a web address is kept as given.",
        ),
        Column(
            "domains",
            _LIST,
            "Registrable domain of each URL (public suffix list, private suffixes "
            "included, shipped offline), in the order of `urls`, without repeats.",
        ),
        Column(
            "hashtags",
            _LIST,
            "Hashtags without `#`, in Unicode lower case (DuckDB `lower`), repeats removed. Extracted from the text "
            "when the source has no hashtag field.",
        ),
        Column(
            "mentions",
            _LIST,
            "Mentioned handles (or ids, where the source gives ids) without `@`, lower-cased. Extracted from the "
            "text when the source has no mention field.",
        ),
        Column("media", _LIST, "Media ids or hashes (for example perceptual image hashes)."),
        Column(
            "source",
            _SOURCE,
            "Input file and line the row came from. CSV: line 1 is the header, and a quoted value spanning "
            "several physical lines counts as one line. JSON lines: the physical line. A JSON array (one "
            "document, or one page of results per line): the record's 1-based position in the file.",
            True,
        ),
    ),
)

ACCOUNTS = Table(
    "accounts",
    "One row per account: every post author, plus accounts described by account files. Profile fields come "
    "from account files first, else from the latest post that carried them.",
    (
        Column("platform", _STR, "Platform of the account.", True),
        Column("account_id", _STR, "Platform id of the account, as a string.", True),
        Column("handle", _STR, "Screen name / username, without `@`, as given."),
        Column("display_name", _STR, "Display name."),
        Column("description", _STR, "Profile description (bio)."),
        Column("created_at", _TIME, "When the account was created, in UTC."),
        Column("reported_location", _STR, "Location the account reports in its profile (free text)."),
        Column("declared_lang", _STR, "Language the account declares (account or interface language)."),
        Column("followers", pa.int64(), "Follower count at collection time."),
        Column("following", pa.int64(), "Following count at collection time."),
        Column("verified", pa.bool_(), "Whether the platform marked the account verified."),
        Column("profile_image", _STR, "Profile image URL or hash."),
    ),
)

LABELS = Table(
    "labels",
    "Ground truth carried by the input, one row per (account, label, source). Written only when the input "
    "carries labels.",
    (
        Column("platform", _STR, "Platform of the account.", True),
        Column("account_id", _STR, "Labelled account.", True),
        Column("label", _STR, "The label, e.g. the IRA role `RightTroll`, or `io` for takedown archives.", True),
        Column("campaign", _STR, "Operation or campaign the label belongs to, e.g. `ira`."),
        Column("source", _STR, "Input file the label came from.", True),
    ),
)

REJECTS = Table(
    "rejects",
    "Input rows that did not become posts or accounts, with the reason. Every input row ends up in exactly "
    "one of posts, accounts-only rows, or rejects.",
    (
        Column("file", _STR, "Input file.", True),
        Column("line", pa.int64(), "Line of the row in that file (as in `posts.source.line`).", True),
        Column("field", _STR, "Field at fault, when one is."),
        Column("reason", _STR, "What was wrong and what was expected.", True),
        Column("raw", _STR, "The row as read, as far as it could be read."),
    ),
)

TABLES: dict[str, Table] = {t.name: t for t in (POSTS, ACCOUNTS, LABELS, REJECTS)}


def markdown(title: str, intro: str, tables: Sequence[Table]) -> str:
    """A reference page: *title*, *intro*, then each table's meaning and columns."""
    out = [f"# {title}", "", intro, ""]
    for table in tables:
        out += [
            f"## `{table.name}`",
            "",
            table.doc,
            "",
            "| column | type | required | meaning |",
            "|---|---|---|---|",
        ]
        for c in table.columns:
            out.append(f"| `{c.name}` | `{c.type}` | {'yes' if c.required else ''} | {c.doc} |")
        out.append("")
    return "\n".join(out)


def render_markdown() -> str:
    """Render the reference page for the canonical dataset (docs/reference/dataset.md)."""
    intro = (
        "`overt ingest` writes one folder: a Parquet file per table below, `rejects.parquet`, and `manifest.json`.\n"
        "This page is generated from `overt.model.schema` by `python -m overt.model.schema`; do not edit by hand."
    )
    return markdown("The canonical dataset", intro, list(TABLES.values()))


if __name__ == "__main__":  # pragma: no cover
    import sys

    sys.stdout.write(render_markdown())
