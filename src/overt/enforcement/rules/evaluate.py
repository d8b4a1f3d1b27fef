"""Compile a checked rule into Python closures over a row, once, and evaluate it with the evidence it read.

A *row* is nested dicts keyed like the field paths: ``{"cluster": {"score": 0.7, "signals": {"working_hours":
{"offset": 3.0, ...}}}}``. A missing key or a null on the way reads as null. Compilation walks the checked syntax
tree once and builds one closure per node, so evaluating a rule over many rows costs no parsing and never calls
``eval``. The semantics (null handling above all) are documented in :mod:`overt.enforcement.rules.language`.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from overt.enforcement.rules.language import FUNCTIONS, Checked, CheckedRule

Row = Mapping[str, Any]


class _Frame:
    """One evaluation: the row and the values of the let names computed so far."""

    __slots__ = ("lets", "row")

    def __init__(self, row: Row) -> None:
        self.row = row
        self.lets: dict[str, Any] = {}


Code = Callable[[_Frame], Any]


def read(row: Row, path: str | tuple[str, ...]) -> Any:
    """The value at ``path`` (``a.b.c`` or its parts) in ``row``; null when a key is missing or a step is null."""
    value: Any = row
    for part in path.split(".") if isinstance(path, str) else path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


_ORDER: dict[type[ast.cmpop], Callable[[Any, Any], bool]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b,
}


def _divide(a: Any, b: Any) -> Any:
    return None if b == 0 else a / b


_ARITHMETIC: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: _divide,
}


class _Compiler:
    def __init__(self, checked: Checked, lets: Mapping[str, Code]) -> None:
        self.constants = checked.constants
        self.lets = lets

    def compile(self, node: ast.expr) -> Code:
        if id(node) in self.constants:
            constant = self.constants[id(node)]
            return lambda _f: constant
        if isinstance(node, ast.Constant):
            value = node.value
            return lambda _f: value
        if isinstance(node, ast.List | ast.Tuple):
            items = [ast.literal_eval(item) for item in node.elts]
            return lambda _f: items
        if isinstance(node, ast.Attribute):
            parts = tuple(_path(node))
            return lambda f: read(f.row, parts)
        if isinstance(node, ast.Name):
            return self.lets[node.id]
        if isinstance(node, ast.BoolOp):
            codes = [self.compile(value) for value in node.values]
            if isinstance(node.op, ast.And):
                return lambda f: all(code(f) for code in codes)
            return lambda f: any(code(f) for code in codes)
        if isinstance(node, ast.UnaryOp):
            inner = self.compile(node.operand)
            if isinstance(node.op, ast.Not):
                return lambda f: not inner(f)
            if isinstance(node.op, ast.USub):
                return lambda f: None if (v := inner(f)) is None else -v
            return inner  # unary +
        if isinstance(node, ast.BinOp):
            left, right, op = self.compile(node.left), self.compile(node.right), _ARITHMETIC[type(node.op)]

            def arithmetic(f: _Frame) -> Any:
                a, b = left(f), right(f)
                return None if a is None or b is None else op(a, b)

            return arithmetic
        if isinstance(node, ast.Compare):
            return self._compare(node)
        if isinstance(node, ast.Call):
            assert isinstance(node.func, ast.Name)
            impl = FUNCTIONS[node.func.id].impl
            args = [self.compile(arg) for arg in node.args]
            return lambda f: impl(*(arg(f) for arg in args))
        raise TypeError(f"not a checked expression: {ast.dump(node)}")  # the checker rejects it first

    def _compare(self, node: ast.Compare) -> Code:
        first = self.compile(node.left)
        steps: list[tuple[ast.cmpop, Code]] = [
            (op, self.compile(right)) for op, right in zip(node.ops, node.comparators, strict=True)
        ]

        def compare(f: _Frame) -> bool:
            left = first(f)
            for op, code in steps:
                right = code(f)
                if isinstance(op, ast.Is):
                    ok = left is None
                elif isinstance(op, ast.IsNot):
                    ok = left is not None
                else:
                    ok = left is not None and right is not None and _ORDER[type(op)](left, right)
                if not ok:
                    return False
                left = right
            return True

        return compare


def _path(node: ast.Attribute) -> list[str]:
    parts: list[str] = []
    current: ast.expr = node
    while isinstance(current, ast.Attribute):
        parts.append(current.attr)
        current = current.value
    assert isinstance(current, ast.Name)
    parts.append(current.id)
    return parts[::-1]


@dataclass
class Condition:
    """A compiled rule condition: call it on a row for true/false, or :meth:`evidence` for what it read."""

    subject: str
    fields: list[str]
    let_names: list[str]
    _when: Code
    _lets: dict[str, Code]

    def __call__(self, row: Row) -> bool:
        return bool(self._when(_Frame(row)))

    def evidence(self, row: Row) -> dict[str, Any]:
        """The value of every field the rule reads, and of each let name, for this row (for match records)."""
        frame = _Frame(row)
        out: dict[str, Any] = {path: read(row, path) for path in self.fields}
        for name in self.let_names:
            out[name] = self._lets[name](frame)
        return out


def compile_rule(rule: CheckedRule) -> Condition:
    """Compile a rule that passed :func:`~overt.enforcement.rules.language.check_rule` (raise if it did not)."""
    if not rule.ok or rule.when is None:
        raise ValueError("compile_rule needs a rule without problems; check it first")
    codes: dict[str, Code] = {}
    for name, checked in rule.lets.items():  # in dependency order
        codes[name] = _memo(name, _Compiler(checked, codes).compile(checked.tree))
    when = _Compiler(rule.when, codes).compile(rule.when.tree)
    return Condition(rule.subject, rule.fields, list(rule.lets), when, codes)


def _memo(name: str, code: Code) -> Code:
    """A let name is computed once per row however often it is used."""

    def cached(f: _Frame) -> Any:
        if name not in f.lets:
            f.lets[name] = code(f)
        return f.lets[name]

    return cached
