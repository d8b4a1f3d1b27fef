"""``overt ingest``: read inputs in any supported format into one canonical dataset folder.

For each input the reader's staging relation goes through one normalising query (:func:`_normalise_sql`)
into the temporary table ``stage_rows`` (which DuckDB spills to disk beyond its memory limit). The stage is
then split, in DuckDB, into ``posts`` (de-duplicated; their lists are normalised as they are written, see
:func:`_normalise_lists`), ``accounts``, ``labels`` and ``rejects``. Everything is written to a temporary
folder next to the destination and renamed into place only when the whole run succeeded, so a failed run
leaves nothing half-written.
"""

from __future__ import annotations

import array
import itertools
import logging
import os
import shutil
import tempfile
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from duckdb.func import FunctionNullHandling, PythonUDFType

from overt.errors import InputError, RejectRateError
from overt.ingest import normalise
from overt.ingest.formats import FORMATS, Head, Options, Staged, detect_format, get_reader
from overt.ingest.formats.base import STAGING
from overt.ingest.manifest import InputRecord, Manifest, file_sha256
from overt.ingest.mapping import Mapping, load_mapping
from overt.ingest.sniff import read_head
from overt.model.schema import ACCOUNTS, KINDS, LABELS, POSTS, REJECTS

logger = logging.getLogger(__name__)

BATCH_ROWS = 100_000
DEFAULT_MAX_REJECT_RATE = 0.05
MAX_INPUTS = 65_535


class Progress(Protocol):
    """What the pipeline reports progress to (the CLI passes a progress bar)."""

    def start(self, label: str) -> None: ...

    def advance(self, rows: int) -> None: ...


class _NoProgress:
    def start(self, label: str) -> None:
        pass

    def advance(self, rows: int) -> None:
        pass


@dataclass
class _Input:
    index: int
    path: Path
    format: str
    head: Head
    mapping: Mapping | None = None
    staged: Staged | None = None
    first_row: int = 0  # rowid of the input's first row in stage_rows


