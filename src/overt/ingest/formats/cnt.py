"""coordination-network-toolkit (QUT Digital Observatory) CSV: the 8-column input of its ``preprocess``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from overt.errors import InputError
from overt.ingest.csvsource import ident, raw_columns, stage_csv
from overt.ingest.formats.base import Head, Options, Reader, Staged
from overt.ingest.normalise import TimeFormat

if TYPE_CHECKING:
    import duckdb

#: The toolkit reads columns by position; these are the names its documentation and test data use.
COLUMNS = ("message_id", "user_id", "username", "repost_id", "reply_id", "message", "timestamp", "urls")
_EPOCH = TimeFormat(("epoch",))


class CNTReader(Reader):
    """coordination-network-toolkit CSV: ``message_id, user_id, username, repost_id, reply_id, message,
    timestamp, urls`` with a header row.

    The toolkit reads the columns by position and ignores their names, so once chosen (``--format cnt``) any
    8-column file with a header is read by position; sniffing needs the documented names. ``repost_id`` and
    ``reply_id`` give the reposted and replied-to message, ``username`` the handle, ``urls`` the links
    (separated by spaces). ``timestamp`` is read as seconds since 1970: the toolkit only needs consistent
    seconds, so a file with relative times (0, 59, ...) gets dates in January 1970. The CSV format is the
    toolkit's format for any platform and does not say which one, so ``platform`` is ``unknown``; use
    ``--format table`` with a mapping to set the platform. Hashtags and mentions are extracted from
    ``message``. A ``[``, ``]``, quote or comma around a URL is dropped: the toolkit's own sample data writes
    ``urls`` as a Python list.

    Not read: the toolkit's Twitter JSON input (use the Twitter readers), its SQLite database and its network
    outputs; files without a header row (the toolkit always skips the first row).
    """

    name = "cnt"
    description = "coordination-network-toolkit CSV (message_id, user_id, username, repost_id, ...)"

    @classmethod
    def sniff(cls, head: Head) -> bool:
        return tuple(head.columns or ()) == COLUMNS

    def stage(self, head: Head, con: duckdb.DuckDBPyConnection, options: Options) -> Staged:
        names = raw_columns(head)
        if len(names) != len(COLUMNS):
            raise InputError(
                f"{head.path}: format 'cnt' needs exactly {len(COLUMNS)} columns in this order: "
                f"{', '.join(COLUMNS)} (found {len(names)}: {', '.join(head.columns or ())})."
            )
        c = dict(zip(COLUMNS, (ident(n) for n in names), strict=True))
        # Tokens are separated by runs of whitespace; the trim keeps a URL out of Python list punctuation.
        urls = (
            f"list_filter(list_transform(regexp_split_to_array(trim(coalesce({c['urls']}, '')), '\\s+'), "
            f"lambda u: trim(u, '[]''\",')), lambda u: u <> '')"
        )
        select = f"""
            'unknown' AS platform,
            {c["message_id"]} AS post_id,
            {c["user_id"]} AS account_id,
            {c["username"]} AS handle,
            {c["repost_id"]} AS repost_of_post_id,
            {c["reply_id"]} AS reply_to_post_id,
            {c["message"]} AS text,
            {c["timestamp"]} AS created_at,
            {urls} AS urls
        """
        return stage_csv(con, head.path, head, select, created_at=_EPOCH)
