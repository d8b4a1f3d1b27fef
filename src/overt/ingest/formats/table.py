"""The ``table`` format: any CSV/TSV, JSON-lines or Parquet file read through a mapping file."""

from __future__ import annotations

import csv
import dataclasses
import io
import itertools
import json
from abc import ABC, abstractmethod
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pyarrow as pa

from overt.errors import InputError
from overt.ingest.csvsource import ident, raw_columns, sql_bracket_list, sql_str, stage_csv
from overt.ingest.formats.base import LIST_COLUMNS, Head, Options, Reader, Staged
from overt.ingest.mapping import SPLIT_LIST, ColumnSpec, Mapping, TimeSpec
from overt.ingest.normalise import TimeFormat
from overt.ingest.sniff import is_parquet, open_text

if TYPE_CHECKING:
    import duckdb

_BATCH = 50_000
_counter = itertools.count()


class TableReader(Reader):
    """Any table whose columns a mapping file (``--mapping FILE.toml``) names; see ``docs/formats/table.md``.

    Reads CSV/TSV (any one-character delimiter, compressed or not), JSON lines (one object per line; mapped
    names are top-level keys) and Parquet. Every mapped source column must exist in the file: in the header,
    the Parquet schema, or the JSON records of the file's first megabyte. Unmapped columns are ignored (they
    stay in ``raw`` for rejected rows). Lines are physical lines for CSV and JSON lines (blank lines are
    skipped; an invalid JSON line is rejected with its line) and row numbers starting at 1 for Parquet.

    Cannot read: a JSON document holding one array or one pretty-printed object (use JSON lines), nested JSON
    keys, several entities in one file (one mapping describes one kind of row). Never sniffed: it needs a
    mapping.
    """

    name = "table"
    description = "any CSV/TSV, JSON-lines or Parquet file with a TOML column mapping (--mapping)"

    @classmethod
    def sniff(cls, head: Head) -> bool:
        return False

    def stage(self, head: Head, con: duckdb.DuckDBPyConnection, options: Options) -> Staged:
        mapping = options.mapping
        if mapping is None:
            raise InputError(f"{head.path}: format 'table' needs --mapping FILE.toml (see docs/formats/table.md).")
        source: _Source
        if is_parquet(head.path):
            source = _ParquetSource(head, con)
        elif head.text.lstrip().startswith(("{", "[")):
            source = _JsonSource(head, con)
        else:
            source = _CsvSource(head, con, mapping)
        select = _select(mapping, source)

        def time(column: str) -> TimeFormat:
            # The mapping's zone describes this file; --timezone applies where the mapping names none.
            spec = mapping.times.get(column, TimeSpec())
            return TimeFormat(spec.formats, spec.timezone or options.timezone or "UTC")

        return source.stage(select, time("created_at"), time("account_created_at"))


class _Source(ABC):
    """One input file as source columns: SQL expressions giving each column as text."""

    kind = "file"

    def __init__(self, head: Head, con: duckdb.DuckDBPyConnection) -> None:
        self.head = head
        self.con = con
        self.columns: list[str] = []

    def text(self, column: str) -> str:
        return ident(column)

    def native_list(self, column: str) -> tuple[str, str] | None:
        """(condition, VARCHAR[] expression) when the column holds a list itself, else None."""
        return None

    @abstractmethod
    def stage(self, select: str, created_at: TimeFormat, account_created_at: TimeFormat) -> Staged:
        """The staging relation: *select* over this file's rows, with ``_line`` and ``_raw``."""


class _CsvSource(_Source):
    kind = "CSV file"

    def __init__(self, head: Head, con: duckdb.DuckDBPyConnection, mapping: Mapping) -> None:
        if mapping.delimiter is not None and mapping.delimiter != head.delimiter:
            # The header was split on the sniffed delimiter; split it again on the one the mapping names.
            first = next(csv.reader(io.StringIO(head.text), delimiter=mapping.delimiter), [])
            head = dataclasses.replace(head, delimiter=mapping.delimiter, columns=tuple(c.strip() for c in first))
        super().__init__(head, con)
        self.columns = raw_columns(head)

    def stage(self, select: str, created_at: TimeFormat, account_created_at: TimeFormat) -> Staged:
        return stage_csv(
            self.con,
            self.head.path,
            self.head,
            select,
            created_at=created_at,
            account_created_at=account_created_at,
        )


