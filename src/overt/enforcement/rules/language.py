"""The rule condition language: a small, typed subset of Python expressions, checked before it can run.

Rule authors (policy and trust & safety staff) write conditions such as::

    cluster.score >= 0.6 and cluster.signals.working_hours.location_gap_hours >= 5

The text is parsed with :func:`ast.parse` and only this subset is accepted:

- ``and``, ``or``, ``not``; comparisons ``==  !=  <  <=  >  >=  in  not in`` (chains such as ``0.2 < x <= 0.5``
  too), and ``x is None`` / ``x is not None``;
- ``+ - * /`` on numbers and unary ``-``;
- literals: numbers, strings, ``True``, ``False``, ``None`` (only in ``is None``), lists or tuples of literals;
- field paths from the subject's roots (:mod:`overt.enforcement.rules.fields`), names defined in the rule's
  ``let`` block, and calls to the functions in :data:`FUNCTIONS`.

Everything else (indexing, lambdas, comprehensions, f-strings, ``:=``, keyword arguments, attributes starting
with ``_``, calls to other names) is an error. Nothing is ever passed to ``eval``.

**Types**: ``bool``, ``int``, ``float`` (an int is accepted where a float is), ``str``, ``timestamp`` and
``list[str]``, each possibly nullable (written ``float?``). A timestamp compares with another timestamp or with
an ISO 8601 string literal (``account.created_at >= "2016-01-01"``, read as UTC when it has no zone).

**Null semantics** (fields are null when a signal could not assess the subject, or the dataset lacks a column):

- a comparison with a null operand is false, whatever the operator (``!=`` too): as in SQL, an unknown value
  matches nothing; ``x is None`` / ``x is not None`` test for null;
- ``in`` / ``not in`` with a null operand is false; ``contains`` and ``any_in`` with a null list are false;
- arithmetic with a null operand gives null, and so does division by zero;
- ``and``, ``or``, ``not`` and the rule's ``when`` need a value that is never null: a nullable bool field must
  say what null means, ``coalesce(account.verified, False)``;
- ``min`` and ``max`` skip null arguments (null when all are null); ``abs``, ``len``, ``lower`` and
  ``days_between`` of null are null.

:func:`check_rule` checks a rule's ``let`` names and ``when`` together and reports *every* problem (unknown field
with a suggestion, wrong types, wrong function arguments, undefined or unused names, cycles between names),
each at its line and character column within the expression text.
"""

from __future__ import annotations

import ast
import difflib
import io
import tokenize
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from overt.enforcement.rules.fields import BOOL, FLOAT, INT, NULL, ROOTS, STR, Type, groups, schema

# -- functions ----------------------------------------------------------------------------------------------------

#: Checks argument types; returns the result type, or a message saying what is wrong with the arguments.
TypeRule = Callable[[Sequence[Type]], "Type | str"]


@dataclass(frozen=True)
class Function:
    """A function conditions may call: its signature and meaning (for docs and errors), type rule, and code."""

    name: str
    signature: str
    returns_doc: str
    doc: str
    arity: tuple[int, int | None]  # fewest and most arguments (None: no limit)
    types: TypeRule
    impl: Callable[..., Any]


def _numeric_result(args: Sequence[Type]) -> Type:
    name = "float" if any(a.name == "float" for a in args) else "int"
    return Type(name)


def _t_abs(args: Sequence[Type]) -> Type | str:
    return args[0] if args[0].numeric else f"needs a number, not {args[0]}"


def _t_minmax(args: Sequence[Type]) -> Type | str:
    bad = [a for a in args if not a.numeric]
    if bad:
        return f"needs numbers, not {bad[0]}"
    return _numeric_result(args).or_null(all(a.nullable for a in args))


def _t_len(args: Sequence[Type]) -> Type | str:
    if args[0].name == "str" or args[0].is_list:
        return INT.or_null(args[0].nullable)
    return f"needs a str or a list, not {args[0]}"


