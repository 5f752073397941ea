"""Columnar backend: compile an :class:`~livermets.engine.expr.Expr` to a polars expression.

Used for cohorts (a million cases at once). The semantics are exactly those of the scalar
backend (see :mod:`livermets.engine.expr`); ``tests/test_engine_backends.py`` checks that the
two agree on generated data. Child-table aggregates are compiled separately with
:func:`compile_aggregate` and joined on ``case_id`` by :func:`attach_aggregates`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import polars as pl

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
    Unary,
    When,
    children,
)
from livermets.engine.scalar import ROUNDING_NUDGE

NULL = pl.lit(None)


def aggregate_column_name(node: Agg) -> str:
    """A stable column name for an aggregate, so each one is computed once per cohort."""
    return f"__agg_{node.table}_{node.func}_{id(node):x}"


def compile_columnar(node: Expr) -> pl.Expr:
    """Compile an expression over case-level columns (aggregates must be attached first)."""
    if isinstance(node, Col):
        return pl.col(node.name)
    if isinstance(node, Lit):
        return pl.lit(node.value)
    if isinstance(node, Unary):
        return _unary(node.op, compile_columnar(node.operand))
    if isinstance(node, Binary):
        return _binary(node.op, compile_columnar(node.left), compile_columnar(node.right))
    if isinstance(node, And):
        return _fold(node.operands, lambda a, b: a & b)
    if isinstance(node, Or):
        return _fold(node.operands, lambda a, b: a | b)
    if isinstance(node, Clip):
        return compile_columnar(node.operand).clip(node.lower, node.upper)
    if isinstance(node, IsIn):
        inner = compile_columnar(node.operand)
        return pl.when(inner.is_null()).then(NULL).otherwise(inner.is_in(list(node.values)))
    if isinstance(node, RoundHalfUp):
        factor = 10.0**node.decimals
        scaled = compile_columnar(node.operand) * factor
        nudge = ROUNDING_NUDGE * pl.max_horizontal(scaled.abs(), pl.lit(1.0))
        return (scaled + 0.5 + nudge).floor() / factor
    if isinstance(node, Coalesce):
        return pl.coalesce([compile_columnar(o) for o in node.operands])
    if isinstance(node, Extreme):
        parts = [compile_columnar(o) for o in node.operands]
        any_null = pl.any_horizontal([p.is_null() for p in parts])
        picked = pl.max_horizontal(parts) if node.greatest else pl.min_horizontal(parts)
        return pl.when(any_null).then(NULL).otherwise(picked)
    if isinstance(node, When):
        chain: pl.Expr = compile_columnar(node.otherwise)
        for condition, value in reversed(node.branches):
            c = compile_columnar(condition)
            chain = (
                pl.when(c.is_null())
                .then(NULL)
                .when(c)
                .then(compile_columnar(value))
                .otherwise(chain)
            )
        return chain
    if isinstance(node, Agg):
        return pl.col(aggregate_column_name(node))
    raise TypeError(f"unknown expression node {type(node).__name__}")


def _fold(operands: Sequence[Expr], combine: object) -> pl.Expr:
    compiled = [compile_columnar(o) for o in operands]
    result = compiled[0]
    for part in compiled[1:]:
        result = combine(result, part)  # type: ignore[operator]
    return result


def _unary(op: str, x: pl.Expr) -> pl.Expr:
    if op == "neg":
        return -x
    if op == "not":
        return ~x
    if op == "is_null":
        return x.is_null()
    if op == "is_not_null":
        return x.is_not_null()
    if op == "ln":
        return pl.when(x > 0).then(x.log(math.e)).otherwise(NULL)
    if op == "log10":
        return pl.when(x > 0).then(x.log(10)).otherwise(NULL)
    if op == "sqrt":
        return pl.when(x >= 0).then(x.sqrt()).otherwise(NULL)
    if op == "abs":
        return x.abs()
    if op == "floor":
        return x.cast(pl.Float64).floor()
    raise ValueError(f"unknown unary operator {op}")


def _binary(op: str, a: pl.Expr, b: pl.Expr) -> pl.Expr:
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    if op == "/":
        return pl.when(b == 0).then(NULL).otherwise(a / b)
    if op == "<":
        return a < b
    if op == "<=":
        return a <= b
    if op == ">":
        return a > b
    if op == ">=":
        return a >= b
    if op == "==":
        return a == b
    if op == "!=":
        return a != b
    raise ValueError(f"unknown binary operator {op}")


def collect_aggregates(nodes: Sequence[Expr]) -> list[Agg]:
    """Every aggregate node inside the given expressions, each once."""
    found: dict[int, Agg] = {}

    def visit(node: Expr) -> None:
        if isinstance(node, Agg):
            found[id(node)] = node
            return
        for child in children(node):
            visit(child)

    for node in nodes:
        visit(node)
    return list(found.values())


def compile_aggregate(node: Agg) -> tuple[pl.Expr, object]:
    """The polars aggregation for a group of child rows, and its value for no rows."""
    name = aggregate_column_name(node)
    where = compile_columnar(node.where) if node.where is not None else None
    unknown_where = where.is_null().any() if where is not None else pl.lit(False)
    if node.func == "count":
        counted = where.fill_null(False).sum() if where is not None else pl.len()
        expr = pl.when(unknown_where).then(NULL).otherwise(counted.cast(pl.Int64))
        return expr.alias(name), 0
    assert node.value is not None
    value = compile_columnar(node.value)
    if where is not None:
        value = value.filter(where.fill_null(False))
    if node.func == "any":
        result = value.any(ignore_nulls=False)
        empty: object = False
    elif node.func == "all":
        result = value.all(ignore_nulls=False)
        empty = True
    else:
        base = {"sum": value.sum(), "max": value.max(), "min": value.min()}[node.func]
        result = pl.when(value.null_count() > 0).then(NULL).otherwise(base)
        empty = 0 if node.func == "sum" else None
    return pl.when(unknown_where).then(NULL).otherwise(result).alias(name), empty


def attach_aggregates(
    cases: pl.LazyFrame, children: dict[str, pl.LazyFrame], nodes: Sequence[Expr]
) -> pl.LazyFrame:
    """Join every aggregate the expressions need onto the case table, by ``case_id``."""
    by_table: dict[str, list[Agg]] = {}
    for agg in collect_aggregates(nodes):
        by_table.setdefault(agg.table, []).append(agg)
    for table, aggs in by_table.items():
        compiled = [compile_aggregate(a) for a in aggs]
        present = f"__has_{table}"
        grouped = (
            children[table]
            .group_by("case_id")
            .agg([pl.lit(True).alias(present), *(expr for expr, _ in compiled)])
        )
        cases = cases.join(grouped, on="case_id", how="left", maintain_order="left")
        # A case with no child rows is absent from the grouped table: give it the aggregate's
        # value over no rows (count 0, any False, ...), never touching a genuine unknown.
        cases = cases.with_columns(
            [
                pl.when(pl.col(present).is_null())
                .then(pl.lit(empty))
                .otherwise(pl.col(aggregate_column_name(a)))
                .alias(aggregate_column_name(a))
                for a, (_, empty) in zip(aggs, compiled, strict=True)
            ]
        ).drop(present)
    return cases
