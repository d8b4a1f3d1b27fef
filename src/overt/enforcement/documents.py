"""YAML documents that remember where every value came from, so that every error names file, line and column.

Policies, rules and designations are written by people in YAML and checked before they are stored. A checker
must report *every* problem at once, each at the place it is in the file, with the line and a caret under it::

    policies/cib.yaml:12:5: unknown field 'severty' (did you mean 'severity'?)
       12 |     severty: high
          |     ^^^^^^^

:func:`load` parses a file into plain Python values and a position for each value (by its path of keys and list
indexes). The loader follows YAML 1.2 for booleans: only ``true``/``false`` are booleans, so the country code
``NO`` stays the string "NO" (YAML 1.1 would read it as false). Duplicate keys are errors, not "last one wins".
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from overt.errors import InputError

#: A path to a value inside a document: mapping keys and sequence indexes from the root.
Path_ = tuple[str | int, ...]


@dataclass(frozen=True)
class Position:
    """A place in a file: 1-based line and column."""

    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True)
class Problem:
    """One error found in a document: where, what, and the source line to show it in."""

    position: Position | None
    message: str
    source_line: str | None = None
    length: int = 1

    def render(self) -> str:
        """``file:line:col: message`` and, when the line is known, the line with a caret under the culprit."""
        if self.position is None:
            return self.message
        head = f"{self.position}: {self.message}"
        if self.source_line is None:
            return head
        number = str(self.position.line)
        gutter = " " * len(number)
        caret = " " * (self.position.column - 1) + "^" * max(1, self.length)
        return f"{head}\n {number} | {self.source_line.rstrip()}\n {gutter} | {caret}"


class DocumentError(InputError):
    """One or more problems in policy, rule or designation documents; the message lists every one."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        count = len(self.problems)
        heading = f"{count} problem{'s' if count != 1 else ''} found:"
        super().__init__("\n".join([heading, *(problem.render() for problem in self.problems)]))