def _t_lower(args: Sequence[Type]) -> Type | str:
    return args[0] if args[0].name == "str" else f"needs a str, not {args[0]}"


def _t_coalesce(args: Sequence[Type]) -> Type | str:
    value, default = args
    if default.name == "null":
        return "needs a default that is not None"
    joined = _join(value, default)
    if joined is None:
        return f"needs a default of the value's type ({value.name}), not {default.name}"
    return Type(joined.name, default.nullable)


def _t_contains(args: Sequence[Type]) -> Type | str:
    collection, item = args
    if not collection.is_list:
        return f"needs a list as its first argument, not {collection}"
    if _join(collection.item, item) is None:
        return f"cannot look for a {item.name} in a {collection.name}"
    return BOOL


def _t_any_in(args: Sequence[Type]) -> Type | str:
    if not (args[0].is_list and args[1].is_list):
        return f"needs two lists, not {args[0]} and {args[1]}"
    if _join(args[0].item, args[1].item) is None:
        return f"cannot compare the items of a {args[0].name} with a {args[1].name}"
    return BOOL


def _t_days_between(args: Sequence[Type]) -> Type | str:
    bad = [a for a in args if a.name != "timestamp"]
    if bad:
        return f"needs two timestamps, not {bad[0]}"
    return FLOAT.or_null(any(a.nullable for a in args))


def _nullsafe(function: Callable[..., Any]) -> Callable[..., Any]:
    def call(*args: Any) -> Any:
        return None if any(a is None for a in args) else function(*args)

    return call


def _min(*args: Any) -> Any:
    present = [a for a in args if a is not None]
    return min(present) if present else None


def _max(*args: Any) -> Any:
    present = [a for a in args if a is not None]
    return max(present) if present else None


def _coalesce(value: Any, default: Any) -> Any:
    return default if value is None else value


def _contains(collection: Any, item: Any) -> bool:
    return collection is not None and item is not None and item in collection


def _any_in(a: Any, b: Any) -> bool:
    return a is not None and b is not None and any(x in b for x in a)


def _days_between(start: datetime, end: datetime) -> float:
    return (end - start).total_seconds() / 86400


FUNCTIONS: dict[str, Function] = {
    f.name: f
    for f in (
        Function("abs", "abs(x: number?)", "number?", "Absolute value.", (1, 1), _t_abs, _nullsafe(abs)),
        Function(
            "min",
            "min(a: number?, b: number?, ...)",
            "number?",
            "Smallest argument; nulls are skipped (null when all are null).",
            (2, None),
            _t_minmax,
            _min,
        ),
        Function(
            "max",
            "max(a: number?, b: number?, ...)",
            "number?",
            "Largest argument; nulls are skipped (null when all are null).",
            (2, None),
            _t_minmax,
            _max,
        ),
        Function("len", "len(x: str? | list?)", "int?", "Length of a text or list.", (1, 1), _t_len, _nullsafe(len)),
        Function("lower", "lower(x: str?)", "str?", "Text in lower case.", (1, 1), _t_lower, _nullsafe(str.casefold)),
        Function(
            "coalesce",
            "coalesce(x: T?, default: T)",
            "T",
            "`x`, or `default` when `x` is null.",
            (2, 2),
            _t_coalesce,
            _coalesce,
        ),
        Function(
            "contains",
            "contains(items: list?, item: T?)",
            "bool",
            "Whether `item` is in `items` (false when either is null).",
            (2, 2),
            _t_contains,
            _contains,
        ),
        Function(
            "any_in",
            "any_in(a: list?, b: list?)",
            "bool",
            "Whether any item of `a` is in `b` (false when either is null).",
            (2, 2),
            _t_any_in,
            _any_in,
        ),
        Function(
            "days_between",
            "days_between(start: timestamp?, end: timestamp?)",
            "float?",
            "Days from `start` to `end` (negative when `end` is earlier).",
            (2, 2),
            _t_days_between,
            _nullsafe(_days_between),
        ),
    )
}