class _ParquetSource(_Source):
    kind = "Parquet file"

    def __init__(self, head: Head, con: duckdb.DuckDBPyConnection) -> None:
        super().__init__(head, con)
        relation = con.sql("SELECT * FROM read_parquet($path)", params={"path": str(head.path)})
        self.types = {c: str(t) for c, t in zip(relation.columns, relation.types, strict=True)}
        self.columns = list(self.types)

    def text(self, column: str) -> str:
        kind = self.types[column]
        if kind == "VARCHAR":
            return ident(column)
        if kind == "TIMESTAMP WITH TIME ZONE":
            # Text with an explicit UTC offset, so that the time is not read again in the mapping's zone.
            return f"strftime(timezone('UTC', {ident(column)}), '%Y-%m-%dT%H:%M:%S.%fZ')"
        return f"CAST({ident(column)} AS VARCHAR)"

    def native_list(self, column: str) -> tuple[str, str] | None:
        if not self.types[column].endswith("[]"):
            return None
        return "true", f"list_transform({ident(column)}, lambda v: CAST(v AS VARCHAR))"

    def stage(self, select: str, created_at: TimeFormat, account_created_at: TimeFormat) -> Staged:
        row = ", ".join(f"{ident(c)} := {ident(c)}" for c in self.columns)
        relation = self.con.sql(
            f"""
            SELECT file_row_number + 1 AS _line, CAST(to_json(struct_pack({row})) AS VARCHAR) AS _raw,
                   {select}
            FROM read_parquet($path, file_row_number = true)
            """,
            params={"path": str(self.head.path)},
        )
        return Staged(relation=relation, created_at=created_at, account_created_at=account_created_at)


class _JsonSource(_Source):
    kind = "JSON-lines file"

    def __init__(self, head: Head, con: duckdb.DuckDBPyConnection) -> None:
        super().__init__(head, con)
        if head.text.lstrip().startswith("["):
            raise InputError(
                f"{head.path}: format 'table' reads JSON lines (one object per line), not a JSON array; "
                "convert it first, e.g. jq -c '.[]'."
            )
        seen: dict[str, None] = {}
        for line in head.text.splitlines():
            # The head may end in a cut line, and a bad line is rejected later with its number: skip both.
            try:
                record = json.loads(line) if line.strip() else None
            except json.JSONDecodeError:
                continue
            if isinstance(record, dict):
                seen.update(dict.fromkeys(record))
        self.columns = list(seen)

    @staticmethod
    def _pointer(column: str) -> str:
        return sql_str("/" + column.replace("~", "~0").replace("/", "~1"))

    def text(self, column: str) -> str:
        return f"json_extract_string(_j, {self._pointer(column)})"

    def native_list(self, column: str) -> tuple[str, str] | None:
        pointer = self._pointer(column)
        return (
            f"json_type(_j, {pointer}) = 'ARRAY'",
            f"json_extract_string(json_extract(_j, {pointer}), '$[*]')",
        )

    def stage(self, select: str, created_at: TimeFormat, account_created_at: TimeFormat) -> Staged:
        fields: list[tuple[str, pa.DataType]] = [("_line", pa.int64()), ("_raw", pa.string())]
        schema = pa.schema(fields)
        name = f"overt_json_{next(_counter)}"
        self.con.register(name, pa.RecordBatchReader.from_batches(schema, _lines(self.head, schema)))
        relation = self.con.sql(
            f"""
            SELECT _line, left(_raw, 10000) AS _raw,
                   CASE WHEN NOT json_valid(_raw) THEN 'invalid JSON'
                        WHEN json_type(_raw) <> 'OBJECT' THEN 'not a JSON object' END AS _error_reason,
                   {select}
            FROM (SELECT *, CASE WHEN json_valid(_raw) THEN CASE WHEN json_type(_raw) = 'OBJECT' THEN _raw END
                            END AS _j
                  FROM {name})
            """,
        )
        return Staged(relation=relation, created_at=created_at, account_created_at=account_created_at)