def build_dataset(
    inputs: Sequence[str | os.PathLike[str]],
    out: str | os.PathLike[str],
    *,
    format: str | None = None,
    mapping: str | os.PathLike[str] | Mapping | Sequence[str | os.PathLike[str] | Mapping] | None = None,
    max_reject_rate: float = DEFAULT_MAX_REJECT_RATE,
    timezone: str | None = None,
    overwrite: bool = False,
    memory_limit: str = "2GB",
    progress: Progress | None = None,
) -> Manifest:
    """Ingest *inputs* into the dataset folder *out* and return its manifest.

    Parameters
    ----------
    inputs:
        Input files. Each one's format is sniffed unless *format* is given.
    out:
        Dataset folder to write (``posts.parquet``, ``accounts.parquet``, ``labels.parquet`` when the input
        carries labels, ``rejects.parquet``, ``manifest.json``).
    format:
        Force this format for every input (see :data:`overt.ingest.formats.FORMATS`).
    mapping:
        A mapping TOML file (or loaded :class:`~overt.ingest.mapping.Mapping`) for every input, or one per
        input in the order of *inputs*; implies ``format="table"``.
    max_reject_rate:
        Fail when more than this share of input rows (0..1) is rejected. Duplicates do not count.
    timezone:
        IANA zone for times written without an offset, overriding the format's default (UTC).
    overwrite:
        Replace *out* if it exists.
    memory_limit:
        DuckDB memory limit; larger intermediate results spill to a temporary folder next to *out*.
    progress:
        Receives row counts as batches are written.

    Raises
    ------
    InputError
        An input is missing, unreadable, of unknown format or lacks required columns.
    RejectRateError
        More than *max_reject_rate* of the rows were rejected; nothing is written.
    """
    if not 0 <= max_reject_rate <= 1:
        raise InputError(f"max_reject_rate must be between 0 and 1. Got {max_reject_rate!r} instead.")
    if not inputs:
        raise InputError("No input files given.")
    if len(inputs) > MAX_INPUTS:
        raise InputError(f"At most {MAX_INPUTS:,} input files per dataset (the account sort key holds 16 bits).")
    out = Path(out)
    if out.exists() and not overwrite:
        raise InputError(f"{out}: already exists; choose another --out or pass --overwrite.")
    mappings = _load_mappings(mapping, len(inputs))
    if mappings and format not in (None, "table"):
        raise InputError(f"--mapping is for --format table; it cannot be combined with --format {format}.")
    if format is not None and format not in FORMATS:
        raise InputError(f"Unknown format {format!r}. Known formats: {', '.join(FORMATS)}.")
    chosen = "table" if mappings else format
    if chosen == "table" and not mappings:
        raise InputError("--format table needs --mapping FILE.toml (see docs/formats/table.md).")

    plan = []
    for i, raw in enumerate(inputs):
        path = Path(raw)
        head = read_head(path)
        name = chosen or detect_format(head)
        if chosen and name != "table" and not get_reader(name).sniff(head):
            logger.warning("%s does not look like format %s; reading it as asked", path, name)
        plan.append(_Input(i, path, name, head, mappings[i] if mappings else None))

    progress = progress or _NoProgress()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.partial-", dir=out.parent))
    try:
        manifest = _run(plan, tmp, timezone, max_reject_rate, memory_limit, progress)
        shutil.rmtree(tmp / "spill", ignore_errors=True)
        if out.exists():
            shutil.rmtree(out)
        tmp.rename(out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return manifest


def _load_mappings(
    mapping: str | os.PathLike[str] | Mapping | Sequence[str | os.PathLike[str] | Mapping] | None, n_inputs: int
) -> list[Mapping]:
    """One loaded mapping per input (empty without mappings): one for all inputs, or one each."""
    if mapping is None:
        return []
    given = [mapping] if isinstance(mapping, str | os.PathLike | Mapping) else list(mapping)
    loaded = [m if isinstance(m, Mapping) else load_mapping(m) for m in given]
    if len(loaded) == 1:
        return loaded * n_inputs
    if len(loaded) != n_inputs:
        raise InputError(
            f"Got {len(loaded)} mappings for {n_inputs} inputs: give one mapping for every input, "
            "or one per input in the same order."
        )
    return loaded


def _connect(tmp: Path, memory_limit: str) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(config={"memory_limit": memory_limit, "temp_directory": str(tmp / "spill")})
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET lambda_syntax = 'DISABLE_SINGLE_ARROW'")
    con.execute("SET enable_progress_bar = false")  # the CLI shows its own progress
    con.execute("SET preserve_insertion_order = true")  # the default; stage_rows' rowids count on it
    for name, fn in (("overt_url", normalise.normalise_url), ("overt_domain", normalise.registrable_domain)):
        con.create_function(
            name,
            _arrow_map(fn),
            ["VARCHAR"],
            "VARCHAR",
            type=PythonUDFType.ARROW,
            null_handling=FunctionNullHandling.SPECIAL,
        )
    return con


def _arrow_map(fn: Callable[[str], str | None]) -> Callable[[Any], Any]:
    """Wrap a cached str->str function as a vectorised DuckDB UDF: call it once per distinct value."""

    # DuckDB evaluates the UDF's annotations at registration, where `pa.Array[Any]` is not valid at run time.
    def udf(values: Any) -> Any:
        uniques = pc.unique(values)
        mapped = _strings([None if v is None else fn(v) for v in uniques.to_pylist()])
        return pc.take(mapped, pc.index_in(values, value_set=uniques))

    return udf


def _strings(values: list[str | None]) -> pa.Array[Any]:
    """``pa.array(values, pa.string())``, without the import of pandas that costs pa.array() 0.3 s the first time."""
    data = [b"" if v is None else v.encode() for v in values]
    offsets = array.array("i", itertools.accumulate(map(len, data), initial=0))
    valid = bytearray((len(values) + 7) // 8)
    for i, v in enumerate(values):
        if v is not None:
            valid[i >> 3] |= 1 << (i & 7)
    buffers: list[pa.Buffer | None] = [pa.py_buffer(valid), pa.py_buffer(offsets), pa.py_buffer(b"".join(data))]
    return pa.Array.from_buffers(pa.string(), len(values), buffers)


def _run(
    plan: list[_Input],
    tmp: Path,
    timezone: str | None,
    max_reject_rate: float,
    memory_limit: str,
    progress: Progress,
) -> Manifest:
    con = _connect(tmp, memory_limit)
    # Hash the inputs while DuckDB reads them: reading and hashing release the GIL.
    hashing = ThreadPoolExecutor(1)
    try:
        digests = [hashing.submit(file_sha256, item.path) for item in plan]
        con.execute(
            "CREATE TEMP TABLE structural (_input INTEGER, line BIGINT, field VARCHAR, reason VARCHAR, raw VARCHAR)"
        )
        staged = 0
        for item in plan:
            progress.start(f"{item.path.name} ({item.format})")
            item.first_row = staged
            staged += _write_stage(con, item, timezone, progress)
            _write_structural(con, item)
        _register_inputs(con, plan)
        progress.start("posts, accounts, labels, rejects")
        counts = _write_tables(con, tmp, progress)
        records = _input_records(con, plan, [d.result() for d in digests])
        manifest = Manifest.build(records, counts)
        if manifest.reject_rate > max_reject_rate:
            sample = con.sql(
                "SELECT file, line, field, reason FROM read_parquet($p) WHERE reason NOT LIKE 'duplicate%' "
                "ORDER BY file, line LIMIT 10",
                params={"p": str(tmp / "rejects.parquet")},
            ).fetchall()
            lines = "\n".join(f"  {f}:{ln}: {fld or '-'}: {reason}" for f, ln, fld, reason in sample)
            raise RejectRateError(
                f"{manifest.rows_rejected} of {manifest.rows_in} rows rejected ({manifest.reject_rate:.2%}), "
                f"more than --max-reject-rate {max_reject_rate:.2%}. Nothing was written. First rejects:\n"
                f"{lines}\nFix the input, or raise --max-reject-rate to keep the good rows."
            )
        manifest.write(tmp / "manifest.json")
        return manifest
    finally:
        hashing.shutdown(cancel_futures=True)
        con.close()


def _staging_select(staged: Staged) -> str:
    """Select every staging column from the reader's relation, NULL for those it does not provide."""
    present = set(staged.relation.columns)
    unknown = present - set(STAGING)
    if unknown:
        raise InputError(f"reader produced unknown staging columns: {', '.join(sorted(unknown))}")
    if staged.line_is_ordinal:
        # An ordinal is the row's position, and stage_rows keeps the reader's order: the stage view numbers the
        # rows instead. Unselected, the reader's `row_number() OVER ()` is dropped, and with it the single
        # thread it would impose on reading and normalising.
        present.discard("_line")
    return ", ".join(c if c in present else f"NULL::{t} AS {c}" for c, t in STAGING.items())


def _normalise_sql(item: _Input) -> str:
    """The one normalising query, applied to every format's staging rows.

    Lists stay as the reader gave them: only posts keep theirs, normalised as they are written
    (:func:`_normalise_lists`).
    """
    assert item.staged is not None
    staged = item.staged
    created = staged.created_at.sql("created_at")
    account_created = staged.account_created_at.sql("account_created_at")
    kinds = ", ".join(f"'{k}'" for k in KINDS)
    formats = ", ".join(staged.created_at.formats).replace("'", "''")

    def nonblank(col: str) -> str:
        return f"nullif(trim({col}), '')"

    def bad_number(col: str) -> str:
        return f"({nonblank(col)} IS NOT NULL AND try_cast(try_cast({nonblank(col)} AS DOUBLE) AS BIGINT) IS NULL)"

    ids = (
        "post_id",
        "account_id",
        "repost_of_post_id",
        "repost_of_account_id",
        "reply_to_post_id",
        "reply_to_account_id",
        "quote_of_post_id",
    )
    return f"""
    WITH s AS (SELECT {_staging_select(staged)} FROM staged_relation),
    t AS (
        SELECT s.*,
            {created} AS _ts,
            {account_created} AS _acct_ts,
            coalesce(s._entity, 'post') AS _ent,
            coalesce(lower(trim(s.kind)), CASE
                WHEN nullif(trim(s.repost_of_post_id), '') IS NOT NULL
                  OR nullif(trim(s.repost_of_account_id), '') IS NOT NULL THEN 'repost'
                WHEN nullif(trim(s.quote_of_post_id), '') IS NOT NULL THEN 'quote'
                WHEN nullif(trim(s.reply_to_post_id), '') IS NOT NULL
                  OR nullif(trim(s.reply_to_account_id), '') IS NOT NULL THEN 'reply'
                ELSE 'post' END) AS _kind,
            lower(trim(s.verified)) AS _verified
        FROM s
    ),
    r AS (
        SELECT t.*,
            CASE
                WHEN _error_reason IS NOT NULL THEN [_error_field, _error_reason]
                WHEN {nonblank("platform")} IS NULL THEN ['platform', 'missing platform']
                WHEN {nonblank("account_id")} IS NULL THEN ['account_id', 'missing account id']
                WHEN _ent NOT IN ('post', 'account') THEN ['_entity', 'unknown entity ' || _ent]
                WHEN _ent = 'post' AND {nonblank("post_id")} IS NULL THEN ['post_id', 'missing post id']
                WHEN _ent = 'post' AND {nonblank("created_at")} IS NULL THEN ['created_at', 'missing time']
                WHEN _ent = 'post' AND _ts IS NULL THEN ['created_at',
                    'unparseable time ' || to_json(created_at)::VARCHAR || ' (expected {formats})']
                WHEN _ent = 'post' AND _kind NOT IN ({kinds}) THEN ['kind',
                    'unknown kind ' || to_json(kind)::VARCHAR || ' (expected one of {kinds.replace("'", "")})']
                WHEN {bad_number("followers")} THEN ['followers', 'not a whole number: ' || followers]
                WHEN {bad_number("following")} THEN ['following', 'not a whole number: ' || following]
                WHEN {nonblank("account_created_at")} IS NOT NULL AND _acct_ts IS NULL THEN ['account_created_at',
                    'unparseable time ' || to_json(account_created_at)::VARCHAR]
                WHEN _verified IS NOT NULL AND _verified <> ''
                     AND _verified NOT IN ('true', 'false', '1', '0', 'yes', 'no', 't', 'f')
                    THEN ['verified', 'not true/false: ' || verified]
            END AS _rej
        FROM t
    ),
    SELECT
        {item.index}::INTEGER AS _input,
        _line::BIGINT AS _line,
        _ent AS _entity,
        _rej[1] AS _reject_field,
        _rej[2] AS _reject_reason,
        CASE WHEN _rej IS NOT NULL THEN _raw END AS _raw,
        lower(trim(platform)) AS platform,
        {", ".join(f"{nonblank(c)} AS {c}" for c in ids)},
        _ts AS created_at,
        text,
        {nonblank("lang")} AS lang,
        {nonblank("client")} AS client,
        CASE WHEN _ent = 'post' THEN _kind END AS kind,
        urls,  -- the lists as the reader gave them, until posts are written (see _normalise_lists)
        hashtags,
        mentions,
        media,
        {nonblank("ltrim(handle, '@')")} AS handle,
        {nonblank("display_name")} AS display_name,
        {nonblank("description")} AS description,
        _acct_ts AS account_created_at,
        {nonblank("reported_location")} AS reported_location,
        {nonblank("declared_lang")} AS declared_lang,
        try_cast(try_cast({nonblank("followers")} AS DOUBLE) AS BIGINT) AS followers,
        try_cast(try_cast({nonblank("following")} AS DOUBLE) AS BIGINT) AS following,
        CASE WHEN _verified IN ('true', '1', 'yes', 't') THEN true
             WHEN _verified IN ('false', '0', 'no', 'f') THEN false END AS verified,
        {nonblank("profile_image")} AS profile_image,
        {nonblank("label")} AS label,
        {nonblank("campaign")} AS campaign
    FROM r
    """


def _blanks_out(expr: str) -> str:
    return f"list_filter({expr}, lambda x: x IS NOT NULL AND x <> '')"


def _unique(column: str) -> str:
    # Repeats out, first occurrences kept in order. Only ever applied to a column, never to an expression:
    # inside the lambda an expression would be evaluated again for every element.
    return f"list_filter({column}, lambda x, i: list_position({column}, x) = i)"


def _tags(column: str, pattern: str) -> str:
    given = _blanks_out(f"list_transform({column}, lambda h: lower(ltrim(trim(h), '#＃@＠')))")
    # A tag found in the text has no sigil, space or blank to take off.
    found = f"list_transform({normalise.sql_extract('text', pattern)}, lambda h: lower(h))"
    return f"coalesce({given}, {found})"


def _normalise_lists(query: str) -> str:
    """*query* (rows with ``text`` and the reader's lists) with its lists normalised and ``domains`` added.

    Only posts keep their lists, and this is their costliest part (regular expressions, Python for URLs and
    domains), so it runs as posts are written, after they are sorted: DuckDB works on the next rows while
    the Parquet writer encodes the last ones, instead of the writer working alone.
    """
    urls = _blanks_out(
        f"list_transform(coalesce(urls, {normalise.sql_extract('text', normalise.URL_RE)}), lambda u: trim(u))"
    )
    return f"""
    WITH q AS ({query}),
    n AS (
        SELECT q.* REPLACE (
            list_transform({urls}, lambda u: {normalise.sql_normalise_url("u")}) AS urls,
            {_tags("hashtags", normalise.HASHTAG_RE)} AS hashtags,
            {_tags("mentions", normalise.MENTION_RE)} AS mentions,
            {_blanks_out("list_transform(media, lambda m: trim(m))")} AS media
        )
        FROM q
    ),
    u AS (
        SELECT n.* REPLACE (
            {_unique("urls")} AS urls, {_unique("hashtags")} AS hashtags,
            {_unique("mentions")} AS mentions, {_unique("media")} AS media
        )
        FROM n
    ),
    d AS (
        SELECT u.*, {_blanks_out(f"list_transform(urls, lambda x: {normalise.sql_domain('x')})")} AS _domains
        FROM u
    )
    SELECT d.* EXCLUDE (_domains), {_unique("_domains")} AS domains FROM d
    """


def _write_stage(con: duckdb.DuckDBPyConnection, item: _Input, timezone: str | None, progress: Progress) -> int:
    """Normalise one input's rows into ``stage_rows``, in the reader's order; return how many there were."""
    try:
        item.staged = get_reader(item.format).stage(item.head, con, Options(mapping=item.mapping, timezone=timezone))
        staged_relation = item.staged.relation  # noqa: F841  (referenced by name in the SQL below)
        query = _normalise_sql(item)
        if item.index == 0:
            rows: int = con.execute(f"CREATE TEMP TABLE stage_rows AS {query}").fetchall()[0][0]
        else:
            rows = con.execute(f"INSERT INTO stage_rows BY NAME SELECT * FROM ({query})").fetchall()[0][0]
    except duckdb.Error as exc:
        raise InputError(f"{item.path}: cannot be read as {item.format}: {exc}") from exc
    progress.advance(rows)
    return rows


def _write_structural(con: duckdb.DuckDBPyConnection, item: _Input) -> None:
    assert item.staged is not None
    rejects = item.staged.structural_rejects()  # referenced by name in the SQL below
    if rejects is not None:
        con.execute(f"INSERT INTO structural SELECT {item.index}, line, field, reason, raw FROM rejects")


def _register_inputs(con: duckdb.DuckDBPyConnection, plan: list[_Input]) -> None:
    rows = []
    for item in plan:
        assert item.staged is not None
        offset, first_row = _absolute_lines(con, item) if item.staged.line_is_ordinal else (0, None)
        rows.append((item.index, str(item.path), first_row, offset))
    con.execute("CREATE TEMP TABLE inputs (_input INTEGER, file VARCHAR, first_row BIGINT, line_offset BIGINT)")
    con.executemany("INSERT INTO inputs VALUES (?, ?, ?, ?)", rows)
    # A plain join with the small inputs table: the stage is read by every later query, so it must stay a
    # cheap scan (an ASOF join here made DuckDB sort every stage row on every read). Rows are in input and
    # file order, so rowid orders them and numbers the rows of ordinal inputs.
    con.execute(
        """
        CREATE TEMP VIEW stage AS
        SELECT s.* REPLACE (coalesce(s.rowid - i.first_row + 1, s._line) + i.line_offset AS _line),
               s.rowid AS _row, i.file AS _file
        FROM stage_rows s JOIN inputs i USING (_input)
        """
    )


def _absolute_lines(con: duckdb.DuckDBPyConnection, item: _Input) -> tuple[int, int | None]:
    """How the stage view turns an input's good-row ordinals into lines: (what to add, first row to count from).

    A row's line adds the header and every structurally rejected row before it. Reject j (1-based, in line
    order) comes before good row k when the number of good rows before it, (line_j - header) - j, is less
    than k. Without structural rejects (the usual case) only the header is added, in the stage view; with
    them, this input's stage rows are given their lines once, here.
    """
    assert item.staged is not None
    header = item.staged.header_lines
    params = {"i": item.index}
    if not con.execute("SELECT count(*) FROM structural WHERE _input = $i", params).fetchall()[0][0]:
        return header, item.first_row
    ordinal = f"(s.rowid - {item.first_row} + 1)"
    con.execute(
        f"""
        UPDATE stage_rows SET _line = f.line
        FROM (
            WITH shift AS (
                SELECT after_good, max(n) AS n  -- consecutive rejects share after_good: count them all
                FROM (SELECT (line - {header}) - row_number() OVER (ORDER BY line) AS after_good,
                             row_number() OVER (ORDER BY line) AS n
                      FROM structural WHERE _input = $i)
                GROUP BY after_good
            )
            SELECT s.rowid AS _row, {ordinal} + {header} + coalesce(l.n, 0) AS line
            FROM stage_rows s ASOF LEFT JOIN shift l ON {ordinal} > l.after_good
            WHERE s._input = $i
        ) f
        WHERE stage_rows.rowid = f._row
        """,
        params,
    )
    return 0, None


def _copy(
    con: duckdb.DuckDBPyConnection,
    query: str,
    dest: Path,
    columns: list[str],
    schema: pa.Schema,
    progress: Progress,
) -> int:
    """Write *query* (whose columns are *columns*) to *dest* as Parquet with exactly *schema*; return rows."""
    reader = con.sql(query).to_arrow_reader(BATCH_ROWS)
    rows = 0
    # Encoding a batch and computing the next both release the GIL: the writer encodes in a thread of its own.
    with pq.ParquetWriter(dest, schema) as writer, ThreadPoolExecutor(1) as encoder:
        written: Future[None] = encoder.submit(lambda: None)
        for batch in reader:
            written.result()
            out = pa.RecordBatch.from_arrays(
                [batch.column(c).cast(schema.field(c).type) for c in columns], schema=schema
            )
            written = encoder.submit(writer.write_batch, out)
            rows += batch.num_rows
            progress.advance(batch.num_rows)
        written.result()
    return rows


def _write_tables(con: duckdb.DuckDBPyConnection, tmp: Path, progress: Progress) -> dict[str, int]:
    post_cols = [c for c in POSTS.names if c not in ("domains", "source")]
    # Duplicates are rare: find repeated keys with a hash aggregate and rank only their rows.
    con.execute(
        """
        CREATE TEMP TABLE post_rank AS
        WITH repeated AS (
            SELECT platform, post_id FROM stage WHERE _reject_reason IS NULL AND _entity = 'post'
            GROUP BY ALL HAVING count(*) > 1
        )
        SELECT _input, _row, _line, _file, platform, post_id,
               row_number() OVER w AS _rank,
               first_value(_file) OVER w AS _first_file, first_value(_line) OVER w AS _first_line
        FROM stage SEMI JOIN repeated USING (platform, post_id)
        WHERE _reject_reason IS NULL AND _entity = 'post'
        WINDOW w AS (PARTITION BY platform, post_id ORDER BY _row)
        """
    )
    counts: dict[str, int] = {}
    counts["posts"] = _copy(
        con,
        _normalise_lists(
            f"""
            SELECT {", ".join(f"s.{c}" for c in post_cols)}, struct_pack(file := s._file, line := s._line) AS source
            FROM stage s ANTI JOIN (SELECT _row FROM post_rank WHERE _rank > 1) r USING (_row)
            WHERE s._reject_reason IS NULL AND s._entity = 'post'
            ORDER BY s.created_at, s.platform, s.post_id
            """
        ),
        tmp / "posts.parquet",
        POSTS.names,
        POSTS.schema,
        progress,
    )
    # Account files win over post rows; among post rows the latest post's profile wins.
    # One 128-bit sort key (much faster than comparing lists): account-file row, post time, row.
    key = (
        "((CASE WHEN _entity = 'account' THEN 1 ELSE 0 END)::HUGEINT << 119) "
        "+ ((epoch_us(coalesce(created_at, TIMESTAMPTZ 'epoch')) + 4611686018427387904)::HUGEINT << 56) "
        "+ _row"
    )
    profile = [c for c in ACCOUNTS.names if c not in ("platform", "account_id")]
    source_of = {c: (f"account_{c}" if c == "created_at" else c) for c in profile}
    aggregates = ", ".join(
        f"arg_max({source_of[c]}, {key}) FILTER (WHERE {source_of[c]} IS NOT NULL) AS {c}" for c in profile
    )
    counts["accounts"] = _copy(
        con,
        f"""
        SELECT platform, account_id, {aggregates}
        FROM stage WHERE _reject_reason IS NULL
        GROUP BY platform, account_id
        ORDER BY platform, account_id
        """,
        tmp / "accounts.parquet",
        ACCOUNTS.names,
        ACCOUNTS.schema,
        progress,
    )
    has_labels = con.execute("SELECT count(*) FROM stage WHERE label IS NOT NULL AND _reject_reason IS NULL").fetchall()
    if has_labels[0][0]:
        counts["labels"] = _copy(
            con,
            """
            SELECT DISTINCT platform, account_id, label, campaign, _file AS source
            FROM stage WHERE label IS NOT NULL AND _reject_reason IS NULL
            ORDER BY ALL
            """,
            tmp / "labels.parquet",
            LABELS.names,
            LABELS.schema,
            progress,
        )
    counts["rejects"] = _copy(
        con,
        """
        SELECT _file AS file, _line AS line, _reject_field AS field, _reject_reason AS reason, _raw AS raw
        FROM stage WHERE _reject_reason IS NOT NULL
        UNION ALL
        SELECT i.file, s.line, s.field, s.reason, s.raw FROM structural s JOIN inputs i USING (_input)
        UNION ALL
        SELECT _file, _line, 'post_id',
               'duplicate post id ' || post_id || ' (kept the row at ' || _first_file || ':' || _first_line || ')',
               NULL
        FROM post_rank WHERE _rank > 1
        ORDER BY 1, 2
        """,
        tmp / "rejects.parquet",
        REJECTS.names,
        REJECTS.schema,
        progress,
    )
    return counts


def _input_records(con: duckdb.DuckDBPyConnection, plan: list[_Input], digests: list[str]) -> list[InputRecord]:
    rows = con.sql(
        """
        WITH st AS (
            SELECT _input,
                   count(*) AS staged,
                   count(*) FILTER (WHERE _reject_reason IS NOT NULL) AS rejected,
                   count(*) FILTER (WHERE _reject_reason IS NULL AND _entity = 'account') AS account_rows,
                   count(*) FILTER (WHERE _reject_reason IS NULL AND _entity = 'post') AS post_rows,
                   min(created_at) FILTER (WHERE _reject_reason IS NULL AND _entity = 'post') AS first_at,
                   max(created_at) FILTER (WHERE _reject_reason IS NULL AND _entity = 'post') AS last_at,
                   list(DISTINCT platform) FILTER (WHERE _reject_reason IS NULL) AS platforms
            FROM stage GROUP BY _input
        ),
        pr AS (SELECT _input, count(*) FILTER (WHERE _rank > 1) AS dups FROM post_rank GROUP BY _input),
        sr AS (SELECT _input, count(*) AS n FROM structural GROUP BY _input)
        SELECT i._input, coalesce(st.staged, 0) + coalesce(sr.n, 0), coalesce(st.post_rows, 0) - coalesce(pr.dups, 0),
               coalesce(st.account_rows, 0),
               coalesce(st.rejected, 0) + coalesce(sr.n, 0), coalesce(pr.dups, 0), st.first_at, st.last_at,
               coalesce(st.platforms, [])
        FROM inputs i LEFT JOIN st USING (_input) LEFT JOIN pr USING (_input) LEFT JOIN sr USING (_input)
        ORDER BY i._input
        """
    ).fetchall()
    records = []
    for item, digest, (_i, rows_in, posts, account_rows, rejected, dups, first_at, last_at, platforms) in zip(
        plan, digests, rows, strict=True
    ):
        assert item.staged is not None
        tf = item.staged.created_at
        records.append(
            InputRecord(
                path=str(item.path),
                size=item.path.stat().st_size,
                sha256=digest,
                format=item.format,
                rows_in=rows_in,
                posts=posts,
                account_rows=account_rows,
                rejected=rejected,
                duplicates=dups,
                first_at=first_at.isoformat() if first_at else None,
                last_at=last_at.isoformat() if last_at else None,
                platforms=sorted(p for p in platforms if p),
                assumed_timezone=None if tf.has_zone or tf.formats[0].startswith("epoch") else tf.timezone,
                mapping=None if item.mapping is None else str(item.mapping.path),
                mapping_sha256=None if item.mapping is None else file_sha256(item.mapping.path),
            )
        )
    return records


__all__ = ["DEFAULT_MAX_REJECT_RATE", "Progress", "build_dataset"]