def _join(a: Type, b: Type) -> Type | None:
    """The common type of ``a`` and ``b`` (int and float join to float), or None when they do not mix."""
    if a.name == "null":
        return b.or_null()
    if b.name == "null":
        return a.or_null()
    nullable = a.nullable or b.nullable
    if a.name == b.name:
        return Type(a.name, nullable)
    if a.numeric and b.numeric:
        return Type("float", nullable)
    if a.is_list and b.is_list and a.item.numeric and b.item.numeric:
        return Type("list[float]", nullable)
    return None


# -- diagnostics and results --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Diagnostic:
    """One problem in an expression: where (1-based line, 0-based *character* column, length) and what.

    ``expression`` says which expression of a rule it is in: ``("when",)`` or ``("let", name)``.
    ``at_name`` marks problems about a whole ``let`` entry (unused, cyclic), placed at its name.
    """

    expression: tuple[str, ...]
    line: int
    column: int
    length: int
    message: str
    at_name: bool = False


@dataclass
class Checked:
    """A checked expression: its syntax tree (positions relative to the expression), type and the fields it reads."""

    text: str
    tree: ast.expr
    type: Type
    fields: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    #: Literal values converted at check time, by ``id`` of their node (ISO strings compared with timestamps).
    constants: dict[int, Any] = field(default_factory=dict)


@dataclass
class CheckedRule:
    """A rule's checked ``let`` names (in dependency order) and ``when``; ``diagnostics`` lists every problem."""

    subject: str
    lets: dict[str, Checked]
    when: Checked | None
    diagnostics: list[Diagnostic]

    @property
    def ok(self) -> bool:
        return not self.diagnostics

    @property
    def fields(self) -> list[str]:
        """Every field the rule reads (through ``when`` and the names it uses), in first-use order."""
        seen: dict[str, None] = {}
        for checked in [*self.lets.values(), *([self.when] if self.when else [])]:
            seen.update(dict.fromkeys(checked.fields))
        return list(seen)

    @property
    def roots(self) -> set[str]:
        return {path.split(".", 1)[0] for path in self.fields}


# -- parsing ------------------------------------------------------------------------------------------------------


def _char_column(text_line: str, byte_offset: int) -> int:
    return len(text_line.encode("utf-8")[:byte_offset].decode("utf-8", errors="ignore"))


class _Parsed:
    def __init__(self, tree: ast.expr | None, shift: int, error: Diagnostic | None) -> None:
        self.tree, self.shift, self.error = tree, shift, error


def _parse(text: str, where: tuple[str, ...]) -> _Parsed:
    """Parse ``text`` as one expression; a multi-line text (a ``|`` block) is read as if in parentheses."""
    lines = text.splitlines() or [""]
    try:
        return _Parsed(ast.parse(text, mode="eval").body, 0, None)
    except SyntaxError as raw:
        first = raw
    try:
        # Wrapped, a condition may continue on the next line without backslashes; lines shift down by one.
        return _Parsed(ast.parse("(\n" + text + "\n)", mode="eval").body, 1, None)
    except SyntaxError as wrapped:
        inside = wrapped.lineno is not None and 2 <= wrapped.lineno <= len(lines) + 1
        error, shift = (wrapped, 1) if inside and "\n" in text.strip() else (first, 0)
        unclosed = _unclosed(text)
        if unclosed is not None and "\n" in text.strip():
            line, column, bracket = unclosed
            return _Parsed(None, 0, Diagnostic(where, line, column, 1, f"syntax error: '{bracket}' was never closed"))
    line = max(1, min((error.lineno or 1) - shift, len(lines)))
    column = max(0, (error.offset or 1) - 1)
    column = min(column, len(lines[line - 1]))
    length = 1
    if error.end_lineno == error.lineno and error.end_offset and error.end_offset > (error.offset or 0):
        length = error.end_offset - (error.offset or 0)
    message = f"syntax error: {error.msg}"
    return _Parsed(None, 0, Diagnostic(where, line, column, length, message))


