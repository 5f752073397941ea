"""Scalar backend: evaluate an :class:`~livermets.engine.expr.Expr` on one case.

An expression is compiled once into nested Python closures; evaluating it on a row (a dict of
column name to value, with child tables as lists of dicts) is then a few microseconds. Each
operator's implementation and null semantics come from :mod:`livermets.engine.ops`; the
semantics are documented there and in :mod:`livermets.engine.expr`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from livermets.engine.expr import Agg, Call, Col, Expr, Lit, Scalar
from livermets.engine.ops import AGGREGATES, OPS, ROUNDING_NUDGE, round_half_up

__all__ = ["ROUNDING_NUDGE", "Compiled", "Row", "compile_scalar", "evaluate", "round_half_up"]

Row = Mapping[str, Any]
Compiled = Callable[[Row], Any]


def compile_scalar(node: Expr) -> Compiled:
    """Compile an expression into a function of one row."""
    if isinstance(node, Col):
        name = node.name
        return lambda row: row.get(name)
    if isinstance(node, Lit):
        value = node.value
        return lambda row: value
    if isinstance(node, Call):
        return _compile_call(node)
    if isinstance(node, Agg):
        return _compile_agg(node)
    raise TypeError(f"unknown expression node {type(node).__name__}")


def _compile_call(node: Call) -> Compiled:
    op = OPS[node.op]
    parts = [compile_scalar(a) for a in node.args]
    if op.nulls != "strict":
        compiled: Compiled = op.scalar(parts, node.params)
        return compiled
    fn, params = op.scalar, node.params
    if len(parts) == 1:
        (inner,) = parts
        if params:

            def unary_params(row: Row) -> Any:
                x = inner(row)
                return None if x is None else fn(x, *params)

            return unary_params

        def unary(row: Row) -> Any:
            x = inner(row)
            return None if x is None else fn(x)

        return unary
    if len(parts) == 2 and not params:
        left, right = parts

        def binary(row: Row) -> Any:
            a = left(row)
            if a is None:
                return None
            b = right(row)
            return None if b is None else fn(a, b)

        return binary

    def strict(row: Row) -> Any:
        values = [p(row) for p in parts]
        if any(v is None for v in values):
            return None
        return fn(*values, *params)

    return strict


def _compile_agg(node: Agg) -> Compiled:
    table = node.table
    value = compile_scalar(node.value) if node.value is not None else None
    where = compile_scalar(node.where) if node.where is not None else None
    reduce = AGGREGATES[node.func].reduce

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
        if value is None:
            return reduce(included)
        return reduce([value(child) for child in included])

    return aggregate


def evaluate(node: Expr, row: Row) -> Scalar:
    """Evaluate one expression on one row (compiles on each call: for tests and one-offs)."""
    result: Scalar = compile_scalar(node)(row)
    return result
