"""Mapping files (``--mapping FILE.toml``): how the columns of any table become canonical staging columns.

The file is small TOML, validated strictly when it is loaded; every error names the mapping file, the line
and the key. The reference, with a worked example, is ``docs/formats/table.md``::

    [input]                       # all optional
    platform = "twitter"          # the platform of every row, when no column gives it
    entity = "post"               # "post" (default) or "account" for a file of account profiles
    delimiter = ","               # CSV/TSV only; default: sniffed from the header line
    nulls = ["NA"]                # values that mean "missing" in every mapped column

    [columns]                     # canonical column = source column
    post_id = "id"
    kind = "post_type"
    repost_of_post_id = { column = "ref_id", when = { post_type = "retweet" } }
    hashtags = { column = "hashtags", split = " " }
    label = { value = "io" }      # a constant

    [values.kind]                 # source value -> canonical value
    retweet = "repost"

    [time]                        # "iso" (default), "epoch", "epoch_ms" or strptime formats; zone default UTC
    created_at = { format = ["%Y-%m-%d %H:%M:%S", "iso"], timezone = "Europe/Berlin" }
"""

from __future__ import annotations

import os
import re
import tomllib
import zoneinfo
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from overt.errors import MappingError
from overt.ingest.formats.base import ACCOUNT_COLUMNS, LABEL_COLUMNS, LIST_COLUMNS, POST_COLUMNS

#: Canonical columns a mapping may fill, in the order they are listed in error messages.
CANONICAL = (*POST_COLUMNS, *LIST_COLUMNS, *ACCOUNT_COLUMNS, *LABEL_COLUMNS)
TIME_COLUMNS = ("created_at", "account_created_at")
REQUIRED = {"post": ("post_id", "account_id", "created_at"), "account": ("account_id",)}
#: ``split`` value for cells written as a bracketed list: ``[a, b]``, ``['a', 'b']``, ``["a", "b"]``.
SPLIT_LIST = "list"
_SPECIAL_TIMES = ("iso", "epoch", "epoch_ms")


@dataclass(frozen=True)
class ColumnSpec:
    """Where one canonical column comes from."""

    target: str
    line: int
    column: str | None = None
    value: str | None = None
    #: (source column, accepted values): the row's value is used only when every condition holds.
    when: tuple[tuple[str, tuple[str, ...]], ...] = ()
    split: str | None = None


@dataclass(frozen=True)
class TimeSpec:
    """How a mapped time column is written."""

    formats: tuple[str, ...] = ("iso",)
    timezone: str | None = None
    line: int = 0


@dataclass(frozen=True)
class Mapping:
    """A validated mapping file."""

    path: Path
    columns: dict[str, ColumnSpec] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    times: dict[str, TimeSpec] = field(default_factory=dict)
    entity: str = "post"
    delimiter: str | None = None
    nulls: tuple[str, ...] = ()

    def error(self, line: int | None, where: str, message: str) -> MappingError:
        """A :class:`MappingError` located at *line* of the mapping file."""
        return MappingError(f"{self.path}:{line or 1}: {where}: {message}")


def load_mapping(path: str | os.PathLike[str]) -> Mapping:
    """Read and validate the mapping file *path*.

    Raises
    ------
    MappingError
        When the file is missing, is not valid TOML, or maps something that cannot be mapped.
    """
    path = Path(path)
    if not path.is_file():
        raise MappingError(f"{path}: no such mapping file.")
    text = path.read_text(encoding="utf-8")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # Python 3.11's error has no line attribute; its message ends with "(at line L, column C)".
        found = re.search(r"\(at line (\d+), column \d+\)", str(exc))
        message = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
        raise MappingError(f"{path}:{found.group(1) if found else 1}: invalid TOML: {message}.") from exc
    return _Parser(path, text).parse(data)


