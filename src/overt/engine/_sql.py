"""SQL written once (DuckDB's dialect) and rewritten for other engines with SQLGlot.

SQLGlot's own DuckDB → Spark translation is right for nearly everything the detectors write. Where it is not, the
difference is in meaning rather than syntax, and it is fixed here, once, as a rewrite of the parsed query (never in
a detector):

* ``len(list)``: SQLGlot reads DuckDB's ``len`` as string ``LENGTH``, which Spark refuses on arrays. A ``len`` or
  ``length`` of an array (a column known to hold lists, or a list function) becomes ``SIZE``.
* ``list[a:b]``: DuckDB slices are 1-based and inclusive; Spark has no slice syntax: ``SLICE(list, a, b - a + 1)``.
* ``array_agg(x ORDER BY k)``: Spark's ``COLLECT_LIST`` has no order; the rewrite collects ``(k, x)`` structs,
  sorts them and keeps ``x`` (ascending keys only; a descending key raises rather than silently reorders).
* ``list_intersect``: unknown to SQLGlot, Spark's ``ARRAY_INTERSECT``.
* ``quantile_cont(x, q)``: Spark's ``PERCENTILE(x, q)`` (exact, linear interpolation, like DuckDB's).
* ``to_timestamp(seconds)``: ``TIMESTAMP_SECONDS`` rather than a round trip through a formatted string.
* Regular expressions: DuckDB's RE2 ``\\s`` is ``[\\t\\n\\f\\r ]``; Java's also matches the vertical tab, so
  ``\\s``/``\\S`` outside a character class are spelled out. (``\\w`` and ``\\d`` are ASCII in both.)
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

#: The dialect detector SQL is written in.
SOURCE_DIALECT = "duckdb"

#: Columns that hold lists in the canonical tables and in the detectors' intermediate tables.
KNOWN_LIST_COLUMNS = frozenset(
    {"urls", "domains", "hashtags", "mentions", "media", "toks", "rks", "items", "traces", "top_items"}
)

# RE2's \s, spelled out, inside and outside a character class.
_SPACE = "\\t\\n\\f\\r "


def transpile(sql: str, dialect: str, *, list_columns: Iterable[str] = ()) -> str:
    """*sql* (DuckDB dialect) rewritten for *dialect*; raises when a construct has no equivalent there.

    *list_columns* names further columns that hold lists (the Spark engine passes those of its tables), so
    that ``len`` of them becomes the array size.
    """
    if dialect == SOURCE_DIALECT:
        return sql
    # Imported here: only engines other than DuckDB need it, and it takes a tenth of a second to load.
    import sqlglot
    from sqlglot.errors import ErrorLevel

    if dialect != "spark":
        return sqlglot.transpile(sql, read=SOURCE_DIALECT, write=dialect, unsupported_level=ErrorLevel.RAISE)[0]
    tree = sqlglot.parse_one(sql, read=SOURCE_DIALECT)
    lists = KNOWN_LIST_COLUMNS | frozenset(list_columns)
    # Twice: a rewritten node's children are not visited again in the same pass (len(list_intersect(...))).
    for _ in range(2):
        tree = tree.transform(lambda node: _for_spark(node, lists))
    out: str = tree.sql(dialect="spark", unsupported_level=ErrorLevel.RAISE)
    return out


def _for_spark(node: Any, lists: frozenset[str]) -> Any:
    from sqlglot import exp

    if isinstance(node, exp.Anonymous) and str(node.name).lower() == "list_intersect":
        return exp.Anonymous(this="ARRAY_INTERSECT", expressions=node.expressions)
    if isinstance(node, exp.Length) and _is_list(node.this, lists):
        return exp.ArraySize(this=node.this)
    if isinstance(node, exp.Bracket) and len(node.expressions) == 1 and isinstance(node.expressions[0], exp.Slice):
        piece = node.expressions[0]
        start = piece.this if piece.this is not None else exp.Literal.number(1)
        if piece.expression is None:
            raise ValueError("an open-ended list slice has no Spark equivalent here; give both bounds")
        length = exp.Add(
            this=exp.Sub(this=piece.expression.copy(), expression=start.copy()), expression=exp.Literal.number(1)
        )
        return exp.Anonymous(this="SLICE", expressions=[node.this, start, exp.paren(length, copy=False)])
    if isinstance(node, exp.ArrayAgg) and isinstance(node.this, exp.Order):
        return _ordered_collect(node.this)
    if isinstance(node, exp.PercentileCont) and node.args.get("expression") is not None:
        # DuckDB's quantile_cont(x, q): Spark's exact PERCENTILE interpolates linearly the same way.
        return exp.Anonymous(this="PERCENTILE", expressions=[node.this, node.expression])
    if isinstance(node, exp.UnixToTime) and not node.args.get("format") and not node.args.get("scale"):
        return exp.Anonymous(this="TIMESTAMP_SECONDS", expressions=[node.this])
    if isinstance(node, exp.RegexpReplace | exp.RegexpExtract | exp.RegexpExtractAll | exp.RegexpLike):
        pattern = node.args.get("expression")
        if isinstance(pattern, exp.Literal) and pattern.is_string:
            node.set("expression", exp.Literal.string(re2_spaces(pattern.this)))
    return node


def _is_list(node: Any, lists: frozenset[str]) -> bool:
    from sqlglot import exp

    if isinstance(node, exp.Column):
        return str(node.name) in lists
    if isinstance(node, exp.Anonymous):
        return str(node.name).lower().startswith(("list_", "array_"))
    list_nodes = (exp.ArrayDistinct, exp.ArraySort, exp.RegexpExtractAll, exp.ArrayAgg, exp.Array, exp.Split)
    return isinstance(node, list_nodes) or (hasattr(exp, "ArrayIntersect") and isinstance(node, exp.ArrayIntersect))


def _ordered_collect(order: Any) -> Any:
    """``array_agg(x ORDER BY k1, k2)`` as Spark: sort collected ``(k1, k2, x)`` structs and keep ``x``."""
    import sqlglot
    from sqlglot import exp

    keys = []
    for i, ordered in enumerate(order.expressions):
        if ordered.args.get("desc"):
            raise ValueError("array_agg(... ORDER BY ... DESC) has no portable Spark form here; order ascending")
        keys.append(f"{ordered.this.sql(dialect='spark')} AS _k{i}")
    value = order.this.sql(dialect="spark")
    text = f"TRANSFORM(ARRAY_SORT(COLLECT_LIST(STRUCT({', '.join(keys)}, {value} AS _v))), _e -> _e._v)"
    node = sqlglot.parse_one(text, read="spark")
    assert isinstance(node, exp.Expression)
    return node


def re2_spaces(pattern: str) -> str:
    """*pattern* with RE2's ``\\s``/``\\S`` spelled out, so that Java's regular expressions match the same."""
    out: list[str] = []
    in_class = False
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\" and i + 1 < len(pattern):
            nxt = pattern[i + 1]
            if nxt == "s":
                out.append(_SPACE if in_class else f"[{_SPACE}]")
            elif nxt == "S" and not in_class:
                out.append(f"[^{_SPACE}]")
            else:
                out.append(pattern[i : i + 2])
            i += 2
            continue
        if c == "[" and not in_class:
            in_class = True
        elif c == "]" and in_class:
            in_class = False
        out.append(c)
        i += 1
    return "".join(out)
