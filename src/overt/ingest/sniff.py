"""Reading the head of an input file: compression, delimited header or first JSON value."""

from __future__ import annotations

import bz2
import csv
import gzip
import io
import json
import lzma
from pathlib import Path
from typing import IO, Any

from overt.errors import InputError
from overt.ingest.formats.base import Head

HEAD_BYTES = 1 << 20
_DELIMITERS = (",", "\t", ";", "|")


def compression_of(path: Path) -> str | None:
    """The compression of *path* from its magic bytes ('gzip', 'bz2', 'xz', 'zstd') or None."""
    with path.open("rb") as f:
        magic = f.read(6)
    if magic.startswith(b"\x1f\x8b"):
        return "gzip"
    if magic.startswith(b"BZh"):
        return "bz2"
    if magic.startswith(b"\xfd7zXZ"):
        return "xz"
    if magic.startswith(b"\x28\xb5\x2f\xfd"):
        return "zstd"
    return None


def open_text(path: Path) -> IO[str]:
    """Open *path* as UTF-8 text, decompressing gzip, bz2 or xz; a leading BOM is skipped."""
    kind = compression_of(path)
    raw: IO[bytes]
    if kind == "gzip":
        raw = gzip.open(path, "rb")  # type: ignore[assignment]  # noqa: SIM115
    elif kind == "bz2":
        raw = bz2.open(path, "rb")  # noqa: SIM115  (the caller closes the wrapper)
    elif kind == "xz":
        raw = lzma.open(path, "rb")  # noqa: SIM115
    elif kind == "zstd":
        raise InputError(f"{path}: zstd-compressed JSON is not supported; decompress it first (zstd -d).")
    else:
        raw = path.open("rb")
    return io.TextIOWrapper(raw, encoding="utf-8-sig", errors="replace", newline="")


def is_parquet(path: Path) -> bool:
    with path.open("rb") as f:
        return f.read(4) == b"PAR1"


def read_head(path: Path) -> Head:
    """Read the first megabyte of *path* and recognise a delimited header or a first JSON value.

    Raises
    ------
    InputError
        When the file does not exist, is a directory, is empty or cannot be read.
    """
    if not path.exists():
        raise InputError(f"{path}: no such file.")
    if path.is_dir():
        raise InputError(f"{path}: is a directory; pass the files inside it.")
    if path.stat().st_size == 0:
        raise InputError(f"{path}: the file is empty.")
    if is_parquet(path):
        import pyarrow.parquet as pq

        names = tuple(pq.read_schema(path).names)
        return Head(path=path, text="", columns=names, delimiter=None, json=None)
    try:
        with open_text(path) as f:
            text = f.read(HEAD_BYTES)
            complete = f.read(1) == ""
    except (OSError, EOFError) as exc:
        raise InputError(f"{path}: cannot be read ({exc}).") from exc
    stripped = text.lstrip()
    if stripped.startswith(("{", "[")):
        return Head(path=path, text=text, columns=None, delimiter=None, json=_first_json(stripped, complete))
    return Head(path=path, text=text, columns=_header(text), delimiter=_delimiter(text), json=None)


def _first_json(text: str, complete: bool) -> Any:
    """The whole JSON value when the head holds the complete file, else the first line's value."""
    if complete:
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            pass  # JSON lines: fall through to the first line
    first = text.split("\n", 1)[0]
    try:
        return json.loads(first)
    except json.JSONDecodeError:
        return None


def _delimiter(text: str) -> str | None:
    first = text.split("\n", 1)[0]
    counts = {d: first.count(d) for d in _DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else None


def _header(text: str) -> tuple[str, ...] | None:
    delimiter = _delimiter(text)
    if delimiter is None:
        return None
    first = next(csv.reader(io.StringIO(text), delimiter=delimiter), None)
    return tuple(c.strip() for c in first) if first else None
