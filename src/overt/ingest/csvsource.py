"""Delimited text read by DuckDB, streaming, with structural errors kept as rejects.

DuckDB's CSV reader parses in bulk (no Python object per row) and, with ``store_rejects``, records rows it
cannot split into fields (broken quoting, too many or too few columns) with their line. It has no row-number
column, so good rows are numbered by a streaming ``row_number() OVER ()`` and the pipeline turns that ordinal
into a line once the rejects are known (:func:`overt.ingest.pipeline`). Rows come in file order, so the
ordinal is also a row's position: the pipeline numbers rows by their position instead, which lets DuckDB drop
the ``row_number()`` (it would keep reading and normalising on one thread).
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import TYPE_CHECKING

from overt.errors import InputError
from overt.ingest.formats.base import Head, Staged

if TYPE_CHECKING:
    import duckdb

_counter = itertools.count()


def ident(name: str) -> str:
    """Quote *name* as a SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def raw_columns(head: Head) -> list[str]:
    """Header names as DuckDB will see them: blanks become ``column<i>``, repeats get a ``_<n>`` suffix."""
    if not head.columns:
        raise InputError(f"{head.path}: expected a delimited header line, found none.")
    seen: dict[str, int] = {}
    names = []
    for i, name in enumerate(head.columns):
        name = name or f"column{i}"
        if name in seen:
            seen[name] += 1
            name = f"{name}_{seen[name]}"
        else:
            seen[name] = 0
        names.append(name)
    return names


def require_columns(head: Head, required: tuple[str, ...], fmt: str) -> None:
    """Raise a clear error when columns that *fmt* needs are missing from *head*."""
    missing = [c for c in required if c not in (head.columns or ())]
    if missing:
        raise InputError(
            f"{head.path}: missing column(s) {', '.join(missing)} required by format {fmt!r} "
            f"(found: {', '.join(head.columns or ())})."
        )


def stage_csv(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    head: Head,
    select: str,
    **staged: object,
) -> Staged:
    """Read *path* with DuckDB and apply *select* (a SELECT list over the raw VARCHAR columns).

    *select* refers to raw columns by their quoted names (:func:`ident`) and produces staging columns;
    ``_line`` (a good-row ordinal), ``_raw`` and the structural rejects are added here. Rows come in file
    order, also when *select* holds window functions.
    """
    names = raw_columns(head)
    n = next(_counter)
    rejects_table, rejects_scan = f"overt_rejects_{n}", f"overt_scan_{n}"
    raw_expr = "concat_ws($delim, " + ", ".join(f"coalesce({ident(c)}, '')" for c in names) + ")"
    relation = con.sql(
        f"""
        SELECT row_number() OVER () AS _line, {raw_expr} AS _raw, {select}
        FROM read_csv($path, auto_detect = false, header = true, columns = $columns, delim = $delim,
                      quote = '"', escape = '"', store_rejects = true, rejects_table = $rt,
                      rejects_scan = $rs, max_line_size = 16777216, strict_mode = true)
        """,
        params={
            "path": str(path),
            "columns": {c: "VARCHAR" for c in names},
            "delim": head.delimiter or ",",
            "rt": rejects_table,
            "rs": rejects_scan,
        },
    )
    if _has_window(con, select):
        relation = relation.order("_line")  # a window returns rows grouped by its partitions

    def structural_rejects() -> duckdb.DuckDBPyRelation:
        # DuckDB records one error per surplus column; a row is one reject, reported with its last error.
        return con.sql(
            f"""
            SELECT line, min(column_name) AS field,
                   string_agg(DISTINCT lower(replace(error_type, '_', ' ')), ', ') || ': '
                       || arg_max(error_message, column_idx) AS reason,
                   any_value(csv_line) AS raw
            FROM {rejects_table}
            GROUP BY line
            ORDER BY line
            """
        )

    return Staged(
        relation=relation,
        line_is_ordinal=True,
        header_lines=1,
        structural_rejects=structural_rejects,
        **staged,  # type: ignore[arg-type]
    )


def _has_window(con: duckdb.DuckDBPyConnection, select: str) -> bool:
    # DuckDB's own parse tree of *select*, where every window function is an expression of class WINDOW.
    tree: str = con.execute("SELECT json_serialize_sql($q)", {"q": f"SELECT {select}"}).fetchall()[0][0]
    return '"class":"WINDOW"' in tree


def sql_bracket_list(column: str) -> str:
    """A DuckDB expression splitting a bracketed list cell into VARCHAR[].

    Handles the Twitter IO archive's ``[a, b]`` and Python-style ``['a', 'b']`` cells; an empty cell or
    ``[]`` gives an empty list (the source says: none).
    """
    cell = f"trim(coalesce({column}, ''))"
    inner = f"regexp_replace({cell}, '^\\[|\\]$', '', 'g')"
    split = f"list_filter(list_transform(string_split({inner}, ','), lambda v: trim(v, ' ''\"')), lambda v: v <> '')"
    # Most cells are empty: skip the regex and the lambdas for them.
    return f"CASE WHEN {cell} IN ('', '[]') THEN []::VARCHAR[] ELSE {split} END"


def sql_str(value: str) -> str:
    """*value* as a SQL string literal (for constants that DuckDB cannot take as parameters)."""
    return "'" + value.replace("'", "''") + "'"
