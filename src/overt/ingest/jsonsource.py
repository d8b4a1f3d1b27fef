"""JSON inputs turned into staging rows: JSON lines, or one JSON document holding an array of records.

JSON readers are record-oriented, so they run in Python: each record is mapped by the reader to zero or more
staging rows (dicts of staging columns), collected into Arrow batches and handed to DuckDB as a stream.
A line that is not valid JSON, or a record the reader cannot use, becomes a staging row with
``_error_field``/``_error_reason`` set, so it lands in rejects with its line.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from overt.ingest.formats.base import STAGING, Head, Staged, dumps
from overt.ingest.sniff import open_text

if TYPE_CHECKING:
    import duckdb

BATCH = 20_000

#: A reader's record mapper: (record, line) -> staging rows. Raise RecordError to reject the record.
RecordMapper = Callable[[Any], Iterable[dict[str, Any]]]


class RecordError(ValueError):
    """A JSON record that cannot be used; ``field`` names the key at fault."""

    def __init__(self, field: str | None, reason: str) -> None:
        super().__init__(reason)
        self.field = field
        self.reason = reason


_ARROW_TYPES: dict[str, pa.DataType] = {
    "BIGINT": pa.int64(),
    "VARCHAR": pa.string(),
    "VARCHAR[]": pa.list_(pa.string()),
}


def _arrow_type(sql_type: str) -> pa.DataType:
    return _ARROW_TYPES[sql_type]


STAGING_SCHEMA = pa.schema([(name, _arrow_type(t)) for name, t in STAGING.items()])


def iter_records(head: Head) -> Iterator[tuple[int, Any, str | None]]:
    """Yield ``(line, record, error)`` for every record of the file.

    - JSON lines of objects (the first non-blank line is a whole JSON object): one record per non-blank line,
      numbered by physical line.
    - JSON lines of arrays (pages of results, one page per line; also a compact one-line array): one record
      per element, numbered 1, 2, ... across the file so that every record has its own number; a line that
      does not parse takes the next number and its reason names the physical line.
    - One JSON document (pretty-printed): an array yields its elements numbered by position, an object
      yields itself with number 1.
    """
    mode = _layout(head)
    if mode == "document":
        with open_text(head.path) as f:
            try:
                document = json.load(f)
            except json.JSONDecodeError as exc:
                yield exc.lineno, None, f"invalid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
                return
        for i, item in enumerate(document if isinstance(document, list) else [document], start=1):
            yield i, item, None
        return
    position = 0
    with open_text(head.path) as f:
        for physical, line in enumerate(f, start=1):
            text = line.rstrip("\r\n")
            if not text.strip():
                continue
            try:
                value = json.loads(text)
            except json.JSONDecodeError as exc:
                position += 1
                where = f" on line {physical}" if mode == "pages" else ""
                yield (
                    (position if mode == "pages" else physical),
                    text,
                    (f"invalid JSON{where}: {exc.msg} (column {exc.colno})"),
                )
                continue
            if mode == "lines":
                yield physical, value, None
                continue
            for item in value if isinstance(value, list) else [value]:
                position += 1
                yield position, item, None


def _layout(head: Head) -> str:
    """``lines`` (JSON lines of objects), ``pages`` (JSON lines of arrays) or ``document`` (one JSON value)."""
    first_line = head.text.lstrip().split("\n", 1)[0]
    try:
        value = json.loads(first_line)
    except json.JSONDecodeError:
        return "document"
    return "pages" if isinstance(value, list) else "lines"


def stage_json(
    con: duckdb.DuckDBPyConnection,
    head: Head,
    mapper: Callable[[Any], Iterable[dict[str, Any]]],
    records: Iterable[tuple[int, Any, str | None]] | None = None,
    **staged: Any,
) -> Staged:
    """Stage a JSON file: *mapper* turns each record into staging rows (without ``_line``/``_raw``)."""
    source = iter_records(head) if records is None else records

    def rows() -> Iterator[dict[str, Any]]:
        for line, record, error in source:
            if error is not None:
                yield {"_line": line, "_error_field": None, "_error_reason": error, "_raw": _raw(record)}
                continue
            try:
                produced = list(mapper(record))
            except RecordError as exc:
                yield {
                    "_line": line,
                    "_error_field": exc.field,
                    "_error_reason": exc.reason,
                    "_raw": _raw(record),
                }
                continue
            if not produced:
                yield {
                    "_line": line,
                    "_error_field": None,
                    "_error_reason": "record holds no post or account",
                    "_raw": _raw(record),
                }
            for row in produced:
                row["_line"] = line
                row.setdefault("_raw", None)
                yield row

    def batches() -> Iterator[pa.RecordBatch]:
        buffer: list[dict[str, Any]] = []
        for row in rows():
            buffer.append(row)
            if len(buffer) >= BATCH:
                yield pa.RecordBatch.from_pylist(buffer, schema=STAGING_SCHEMA)
                buffer = []
        if buffer:
            yield pa.RecordBatch.from_pylist(buffer, schema=STAGING_SCHEMA)

    stream = pa.RecordBatchReader.from_batches(STAGING_SCHEMA, batches())
    return Staged(relation=con.from_arrow(stream), **staged)


def _raw(record: Any) -> str | None:
    if record is None:
        return None
    return record if isinstance(record, str) else dumps(record)[:10_000]


def get_path(record: Any, *keys: str | int) -> Any:
    """``record[k1][k2]...`` or None when any step is missing."""
    for key in keys:
        if isinstance(record, dict) and isinstance(key, str):
            record = record.get(key)
        elif isinstance(record, list) and isinstance(key, int) and -len(record) <= key < len(record):
            record = record[key]
        else:
            return None
    return record


def as_str(value: Any) -> str | None:
    """A JSON scalar as staging text (ids may be numbers in JSON); None stays None."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