def _unclosed(text: str) -> tuple[int, int, str] | None:
    """The first bracket that is never closed (line, character column, bracket), if any."""
    stack: list[tuple[int, int, str]] = []
    pairs = {")": "(", "]": "[", "}": "{"}
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type == tokenize.OP and token.string in "([{":
                stack.append((token.start[0], token.start[1], token.string))
            elif token.type == tokenize.OP and token.string in pairs and stack:
                stack.pop()
    except (tokenize.TokenError, SyntaxError):
        pass
    return stack[0] if stack else None


# -- checking -----------------------------------------------------------------------------------------------------

_NOT_ALLOWED: dict[type[ast.AST], str] = {
    ast.Subscript: "indexing or slicing ([...]) is not part of the rule language; name the field instead",
    ast.Lambda: "lambda is not part of the rule language",
    ast.ListComp: "comprehensions are not part of the rule language; use any_in or contains",
    ast.SetComp: "comprehensions are not part of the rule language; use any_in or contains",
    ast.DictComp: "comprehensions are not part of the rule language",
    ast.GeneratorExp: "comprehensions are not part of the rule language; use any_in or contains",
    ast.NamedExpr: "':=' is not part of the rule language; define names in the rule's let block",
    ast.JoinedStr: "f-strings are not part of the rule language",
    ast.IfExp: "'x if c else y' is not part of the rule language; combine conditions with and/or",
    ast.Dict: "dictionaries are not part of the rule language",
    ast.Set: "sets are not part of the rule language; use a list",
    ast.Starred: "'*' unpacking is not part of the rule language",
    ast.Await: "await is not part of the rule language",
}

_OPS = {
    ast.Eq: "==",
    ast.NotEq: "!=",
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
    ast.In: "in",
    ast.NotIn: "not in",
    ast.Is: "is",
    ast.IsNot: "is not",
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
}


