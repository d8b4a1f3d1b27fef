"""Input formats. Each module holds one reader; this registry lists them in the order ``overt formats`` shows.

Readers are imported lazily so that ``overt --help`` stays fast and a broken optional reader cannot stop the
others from working.
"""

from __future__ import annotations

import importlib

from overt.errors import FormatError
from overt.ingest.formats.base import Head, Options, Reader, Staged

__all__ = ["FORMATS", "Head", "Options", "Reader", "Staged", "detect_format", "get_reader"]

#: Format name -> "module:Class". ``table`` is never sniffed: it needs a mapping file.
FORMATS: dict[str, str] = {
    "twitter-io": "overt.ingest.formats.twitter_io:TwitterIOReader",
    "ira-538": "overt.ingest.formats.ira538:IRA538Reader",
    "x-api-v2": "overt.ingest.formats.x_api_v2:XApiV2Reader",
    "twitter-v1": "overt.ingest.formats.twitter_v1:TwitterV1Reader",
    "bluesky": "overt.ingest.formats.bluesky:BlueskyReader",
    "mastodon": "overt.ingest.formats.mastodon:MastodonReader",
    "telegram": "overt.ingest.formats.telegram:TelegramReader",
    "coortweet": "overt.ingest.formats.coortweet:CooRTweetReader",
    "crowdtangle": "overt.ingest.formats.crowdtangle:CrowdTangleReader",
    "cnt": "overt.ingest.formats.cnt:CNTReader",
    "table": "overt.ingest.formats.table:TableReader",
}


def reader_class(name: str) -> type[Reader]:
    """The reader class registered under *name*."""
    if name not in FORMATS:
        known = ", ".join(FORMATS)
        raise FormatError(f"Unknown format {name!r}. Known formats: {known}.")
    module, cls = FORMATS[name].split(":")
    reader: type[Reader] = getattr(importlib.import_module(module), cls)
    return reader


def get_reader(name: str) -> Reader:
    """An instance of the reader registered under *name*."""
    return reader_class(name)()


def detect_format(head: Head) -> str:
    """Name of the one format whose sniffer accepts *head*.

    Raises
    ------
    FormatError
        When no format or more than one format accepts the file.
    """
    matches = [name for name in FORMATS if name != "table" and reader_class(name).sniff(head)]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        seen = (
            f"CSV columns {', '.join(head.columns[:12])}{' ...' if len(head.columns) > 12 else ''}"
            if head.columns
            else f"JSON keys {sorted(_keys(head.json))[:12]}"
            if head.json is not None
            else f"text starting {head.text[:60]!r}"
        )
        raise FormatError(
            f"{head.path}: no known format matches this file ({seen}). Pass --format NAME "
            f"(one of: {', '.join(FORMATS)}), or --mapping FILE.toml to map its columns (see docs/formats/table.md)."
        )
    raise FormatError(f"{head.path}: the file matches several formats ({', '.join(matches)}); pass --format to choose.")


def _keys(value: object) -> set[str]:
    from overt.ingest.formats.base import json_keys

    return json_keys(value)
