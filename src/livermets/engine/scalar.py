"""Scalar backend: evaluate an :class:`~livermets.engine.expr.Expr` on one case.

An expression is compiled once into nested Python closures; evaluating it on a row (a dict of
column name to value, with child tables as lists of dicts) is then a few microseconds. The
semantics are those documented in :mod:`livermets.engine.expr`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from livermets.engine.expr import (
    Agg,
    And,
    Binary,
    Clip,
    Coalesce,
    Col,
    Expr,
    Extreme,
    IsIn,
    Lit,
    Or,
    RoundHalfUp,
    Scalar,
    Unary,
    When,
)

Row = Mapping[str, Any]
Compiled = Callable[[Row], Any]

# Relative nudge so that 2.05 * 10 (= 20.499999999999996 in binary) rounds to 21, like
# decimal.Decimal(str(x)).quantize(ROUND_HALF_UP) in calculators.md §0.
ROUNDING_NUDGE = 1e-9


def round_half_up(value: float, decimals: int) -> float:
    """Half-up rounding on the decimal value a person would read (see calculators.md §0)."""
    factor = 10.0**decimals
    scaled = value * factor
    return math.floor(scaled + 0.5 + ROUNDING_NUDGE * max(1.0, abs(scaled))) / factor


def _ln(x: Any) -> Any:
    return math.log(x) if x > 0 else None


# Above this, e^x overflows a float: unknown rather than infinity.
EXP_LIMIT = 709.0


def _exp(x: Any) -> Any:
    return math.exp(x) if x <= EXP_LIMIT else None


def _log10(x: Any) -> Any:
    return math.log10(x) if x > 0 else None


def _sqrt(x: Any) -> Any:
    return math.sqrt(x) if x >= 0 else None


_UNARY: dict[str, Callable[[Any], Any]] = {
    "neg": lambda x: -x,
    "not": lambda x: not x,
    "ln": _ln,
    "exp": _exp,
    "log10": _log10,
    "sqrt": _sqrt,
    "abs": abs,
    "floor": lambda x: float(math.floor(x)),
}


def _div(a: Any, b: Any) -> Any:
    return None if b == 0 else a / b


_BINARY: dict[str, Callable[[Any, Any], Any]] = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": _div,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
}


def compile_scalar(node: Expr) -> Compiled:
    """Compile an expression into a function of one row."""
    if isinstance(node, Col):
        name = node.name
        return lambda row: row.get(name)
    if isinstance(node, Lit):
        value = node.value
        return lambda row: value
    if isinstance(node, Unary):
        return _compile_unary(node)
    if isinstance(node, Binary):
        fn = _BINARY[node.op]
        left, right = compile_scalar(node.left), compile_scalar(node.right)

        def binary(row: Row) -> Any:
            a = left(row)
            if a is None:
                return None
            b = right(row)
            return None if b is None else fn(a, b)

        return binary
    if isinstance(node, And):
        return _compile_kleene(node.operands, short_circuit=False)
    if isinstance(node, Or):
        return _compile_kleene(node.operands, short_circuit=True)
    if isinstance(node, Clip):
        inner, lower, upper = compile_scalar(node.operand), node.lower, node.upper

        def clip(row: Row) -> Any:
            x = inner(row)
            return None if x is None else min(max(x, lower), upper)

        return clip
    if isinstance(node, IsIn):
        inner_in, allowed = compile_scalar(node.operand), frozenset(node.values)

        def is_in(row: Row) -> Any:
            x = inner_in(row)
            return None if x is None else x in allowed

        return is_in
    if isinstance(node, RoundHalfUp):
        inner_r, decimals = compile_scalar(node.operand), node.decimals

        def rounded(row: Row) -> Any:
            x = inner_r(row)
            return None if x is None else round_half_up(x, decimals)

        return rounded
    if isinstance(node, Coalesce):
        parts = [compile_scalar(o) for o in node.operands]

        def first_known(row: Row) -> Any:
            for part in parts:
                x = part(row)
                if x is not None:
                    return x
            return None

        return first_known
    if isinstance(node, Extreme):
        parts_e = [compile_scalar(o) for o in node.operands]
        pick = max if node.greatest else min

        def extreme(row: Row) -> Any:
            values = [p(row) for p in parts_e]
            return None if any(v is None for v in values) else pick(values)

        return extreme
    if isinstance(node, When):
        return _compile_when(node)
    if isinstance(node, Agg):
        return _compile_agg(node)
    raise TypeError(f"unknown expression node {type(node).__name__}")


def _compile_unary(node: Unary) -> Compiled:
    inner = compile_scalar(node.operand)
    if node.op == "is_null":
        return lambda row: inner(row) is None
    if node.op == "is_not_null":
        return lambda row: inner(row) is not None
    fn = _UNARY[node.op]

    def unary(row: Row) -> Any:
        x = inner(row)
        return None if x is None else fn(x)

    return unary


def _compile_kleene(operands: Sequence[Expr], *, short_circuit: bool) -> Compiled:
    """Kleene AND (short_circuit=False: False wins) or OR (short_circuit=True: True wins)."""
    parts = [compile_scalar(o) for o in operands]
    decisive = short_circuit

    def kleene(row: Row) -> Any:
        unknown = False
        for part in parts:
            x = part(row)
            if x is None:
                unknown = True
            elif bool(x) is decisive:
                return decisive
        return None if unknown else not decisive

    return kleene


def _compile_when(node: When) -> Compiled:
    branches = [(compile_scalar(c), compile_scalar(v)) for c, v in node.branches]
    otherwise = compile_scalar(node.otherwise)

    def when(row: Row) -> Any:
        for condition, value in branches:
            c = condition(row)
            if c is None:
                return None
            if c:
                return value(row)
        return otherwise(row)

    return when


def _compile_agg(node: Agg) -> Compiled:
    table = node.table
    value = compile_scalar(node.value) if node.value is not None else None
    where = compile_scalar(node.where) if node.where is not None else None
    func = node.func

    def aggregate(row: Row) -> Any:
        children: Sequence[Row] = row.get(table) or ()
        included: list[Row] = []
        for child in children:
            if where is None:
                included.append(child)
                continue
            w = where(child)
            if w is None:
                return None
            if w:
                included.append(child)
        if func == "count":
            return len(included)
        assert value is not None
        values = [value(child) for child in included]
        if func == "any":
            if any(v is True for v in values):
                return True
            return None if any(v is None for v in values) else False
        if func == "all":
            if any(v is False for v in values):
                return False
            return None if any(v is None for v in values) else True
        if any(v is None for v in values):
            return None
        if func == "sum":
            return sum(values)
        if not values:
            return None
        return max(values) if func == "max" else min(values)

    return aggregate


def evaluate(node: Expr, row: Row) -> Scalar:
    """Evaluate one expression on one row (compiles on each call: for tests and one-offs)."""
    result: Scalar = compile_scalar(node)(row)
    return result