class _Checker:
    """Types one expression; collects diagnostics instead of stopping. ``None`` as a type means "already reported"."""

    def __init__(
        self, subject: str, text: str, where: tuple[str, ...], shift: int, names: Mapping[str, Type | None]
    ) -> None:
        self.subject = subject
        self.schema = schema(subject)
        self.groups = groups(subject)
        self.lines = text.splitlines() or [""]
        self.where = where
        self.shift = shift
        self.names = names
        self.diagnostics: list[Diagnostic] = []
        self.fields: dict[str, None] = {}
        self.used: dict[str, None] = {}
        self.constants: dict[int, Any] = {}

    # positions
    def error(self, node: ast.AST, message: str) -> None:
        line = max(1, getattr(node, "lineno", 1 + self.shift) - self.shift)
        text = self.lines[line - 1] if line <= len(self.lines) else ""
        start = _char_column(text, getattr(node, "col_offset", 0))
        end_line = (getattr(node, "end_lineno", None) or line + self.shift) - self.shift
        if end_line == line and getattr(node, "end_col_offset", None) is not None:
            end = _char_column(text, node.end_col_offset)  # type: ignore[attr-defined]
        else:
            end = len(text.rstrip())
        self.diagnostics.append(Diagnostic(self.where, line, start, max(1, end - start), message))

    # dispatch
    def visit(self, node: ast.AST) -> Type | None:
        method = getattr(self, "visit_" + type(node).__name__, None)
        if method is not None:
            result: Type | None = method(node)
            return result
        message = _NOT_ALLOWED.get(type(node), f"{type(node).__name__} expressions are not part of the rule language")
        self.error(node, message)
        return None

    def visit_Constant(self, node: ast.Constant) -> Type | None:
        value = node.value
        if value is None:
            return NULL
        if isinstance(value, bool):
            return BOOL
        if isinstance(value, int):
            return INT
        if isinstance(value, float):
            return FLOAT
        if isinstance(value, str):
            return STR
        self.error(node, f"literal {value!r} is not part of the rule language (numbers, text, True, False, None)")
        return None

    def _literal(self, node: ast.expr) -> Type | None:
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and isinstance(node.operand, ast.Constant):
            return self.visit_UnaryOp(node)
        if isinstance(node, ast.Constant) and node.value is not None:
            return self.visit_Constant(node)
        self.error(node, "list items must be literals (numbers or text)")
        return None

    def _sequence(self, node: ast.List | ast.Tuple) -> Type | None:
        types = [self._literal(item) for item in node.elts]
        if any(t is None for t in types):
            return None
        names = {t.name for t in types if t is not None}
        if not names or names == {"str"}:
            return Type("list[str]")
        if names <= {"int", "float"}:
            return Type("list[float]" if "float" in names else "list[int]")
        self.error(node, "list items must all be text or all be numbers, not " + " and ".join(sorted(names)))
        return None

    visit_List = _sequence
    visit_Tuple = _sequence

    def visit_Name(self, node: ast.Name) -> Type | None:
        name = node.id
        if name in self.names:
            self.used[name] = None
            return self.names[name]
        if name in ROOTS[self.subject]:
            fields = sorted({p.split(".")[1] for p in self.schema if p.startswith(name + ".")})
            self.error(node, f"'{name}' is a group of fields, not a value; use one of its fields: {', '.join(fields)}")
            return None
        if name in FUNCTIONS:
            self.error(node, f"'{name}' is a function; call it: {FUNCTIONS[name].signature}")
            return None
        choices = [*self.names, *ROOTS[self.subject]]
        hint = _did_you_mean(name, choices)
        self.error(node, f"undefined name '{name}'{hint}; names are the rule's let names and the roots " + _roots(self))
        return None

    def visit_Attribute(self, node: ast.Attribute) -> Type | None:
        parts: list[str] = []
        current: ast.expr = node
        while isinstance(current, ast.Attribute):
            parts.append(current.attr)
            current = current.value
        if not isinstance(current, ast.Name):
            self.error(node, "a field path must start with a root name: " + _roots(self))
            return None
        parts.append(current.id)
        parts.reverse()
        path = ".".join(parts)
        if any(p.startswith("_") for p in parts[1:]):
            self.error(node, f"'{path}': names starting with '_' are not fields")
            return None
        root = parts[0]
        if root in self.names:
            self.error(node, f"'{root}' is a let name holding a value, it has no fields ('{path}')")
            return None
        if root not in ROOTS[self.subject]:
            other = [s for s, roots in ROOTS.items() if root in roots]
            where = f" (it is a root of {other[0]} rules)" if other else _did_you_mean(root, ROOTS[self.subject])
            self.error(node, f"unknown root '{root}' for a {self.subject} rule{where}; roots: " + _roots(self))
            return None
        found = self.schema.get(path)
        if found is not None:
            self.fields[path] = None
            return found.type
        if path in self.groups:
            children = sorted({p[len(path) + 1 :].split(".")[0] for p in self.schema if p.startswith(path + ".")})
            shown = ", ".join(children[:12]) + (", ..." if len(children) > 12 else "")
            self.error(node, f"'{path}' is a group of fields, not a value; its fields: {shown}")
            return None
        # Suggest at the first part that is wrong: 'cluster.sigals.working_hours.score' -> 'cluster.signals...'.
        i = next(i for i in range(1, len(parts)) if ".".join(parts[: i + 1]) not in self.groups)
        base = ".".join(parts[:i])
        names = {p[len(base) + 1 :].split(".")[0] for p in self.schema if p.startswith(base + ".")}
        close = difflib.get_close_matches(parts[i], sorted(names), n=1, cutoff=0.6)
        hint = ""
        if close:
            fixed = ".".join([*parts[:i], close[0], *parts[i + 1 :]])
            hint = f" (did you mean '{fixed if fixed in self.schema else base + '.' + close[0]}'?)"
        self.error(node, f"unknown field '{path}' for a {self.subject} rule: '{base}' has no '{parts[i]}'{hint}")
        return None

    def visit_BoolOp(self, node: ast.BoolOp) -> Type | None:
        word = "and" if isinstance(node.op, ast.And) else "or"
        ok = True
        for value in node.values:
            ok = self._condition(value, f"'{word}' needs true/false operands") and ok
        return BOOL if ok else None

    def _condition(self, node: ast.expr, what: str) -> bool:
        t = self.visit(node)
        if t is None:
            return False
        if t.name != "bool":
            self.error(node, f"{what}, but this is {t}")
            return False
        if t.nullable:
            self.error(node, f"{what}, but this may be null ({t}); say what null means, e.g. coalesce(x, False)")
            return False
        return True

    def visit_UnaryOp(self, node: ast.UnaryOp) -> Type | None:
        if isinstance(node.op, ast.Not):
            return BOOL if self._condition(node.operand, "'not' needs a true/false operand") else None
        if isinstance(node.op, ast.USub | ast.UAdd):
            t = self.visit(node.operand)
            if t is None:
                return None
            if not t.numeric:
                self.error(node.operand, f"unary '-' needs a number, but this is {t}")
                return None
            return t
        self.error(node, "'~' is not part of the rule language")
        return None

    def visit_BinOp(self, node: ast.BinOp) -> Type | None:
        symbol = _OPS.get(type(node.op))
        if symbol is None:
            self.error(node, "only + - * / are supported in arithmetic")
            self.visit(node.left)
            self.visit(node.right)
            return None
        left, right = self.visit(node.left), self.visit(node.right)
        ok = True
        for side, t in ((node.left, left), (node.right, right)):
            if t is not None and not t.numeric:
                self.error(side, f"'{symbol}' needs numbers, but this is {t}")
                ok = False
        if left is None or right is None or not ok:
            return None
        result = FLOAT if isinstance(node.op, ast.Div) else _numeric_result([left, right])
        # Division by zero gives null too, so a quotient may always be null.
        return result.or_null(left.nullable or right.nullable or isinstance(node.op, ast.Div))

    def visit_Compare(self, node: ast.Compare) -> Type | None:
        ok = True
        left_node: ast.expr = node.left
        left = self.visit(left_node)
        for op, right_node in zip(node.ops, node.comparators, strict=True):
            symbol = _OPS[type(op)]
            if isinstance(op, ast.Is | ast.IsNot):
                if not (isinstance(right_node, ast.Constant) and right_node.value is None):
                    self.error(right_node, f"'{symbol}' only tests for None ('x {symbol} None'); use == to compare")
                    self.visit(right_node)
                    ok = False
                elif left is not None and left.name == "null":
                    self.error(left_node, f"'None {symbol} None' is constant")
                    ok = False
                left_node, left = right_node, NULL
                continue
            right = self.visit(right_node)
            if left is not None and right is not None:
                ok = self._compare(op, symbol, left_node, left, right_node, right) and ok
            else:
                ok = False
            left_node, left = right_node, right
        return BOOL if ok else None

    def _compare(
        self, op: ast.cmpop, symbol: str, left_node: ast.expr, left: Type, right_node: ast.expr, right: Type
    ) -> bool:
        if NULL in (left, right) or "null" in (left.name, right.name):
            self.error(
                right_node if right.name == "null" else left_node, f"use 'is None' to test for null, not '{symbol}'"
            )
            return False
        if isinstance(op, ast.In | ast.NotIn):
            if right.name == "str":
                if left.name == "str":
                    return True
                self.error(left_node, f"'{symbol}' with a str on its right looks for a str in it, but this is {left}")
                return False
            if not right.is_list:
                self.error(right_node, f"'{symbol}' needs a list (or a str) on its right, but this is {right}")
                return False
            if _join(left, right.item) is None:
                self.error(node_span(left_node, right_node), f"cannot look for a {left} in a {right}")
                return False
            return True
        for stamp, other, other_node in (
            (left, right, right_node),
            (right, left, left_node),
        ):
            if stamp.name == "timestamp" and other.name == "str":
                if isinstance(other_node, ast.Constant) and isinstance(other_node.value, str):
                    moment = _iso(other_node.value)
                    if moment is None:
                        self.error(other_node, f"'{other_node.value}' is not an ISO 8601 date or time (2016-01-31)")
                        return False
                    self.constants[id(other_node)] = moment
                    return True
                self.error(node_span(left_node, right_node), f"cannot compare {left} with {right} using '{symbol}'")
                return False
        joined = _join(left, right)
        if joined is None or (joined.is_list and symbol not in ("==", "!=")):
            self.error(node_span(left_node, right_node), f"cannot compare {left} with {right} using '{symbol}'")
            return False
        if symbol not in ("==", "!=") and joined.name == "bool":
            self.error(node_span(left_node, right_node), f"'{symbol}' does not order true/false values")
            return False
        return True

    def visit_Call(self, node: ast.Call) -> Type | None:
        if not isinstance(node.func, ast.Name):
            self.error(node.func, "only the rule language's functions can be called: " + ", ".join(FUNCTIONS))
            return None
        name = node.func.id
        function = FUNCTIONS.get(name)
        args = [self.visit(arg) for arg in node.args]
        if function is None:
            self.error(
                node.func,
                f"unknown function '{name}'{_did_you_mean(name, FUNCTIONS)}; functions: " + ", ".join(FUNCTIONS),
            )
            return None
        if node.keywords:
            self.error(node.keywords[0].value, f"{name}() takes no keyword arguments: {function.signature}")
            return None
        low, high = function.arity
        if len(args) < low or (high is not None and len(args) > high):
            expected = f"{low}" if low == high else (f"{low} or more" if high is None else f"{low} to {high}")
            got = len(args)
            self.error(
                node,
                f"{name}() takes {expected} argument{'s' if expected != '1' else ''}, not {got}: {function.signature}",
            )
            return None
        if any(a is None for a in args):
            return None
        result = function.types([a for a in args if a is not None])
        if isinstance(result, str):
            self.error(node, f"{name}() {result}: {function.signature}")
            return None
        return result