def _lines(head: Head, schema: pa.Schema) -> Iterator[pa.RecordBatch]:
    """Non-blank lines of the file with their numbers; DuckDB parses the JSON."""
    numbers: list[int] = []
    texts: list[str] = []
    with open_text(head.path) as f:
        for number, line in enumerate(f, start=1):
            if line.strip():
                numbers.append(number)
                texts.append(line.rstrip("\r\n"))
            if len(numbers) >= _BATCH:
                yield pa.record_batch([pa.array(numbers, pa.int64()), pa.array(texts, pa.string())], schema=schema)
                numbers, texts = [], []
    if numbers:
        yield pa.record_batch([pa.array(numbers, pa.int64()), pa.array(texts, pa.string())], schema=schema)


def _select(mapping: Mapping, source: _Source) -> str:
    """The staging SELECT list for *source* under *mapping*."""
    parts = [f"{sql_str(mapping.entity)} AS _entity"]
    for target, spec in mapping.columns.items():
        for column in (spec.column, *(c for c, _ in spec.when)):
            if column is not None and column not in source.columns:
                raise mapping.error(
                    spec.line,
                    f"[columns] {target}",
                    f"column {column!r} is not in {source.kind} {source.head.path} "
                    f"(its columns: {', '.join(source.columns) or 'none'})",
                )
        parts.append(f"{_value(mapping, spec, source)} AS {target}")
    return ",\n".join(parts)


def _value(mapping: Mapping, spec: ColumnSpec, source: _Source) -> str:
    is_list = spec.target in LIST_COLUMNS
    if spec.value is not None:
        expr = f"[{sql_str(spec.value)}]" if is_list else sql_str(spec.value)
    else:
        assert spec.column is not None
        expr = _read(mapping, spec, source, is_list)
    if spec.when:
        conditions = " AND ".join(
            f"trim({source.text(column)}) IN ({', '.join(sql_str(v) for v in accepted)})"
            for column, accepted in spec.when
        )
        expr = f"CASE WHEN {conditions} THEN {expr} END"
    return expr


def _read(mapping: Mapping, spec: ColumnSpec, source: _Source, is_list: bool) -> str:
    assert spec.column is not None
    text = source.text(spec.column)
    if mapping.nulls:
        nulls = ", ".join(sql_str(v) for v in mapping.nulls)
        text = f"CASE WHEN trim({text}) IN ({nulls}) THEN NULL ELSE {text} END"
    recode = mapping.values.get(spec.target)

    def mapped(value: str) -> str:
        if not recode:
            return value
        cases = " ".join(f"WHEN {sql_str(k)} THEN {sql_str(v)}" for k, v in recode.items())
        return f"CASE trim({value}) {cases} ELSE {value} END"

    if not is_list:
        return mapped(text)
    native = source.native_list(spec.column)
    if spec.split == SPLIT_LIST:
        items = sql_bracket_list(text)
    elif spec.split is not None and not spec.split.strip():
        items = f"regexp_split_to_array(trim(coalesce({text}, '')), '\\s+')"
    elif spec.split is not None:
        items = f"string_split(coalesce({text}, ''), {sql_str(spec.split)})"
    elif native is None and isinstance(source, _CsvSource):
        raise mapping.error(
            spec.line,
            f"[columns] {spec.target}",
            f'a {source.kind} holds text: add split = " " (or another separator, or {SPLIT_LIST!r} for '
            "[a, b] cells) to say how the list is written",
        )
    else:
        items = f"list_filter([{text}], lambda v: v IS NOT NULL)"
    if native is not None:
        condition, elements = native
        items = f"CASE WHEN {condition} THEN {elements} ELSE {items} END"
    cleaned = f"list_filter(list_transform({items}, lambda v: trim(v)), lambda v: v IS NOT NULL AND v <> '')"
    return f"list_transform({cleaned}, lambda v: {mapped('v')})" if recode else cleaned
