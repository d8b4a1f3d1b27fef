"""CrowdTangle posts as CSV: the API's post list flattened to columns, as CooRnet and PyCooRnet write it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from overt.errors import InputError
from overt.ingest.csvsource import ident, require_columns, stage_csv
from overt.ingest.formats.base import Head, Options, Reader, Staged
from overt.ingest.normalise import URL_RE, TimeFormat, sql_extract

if TYPE_CHECKING:
    import duckdb

POST_COLUMNS = ("platformId", "platform", "date", "postUrl")
#: Account fields, written ``account.x`` by R (CooRnet) and ``account_x`` by pandas (PyCooRnet).
_ACCOUNT = {
    "handle": "handle",
    "display_name": "name",
    "followers": "subscriberCount",
    "verified": "verified",
    "description": "pageDescription",
    "account_created_at": "pageCreatedDate",
    "reported_location": "pageAdminTopCountry",
    "profile_image": "profileImage",
}
_FORMATS = ("%Y-%m-%d %H:%M:%S", "iso")


def _account_column(cols: set[str], field: str) -> str | None:
    """The source column of account *field*, in either spelling, or None."""
    return next((c for c in (f"account.{field}", f"account_{field}") if c in cols), None)


class CrowdTangleReader(Reader):
    """CrowdTangle post CSV: CooRnet's ``ct_shares`` tables and plain API exports flattened to columns.

    One row per post (``platformId``) and shared link: CooRnet repeats a post once per link it shares, and
    every such row carries all the post's links, so the row kept by de-duplication loses none. The
    post id is ``platformId``; the account id is CrowdTangle's ``account.id``, present for every account
    (``account.platformId`` is ``NA`` for Facebook profiles, so it cannot identify every account).
    ``platform`` (Facebook, Instagram, ...) is lower-cased; ``date`` is UTC. ``urls`` holds the shared link
    (``expanded``, else ``link``) followed by the links written in ``message``, because a given list turns off
    the pipeline's own extraction from the text. Hashtags and mentions are extracted from ``message``.
    R writes ``NA`` for missing values, so a cell that is exactly ``NA`` counts as empty in every column.

    Not read: CooRnet's own output columns (``is.orig``, ``is.coordinated``: a peer tool's verdict, not ground
    truth), engagement statistics, link previews (``title``, ``description``), CrowdTangle's dashboard
    "historical data" CSV (a different layout with column names such as ``Page Name``), and the API's JSON.
    """

    name = "crowdtangle"
    description = "CrowdTangle posts CSV (CooRnet ct_shares, flattened API export)"

    @classmethod
    def sniff(cls, head: Head) -> bool:
        cols = set(head.columns or ())
        return set(POST_COLUMNS) <= cols and _account_column(cols, "id") is not None

    def stage(self, head: Head, con: duckdb.DuckDBPyConnection, options: Options) -> Staged:
        cols = set(head.columns or ())
        require_columns(head, POST_COLUMNS, self.name)
        account_id = _account_column(cols, "id")
        if account_id is None:
            raise InputError(
                f"{head.path}: missing column account.id (or account_id) required by format {self.name!r} "
                f"(found: {', '.join(head.columns or ())})."
            )

        def col(name: str | None) -> str:
            return f"nullif({ident(name)}, 'NA')" if name is not None and name in cols else "NULL"

        shared = col("expanded") if "expanded" in cols else col("link")
        account = ", ".join(f"{col(_account_column(cols, src))} AS {dst}" for dst, src in _ACCOUNT.items())
        select = f"""
            {col("platform")} AS platform,
            {col("platformId")} AS post_id,
            {col(account_id)} AS account_id,
            {col("date")} AS created_at,
            {col("message")} AS text,
            {col("languageCode")} AS lang,
            'post' AS kind,
            list_concat(list({shared}) OVER (PARTITION BY {col("platform")}, {col("platformId")}),
                        {sql_extract(col("message"), URL_RE)}) AS urls,
            {account}
        """
        times = TimeFormat(_FORMATS, options.timezone or "UTC")
        return stage_csv(con, head.path, head, select, created_at=times, account_created_at=times)