def node_span(first: ast.expr, last: ast.expr) -> ast.expr:
    """A stand-in node covering ``first`` to ``last`` (to underline both operands of a comparison)."""
    span = ast.Constant(None)
    span.lineno, span.col_offset = first.lineno, first.col_offset
    span.end_lineno, span.end_col_offset = last.end_lineno, last.end_col_offset
    return span


def _iso(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _roots(checker: _Checker) -> str:
    return ", ".join(ROOTS[checker.subject])


def _did_you_mean(name: str, choices: Any) -> str:
    close = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


# -- rules --------------------------------------------------------------------------------------------------------


def check(subject: str, text: str) -> CheckedRule:
    """Check one condition (no ``let`` names) for a rule about ``subject``."""
    return check_rule(subject, {}, text)


def check_rule(subject: str, lets: Mapping[str, str], when: str) -> CheckedRule:
    """Check a rule's ``let`` expressions and its ``when`` condition together, reporting every problem.

    ``when`` must be a bool that is never null. Each ``let`` name must be used (by ``when`` or another name),
    and names must not depend on each other in a cycle.
    """
    if subject not in ROOTS:
        raise ValueError(f"unknown subject {subject!r}; expected one of {', '.join(ROOTS)}")
    diagnostics: list[Diagnostic] = []
    parsed = {name: _parse(text, ("let", name)) for name, text in lets.items()}
    parsed_when = _parse(when, ("when",))
    for p in [*parsed.values(), parsed_when]:
        if p.error is not None:
            diagnostics.append(p.error)

    # Dependencies between let names, to check them in order and find cycles.
    deps = {
        name: [n.id for n in ast.walk(p.tree) if isinstance(n, ast.Name) and n.id in lets and n.id != name]
        if p.tree is not None
        else []
        for name, p in parsed.items()
    }
    self_ref = {
        name
        for name, p in parsed.items()
        if p.tree is not None and any(isinstance(n, ast.Name) and n.id == name for n in ast.walk(p.tree))
    }
    order, cyclic = _order(deps)
    cyclic |= self_ref
    order = [name for name in order if name not in cyclic]
    types: dict[str, Type | None] = {}
    checked: dict[str, Checked] = {}
    used: dict[str, None] = {}
    for name in [*order, *sorted(cyclic, key=list(lets).index)]:
        p = parsed[name]
        if name in cyclic:
            types[name] = None
            cycle = _cycle_text(name, deps, self_ref)
            diagnostics.append(
                Diagnostic(
                    ("let", name), 1, 0, len(name), f"let name '{name}' depends on itself: {cycle}", at_name=True
                )
            )
        if p.tree is None:
            types[name] = None
            continue
        visible = {n: types.get(n) for n in lets}
        checker = _Checker(subject, lets[name], ("let", name), p.shift, visible)
        result = checker.visit(p.tree)
        diagnostics += checker.diagnostics
        used.update(checker.used)
        if name not in cyclic:
            types[name] = result
        if result is not None and not checker.diagnostics and name not in cyclic:
            checked[name] = Checked(
                lets[name], p.tree, result, list(checker.fields), list(checker.used), checker.constants
            )

    checked_when: Checked | None = None
    if parsed_when.tree is not None:
        checker = _Checker(subject, when, ("when",), parsed_when.shift, types)
        result = checker.visit(parsed_when.tree)
        diagnostics += checker.diagnostics
        used.update(checker.used)
        if result is not None and (result.name != "bool" or result.nullable):
            what = f"may be null ({result}); say what null means, e.g. coalesce(x, False)"
            what = what if result.name == "bool" else f"is {result}"
            checker.error(
                parsed_when.tree, f"the condition must be true or false (a bool that is never null), but this {what}"
            )
            diagnostics.append(checker.diagnostics[-1])
        elif result is not None and not checker.diagnostics:
            checked_when = Checked(
                when, parsed_when.tree, result, list(checker.fields), list(checker.used), checker.constants
            )

    for name in lets:
        if name not in used and name not in cyclic:
            diagnostics.append(
                Diagnostic(("let", name), 1, 0, len(name), f"let name '{name}' is never used", at_name=True)
            )
    ordered = {name: checked[name] for name in order if name in checked}
    # Only what 'when' needs, directly or through other names, is evaluated.
    return CheckedRule(subject, ordered, checked_when, diagnostics)


def _order(deps: Mapping[str, Sequence[str]]) -> tuple[list[str], set[str]]:
    """Names in dependency order, and the names on or behind a cycle."""
    order: list[str] = []
    state: dict[str, int] = {}  # 1 visiting, 2 done
    cyclic: set[str] = set()

    def visit(name: str, stack: list[str]) -> None:
        if state.get(name) == 2:
            return
        if state.get(name) == 1:
            cyclic.update(stack[stack.index(name) :])
            return
        state[name] = 1
        for dep in deps[name]:
            visit(dep, [*stack, dep])
        state[name] = 2
        if name not in cyclic:
            order.append(name)

    for name in deps:
        visit(name, [name])
    return [n for n in order if n not in cyclic], cyclic


def _cycle_text(name: str, deps: Mapping[str, Sequence[str]], self_ref: set[str]) -> str:
    if name in self_ref:
        return f"{name} -> {name}"
    path = [name]
    seen = {name}
    current = name
    while True:
        nxt = next((d for d in deps[current] if d == name or d not in seen), None)
        if nxt is None:
            return " -> ".join(path)
        path.append(nxt)
        if nxt == name:
            return " -> ".join(path)
        seen.add(nxt)
        current = nxt