class _Loader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 booleans (``NO`` is Norway, not false)."""


_Loader.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.copy().items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


@dataclass
class Document:
    """A parsed YAML file: its values (``data``) and the position of every value and mapping key."""

    path: str
    text: str
    data: Any
    positions: dict[Path_, Position] = field(default_factory=dict)
    key_positions: dict[Path_, Position] = field(default_factory=dict)
    _scalars: dict[Path_, yaml.ScalarNode] = field(default_factory=dict, repr=False)

    @property
    def lines(self) -> list[str]:
        return self.text.splitlines()

    def line(self, number: int) -> str | None:
        lines = self.lines
        return lines[number - 1] if 0 < number <= len(lines) else None

    def position(self, path: Path_, *, key: bool = False) -> Position:
        """Where the value at ``path`` is (its key with ``key=True``); the nearest enclosing value if it is absent."""
        table = self.key_positions if key else self.positions
        for end in range(len(path), -1, -1):
            found = table.get(path[:end]) or self.positions.get(path[:end])
            if found is not None:
                return found
        return Position(self.path, 1, 1)

    def problem(self, path: Path_, message: str, *, key: bool = False, length: int | None = None) -> Problem:
        """A problem located at the value (or key) at ``path``, underlined for its length on the line."""
        where = self.position(path, key=key)
        source = self.line(where.line)
        if length is None:
            node = None if key else self._scalars.get(path)
            if (
                node is not None
                and node.start_mark.line == node.end_mark.line
                and node.start_mark.line + 1 == where.line
            ):
                # A one-line value (quoted or not) is underlined whole.
                length = node.end_mark.column - node.start_mark.column
            else:
                length = _token_length(source, where.column)
        return Problem(where, message, source, length)

    def expression_position(self, path: Path_, line: int, column: int) -> Position:
        """The file position of (1-based ``line``, 0-based character ``column``) inside the string at ``path``.

        Rule conditions are strings in the document; a checker reports offsets within the string and this maps them
        back to the file, for plain, quoted and block (``|``, ``>``) scalars.
        """
        node = self._scalars.get(path)
        if node is None:
            return self.position(path)
        start = node.start_mark
        if node.style in ("|", ">"):
            first = start.line + 1  # 0-based line of the block's first content line
            lines = self.lines
            indent = 0
            for text in lines[first:]:
                if text.strip():
                    indent = len(text) - len(text.lstrip(" "))
                    break
            return Position(self.path, first + line, indent + column + 1)
        quote = 1 if node.style in ("'", '"') else 0
        if line == 1:
            return Position(self.path, start.line + 1, start.column + quote + column + 1)
        return Position(self.path, start.line + line, column + 1)


def _token_length(source: str | None, column: int) -> int:
    if source is None:
        return 1
    match = re.match(r"[^\s:,\]\}]+", source[column - 1 :])
    return len(match.group(0)) if match else 1


def _build(document: Document, node: yaml.Node, path: Path_, loader: _Loader, problems: list[Problem]) -> Any:
    mark = node.start_mark
    document.positions[path] = Position(document.path, mark.line + 1, mark.column + 1)
    if isinstance(node, yaml.MappingNode):
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            key_mark = key_node.start_mark
            key_position = Position(document.path, key_mark.line + 1, key_mark.column + 1)
            if not isinstance(key, str):
                problems.append(
                    Problem(key_position, f"keys must be text, not {key!r}", document.line(key_position.line))
                )
                continue
            if key in result:
                first = document.key_positions[(*path, key)]
                problems.append(
                    Problem(
                        key_position,
                        f"duplicate key '{key}' (first at line {first.line})",
                        document.line(key_position.line),
                        len(key),
                    )
                )
                continue
            document.key_positions[(*path, key)] = key_position
            result[key] = _build(document, value_node, (*path, key), loader, problems)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_build(document, item, (*path, index), loader, problems) for index, item in enumerate(node.value)]
    assert isinstance(node, yaml.ScalarNode)
    document._scalars[path] = node
    return loader.construct_object(node, deep=True)


def parse(text: str, path: str = "<string>") -> Document:
    """Parse YAML ``text`` (one document) into a :class:`Document`; raise :class:`DocumentError` if it is not YAML."""
    document = Document(path=path, text=text, data=None)
    loader = _Loader(text)
    problems: list[Problem] = []
    try:
        node = loader.get_single_node()
        if node is not None:
            document.data = _build(document, node, (), loader, problems)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        if mark is None:
            raise DocumentError([Problem(Position(path, 1, 1), f"not valid YAML: {error}")]) from error
        position = Position(path, mark.line + 1, mark.column + 1)
        reason = error.problem or error.context or "not valid YAML"
        raise DocumentError([Problem(position, f"not valid YAML: {reason}", document.line(position.line))]) from error
    except yaml.YAMLError as error:
        raise DocumentError([Problem(Position(path, 1, 1), f"not valid YAML: {error}")]) from error
    finally:
        loader.dispose()
    if problems:
        raise DocumentError(problems)
    return document


def load(path: str | Path) -> Document:
    """Read and parse the YAML file at ``path``."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as error:
        raise DocumentError([Problem(None, f"{file}: cannot read: {error.strerror or error}")]) from error
    except UnicodeDecodeError as error:
        raise DocumentError([Problem(Position(str(file), 1, 1), f"not UTF-8 text: {error.reason}")]) from error
    return parse(text, str(file))


def validation_problems(
    document: Document, error: Any, base: Path_ = (), known_fields: Iterable[str] = ()
) -> list[Problem]:
    """Turn a pydantic ``ValidationError`` into located problems, one per error, in file order.

    Unknown fields are reported at their key, with a "did you mean" hint from ``known_fields``.
    """
    known = sorted(set(known_fields))
    problems: list[Problem] = []
    for item in error.errors(include_url=False):
        loc: Path_ = tuple(part for part in item["loc"] if isinstance(part, str | int))
        path = (*base, *loc)
        kind = item["type"]
        if kind == "extra_forbidden":
            name = str(loc[-1]) if loc else "?"
            hint = did_you_mean(name, known)
            problems.append(document.problem(path, f"unknown field '{name}'{hint}", key=True, length=len(name)))
        elif kind == "missing":
            parent = path[:-1]
            problems.append(document.problem(parent, f"missing field '{loc[-1]}'", key=bool(parent)))
        else:
            message = item["msg"]
            field_name = ".".join(str(part) for part in loc) or "document"
            problems.append(document.problem(path, f"{field_name}: {message}"))
    return sorted(problems, key=_file_order)


def _file_order(problem: Problem) -> tuple[int, int]:
    return (problem.position.line, problem.position.column) if problem.position else (0, 0)


def did_you_mean(name: str, choices: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for the closest of ``choices``, or an empty string."""
    close = difflib.get_close_matches(name, list(choices), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""