class _Parser:
    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.lines = text.splitlines()

    def fail(self, section: str, key: str | None, message: str) -> MappingError:
        """An error at *key* of table *section* ("" for the top level)."""
        where = " ".join(([f"[{section}]"] if section else []) + ([key] if key else []))
        return MappingError(f"{self.path}:{self.line(section, key)}: {where}: {message}")

    def line(self, section: str, key: str | None = None) -> int:
        """Line of *key* in table *section* (or of the table's header): TOML keeps no positions."""
        current, header = "", 0
        bare = re.compile(r"^\s*\[\s*([^\]]+?)\s*\]\s*(#.*)?$")
        for number, text in enumerate(self.lines, start=1):
            match = bare.match(text)
            if match and not text.lstrip().startswith("[["):
                current = re.sub(r"\s*\.\s*", ".", match.group(1)).replace('"', "")
                if current == section:
                    header = number
                continue
            if key is not None and current == section and re.match(rf"""^\s*(["']?){re.escape(key)}\1\s*=""", text):
                return number
        return header or 1

    def table(self, data: dict[str, Any], section: str) -> dict[str, Any]:
        value = data.get(section, {})
        if not isinstance(value, dict):
            raise self.fail(section, None, f"must be a table, not {type(value).__name__}")
        return value

    def string(self, section: str, key: str, value: Any) -> str:
        if not isinstance(value, str) or not value:
            raise self.fail(section, key, f"must be a non-empty string, not {value!r}")
        return value

    def parse(self, data: dict[str, Any]) -> Mapping:
        for key, value in data.items():
            if key not in ("input", "columns", "values", "time"):
                section, name = (key, None) if isinstance(value, dict) else ("", key)
                raise self.fail(
                    section, name, "unknown table or key; expected [input], [columns], [values.*] or [time]"
                )
        entity, delimiter, nulls, platform = "post", None, (), None
        for key, value in self.table(data, "input").items():
            if key == "entity":
                entity = self.string("input", key, value)
                if entity not in REQUIRED:
                    raise self.fail("input", key, f"must be 'post' or 'account', not {entity!r}")
            elif key == "delimiter":
                delimiter = self.string("input", key, value)
                if len(delimiter) != 1:
                    raise self.fail("input", key, f"must be one character, not {delimiter!r}")
            elif key == "nulls":
                if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                    raise self.fail("input", key, f"must be a list of strings, not {value!r}")
                nulls = tuple(value)
            elif key == "platform":
                platform = self.string("input", key, value)
            else:
                raise self.fail("input", key, "unknown key; expected platform, entity, delimiter or nulls")
        if "columns" not in data:
            raise self.fail("columns", None, "missing table: map at least " + ", ".join(REQUIRED[entity]))
        columns = {k: self.column(k, v) for k, v in self.table(data, "columns").items()}
        if platform is not None:
            if "platform" in columns:
                raise self.fail("input", "platform", "set either [input] platform or [columns] platform, not both")
            columns["platform"] = ColumnSpec("platform", self.line("input", "platform"), value=platform)
        missing = [c for c in ("platform", *REQUIRED[entity]) if c not in columns]
        if missing:
            raise self.fail(
                "columns",
                None,
                f"missing mapping for {', '.join(missing)} (needed for {entity} rows; "
                "platform may also be set as [input] platform)",
            )
        return Mapping(
            self.path,
            columns,
            self.values(data, columns),
            self.times(data, columns),
            entity,
            delimiter,
            nulls,
        )

    def column(self, target: str, spec: Any) -> ColumnSpec:
        if target not in CANONICAL:
            raise self.fail("columns", target, f"unknown canonical column; valid columns: {', '.join(CANONICAL)}")
        line = self.line("columns", target)
        if isinstance(spec, str):
            return ColumnSpec(target, line, column=self.string("columns", target, spec))
        if not isinstance(spec, dict):
            raise self.fail("columns", target, f"must be a source column name or a table, not {spec!r}")
        unknown = set(spec) - {"column", "value", "when", "split"}
        if unknown:
            raise self.fail(
                "columns",
                target,
                f"unknown key {sorted(unknown)[0]!r}; expected column, value, when or split",
            )
        if ("column" in spec) == ("value" in spec):
            raise self.fail("columns", target, "give exactly one of column (a source column) or value (a constant)")
        column = self.string("columns", target, spec["column"]) if "column" in spec else None
        value = self.string("columns", target, spec["value"]) if "value" in spec else None
        split = spec.get("split")
        if split is not None:
            if target not in LIST_COLUMNS:
                raise self.fail("columns", target, f"split applies to list columns only ({', '.join(LIST_COLUMNS)})")
            if not isinstance(split, str) or not split:
                raise self.fail("columns", target, f"split must be a separator or {SPLIT_LIST!r}, not {split!r}")
        return ColumnSpec(target, line, column, value, self.when(target, spec.get("when", {})), split)

    def when(self, target: str, spec: Any) -> tuple[tuple[str, tuple[str, ...]], ...]:
        if not isinstance(spec, dict):
            raise self.fail("columns", target, f"when must be a table of source column = value(s), not {spec!r}")
        out = []
        for source, accepted in spec.items():
            values = [accepted] if isinstance(accepted, str) else accepted
            if not isinstance(values, list) or not values or not all(isinstance(v, str) for v in values):
                raise self.fail(
                    "columns",
                    target,
                    f"when {source}: must be a string or a list of strings, not {accepted!r}",
                )
            out.append((source, tuple(values)))
        return tuple(out)

    def values(self, data: dict[str, Any], columns: dict[str, ColumnSpec]) -> dict[str, dict[str, str]]:
        out: dict[str, dict[str, str]] = {}
        for target, table in self.table(data, "values").items():
            section = f"values.{target}"
            if target not in columns or columns[target].column is None:
                raise self.fail(section, None, f"{target} is not mapped from a source column in [columns]")
            if not isinstance(table, dict) or not all(isinstance(v, str) for v in table.values()):
                raise self.fail(section, None, "must be a table of source value = canonical value (strings)")
            out[target] = dict(table)
        return out

    def times(self, data: dict[str, Any], columns: dict[str, ColumnSpec]) -> dict[str, TimeSpec]:
        out: dict[str, TimeSpec] = {}
        for target, spec in self.table(data, "time").items():
            if target not in TIME_COLUMNS:
                raise self.fail("time", target, f"unknown time column; expected {' or '.join(TIME_COLUMNS)}")
            if target not in columns:
                raise self.fail("time", target, f"{target} is not mapped in [columns]")
            spec = {"format": spec} if isinstance(spec, str | list) else spec
            if not isinstance(spec, dict) or set(spec) - {"format", "timezone"}:
                raise self.fail("time", target, "must be a format, or a table with format and timezone")
            fmt = spec.get("format", "iso")
            formats = (fmt,) if isinstance(fmt, str) else fmt
            if not isinstance(formats, list | tuple) or not formats or not all(isinstance(f, str) for f in formats):
                raise self.fail("time", target, f"format must be a string or a list of strings, not {fmt!r}")
            for f in formats:
                self.check_format(target, f, len(formats))
            zone = spec.get("timezone")
            if zone is not None:
                self.check_zone(target, zone)
            out[target] = TimeSpec(tuple(formats), zone, self.line("time", target))
        return out

    def check_format(self, target: str, fmt: str, count: int) -> None:
        if fmt in ("epoch", "epoch_ms") and count > 1:
            raise self.fail("time", target, f"format {fmt!r} cannot be combined with other formats")
        if fmt in _SPECIAL_TIMES:
            return
        if "%" not in fmt:
            raise self.fail(
                "time",
                target,
                f"bad time format {fmt!r}: expected iso, epoch, epoch_ms or a strptime "
                "format such as '%Y-%m-%d %H:%M:%S'",
            )
        try:
            with duckdb.connect() as con:
                con.execute("SELECT try_strptime('', $fmt)", {"fmt": fmt})
        except duckdb.Error as exc:
            raise self.fail("time", target, f"bad time format {fmt!r}: {exc}") from exc

    def check_zone(self, target: str, zone: Any) -> None:
        if not isinstance(zone, str) or not zone:
            raise self.fail("time", target, f"timezone must be an IANA zone name, not {zone!r}")
        try:
            zoneinfo.ZoneInfo(zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
            raise self.fail(
                "time", target, f"unknown timezone {zone!r} (expected an IANA name such as 'Europe/Berlin')"
            ) from exc
