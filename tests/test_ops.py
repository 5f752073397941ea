"""Per-operator truth tables, on both backends.

Every operator of ``livermets.engine.ops.OPS`` and every aggregate of ``AGGREGATES`` has a
table here: unknown operands, zero, negative values, boundaries, the empty child table. The
expected values are written by hand from the semantics documented in ``engine/ops.py``; they
are not computed by the code under test. Adding an operator without its table fails
``test_every_operator_has_a_truth_table``.
"""

from __future__ import annotations

import math
from typing import Any

import polars as pl
import pytest

from livermets.engine.columnar import attach_aggregates, compile_columnar
from livermets.engine.expr import ChildTable, Expr, call, col
from livermets.engine.ops import AGGREGATES, OPS
from livermets.engine.parse import quantifier
from livermets.engine.scalar import evaluate

N = None
T, F = True, False
E = math.e

# operator -> [(operands, params, expected)]
TRUTH_TABLES: dict[str, list[tuple[tuple[Any, ...], tuple[Any, ...], Any]]] = {
    "+": [
        ((1.5, 2.0), (), 3.5),
        ((N, 1.0), (), N),
        ((1.0, N), (), N),
        ((0.0, 0.0), (), 0.0),
        ((-2.0, 3.0), (), 1.0),
        ((2, 3), (), 5),
    ],
    "-": [
        ((5.0, 3.0), (), 2.0),
        ((N, 1.0), (), N),
        ((0.0, -2.0), (), 2.0),
        ((-1.0, -1.0), (), 0.0),
    ],
    "*": [
        ((2.0, 3.0), (), 6.0),
        ((0.0, -5.0), (), 0.0),
        ((N, 0.0), (), N),
        ((-2.0, 4.0), (), -8.0),
    ],
    "/": [
        ((1.0, 0.0), (), N),
        ((0.0, 0.0), (), N),
        ((-6.0, 3.0), (), -2.0),
        ((N, 1.0), (), N),
        ((1.0, N), (), N),
        ((1.0, 4.0), (), 0.25),
        ((0.0, 5.0), (), 0.0),
        ((1, 2), (), 0.5),
    ],
    "pow": [
        ((2.0, 3.0), (), 8.0),
        ((2.0, 0.5), (), math.sqrt(2.0)),
        ((4.0, -0.5), (), 0.5),
        ((0.0, -1.0), (), N),
        ((-8.0, 1.0 / 3.0), (), N),
        ((-2.0, 3.0), (), -8.0),
        ((-2.0, 2.0), (), 4.0),
        ((10.0, 400.0), (), N),
        ((0.0, 0.0), (), 1.0),
        ((N, 2.0), (), N),
        ((2.0, N), (), N),
    ],
    "neg": [((1.0,), (), -1.0), ((0.0,), (), 0.0), ((-2.5,), (), 2.5), ((N,), (), N)],
    "abs": [((-3.0,), (), 3.0), ((0.0,), (), 0.0), ((2.5,), (), 2.5), ((N,), (), N)],
    "floor": [((2.7,), (), 2.0), ((-2.1,), (), -3.0), ((0.0,), (), 0.0), ((N,), (), N)],
    "ln": [((1.0,), (), 0.0), ((E,), (), 1.0), ((0.0,), (), N), ((-1.0,), (), N), ((N,), (), N)],
    "log10": [
        ((100.0,), (), 2.0),
        ((1.0,), (), 0.0),
        ((0.0,), (), N),
        ((-10.0,), (), N),
        ((N,), (), N),
    ],
    "exp": [
        ((0.0,), (), 1.0),
        ((1.0,), (), E),
        ((-1000.0,), (), 0.0),
        ((709.0,), (), 8.218407461554972e307),
        ((710.0,), (), N),
        ((N,), (), N),
    ],
    "sqrt": [((4.0,), (), 2.0), ((0.0,), (), 0.0), ((-1.0,), (), N), ((N,), (), N)],
    "clip": [
        ((0.0,), (1.0, 4.0), 1.0),
        ((5.0,), (1.0, 4.0), 4.0),
        ((2.5,), (1.0, 4.0), 2.5),
        ((-3.0,), (1.0, 4.0), 1.0),
        ((1.0,), (1.0, 4.0), 1.0),
        ((N,), (1.0, 4.0), N),
    ],
    "round_half_up": [
        ((2.05,), (1,), 2.1),
        ((2.25,), (1,), 2.3),
        ((11.4999,), (0,), 11.0),
        ((2.5,), (0,), 3.0),
        ((-2.5,), (0,), -2.0),  # half up: towards +infinity for negative values
        ((0.0,), (0,), 0.0),
        ((N,), (0,), N),
    ],
    "greatest": [
        ((1.0, 2.0), (), 2.0),
        ((1.0, N), (), N),
        ((-1.0, -2.0), (), -1.0),
        ((0.0, 0.0, 0.0), (), 0.0),
        ((3.0, 1.0, 2.0), (), 3.0),
    ],
    "least": [
        ((1.0, 2.0), (), 1.0),
        ((N, 1.0), (), N),
        ((-1.0, -2.0), (), -2.0),
        ((3.0, 1.0, 2.0), (), 1.0),
    ],
    "<": [((1.0, 2.0), (), T), ((2.0, 2.0), (), F), ((N, 1.0), (), N), ((-1.0, 0.0), (), T)],
    "<=": [((2.0, 2.0), (), T), ((3.0, 2.0), (), F), ((2.0, N), (), N), ((-1.0, -1.0), (), T)],
    ">": [((2.0, 2.0), (), F), ((3.0, 2.0), (), T), ((N, 2.0), (), N), ((0.0, -1.0), (), T)],
    ">=": [((2.0, 2.0), (), T), ((1.0, 2.0), (), F), ((N, N), (), N), ((0.0, -0.5), (), T)],
    "==": [
        ((2.0, 2.0), (), T),
        ((2, 2.0), (), T),
        ((1.0, N), (), N),
        ((N, N), (), N),
        (("a", "a"), (), T),
        (("a", "b"), (), F),
        ((T, F), (), F),
    ],
    "!=": [((2.0, 2.0), (), F), ((1.0, 2.0), (), T), ((N, 2.0), (), N), (("a", "b"), (), T)],
    "is_in": [
        ((1.0,), ((1.0, 2.0),), T),
        ((3.0,), ((1.0, 2.0),), F),
        ((N,), ((1.0, 2.0),), N),
        (("a",), (("a", "b"),), T),
        (("c",), (("a", "b"),), F),
    ],
    "and": [
        ((T, T), (), T),
        ((T, F), (), F),
        ((F, N), (), F),
        ((N, F), (), F),
        ((T, N), (), N),
        ((N, N), (), N),
        ((T, T, N), (), N),
        ((T, T, T), (), T),
    ],
    "or": [
        ((F, F), (), F),
        ((T, N), (), T),
        ((N, T), (), T),
        ((F, N), (), N),
        ((N, N), (), N),
        ((F, F, T), (), T),
    ],
    "not": [((T,), (), F), ((F,), (), T), ((N,), (), N)],
    "is_null": [((N,), (), T), ((0.0,), (), F), ((F,), (), F), (("",), (), F)],
    "is_not_null": [((N,), (), F), ((0.0,), (), T), ((F,), (), T)],
    "coalesce": [
        ((N, 1.0), (), 1.0),
        ((N, N), (), N),
        ((0.0, 1.0), (), 0.0),
        ((F, T), (), F),
        ((N, N, -1.0), (), -1.0),
    ],
    "when": [
        ((T, 1.0, 2.0), (), 1.0),
        ((F, 1.0, 2.0), (), 2.0),
        ((N, 1.0, 2.0), (), N),  # unknown condition: unknown, never the otherwise branch
        ((F, 1.0, N), (), N),
        ((F, 1.0, N, 2.0, 3.0), (), N),
        ((T, 1.0, N, 2.0, 3.0), (), 1.0),
        ((F, 1.0, T, 2.0, 3.0), (), 2.0),
        ((F, 1.0, F, 2.0, 0.0), (), 0.0),
    ],
}

# aggregate -> [(child rows as (value, where), expected)]; where None means "no where=".
AGG_TABLES: dict[str, list[tuple[list[tuple[Any, Any]], bool, Any]]] = {
    "count": [
        ([], False, 0),
        ([(1.0, N), (N, N)], False, 2),
        ([(1.0, T), (2.0, F)], True, 1),
        ([(1.0, T), (2.0, N)], True, N),  # a where unknown for a row: unknown
        ([(1.0, F)], True, 0),
    ],
    "sum": [
        ([], False, 0),
        ([(1.5, N), (-2.0, N)], False, -0.5),
        ([(1.0, N), (N, N)], False, N),
        ([(1.0, T), (N, F)], True, 1.0),  # the unknown value is not included
        ([(0.0, T), (5.0, N)], True, N),
    ],
    "max": [
        ([], False, N),
        ([(1.0, N), (-3.0, N)], False, 1.0),
        ([(1.0, N), (N, N)], False, N),
        ([(1.0, T), (9.0, F)], True, 1.0),
        ([(1.0, F)], True, N),  # no row included: unknown
    ],
    "min": [
        ([], False, N),
        ([(1.0, N), (-3.0, N)], False, -3.0),
        ([(0.0, N), (N, N)], False, N),
        ([(1.0, T), (-9.0, F)], True, 1.0),
    ],
    "any": [
        ([], False, F),
        ([(F, N), (N, N)], False, N),
        ([(T, N), (N, N)], False, T),
        ([(F, N), (F, N)], False, F),
        ([(T, F), (F, T)], True, F),
        ([(F, T), (T, N)], True, N),
    ],
    "all": [
        ([], False, T),
        ([(T, N), (N, N)], False, N),
        ([(F, N), (N, N)], False, F),
        ([(T, N), (T, N)], False, T),
        ([(F, F), (T, T)], True, T),
    ],
}


def test_every_operator_has_a_truth_table() -> None:
    assert set(TRUTH_TABLES) == set(OPS)
    assert set(AGG_TABLES) == set(AGGREGATES)


def _dtype(values: list[Any], kind: str) -> pl.DataType:
    known = [v for v in values if v is not None]
    if any(isinstance(v, str) for v in known):
        return pl.String()
    if any(isinstance(v, bool) for v in known) or (not known and kind == "bool"):
        return pl.Boolean()
    if known and all(isinstance(v, int) for v in known):
        return pl.Int64()
    return pl.Float64()


def _columnar_one(expr: Expr, row: dict[str, Any], schema: dict[str, pl.DataType]) -> Any:
    frame = pl.LazyFrame([{"case_id": 0, **row}], schema={"case_id": pl.Int64, **schema})
    return frame.select(compile_columnar(expr).alias("out")).collect()["out"][0]


def _same(x: Any, y: Any) -> bool:
    if x is None or y is None:
        return x is None and y is None
    if isinstance(x, bool) or isinstance(y, bool):
        return x is y
    if isinstance(x, str) or isinstance(y, str):
        return bool(x == y)
    return math.isclose(float(x), float(y), rel_tol=1e-12, abs_tol=1e-300)


CASES = [
    (name, operands, params, expected)
    for name, rows in TRUTH_TABLES.items()
    for operands, params, expected in rows
]


@pytest.mark.parametrize(("name", "operands", "params", "expected"), CASES)
def test_operator_truth_table(
    name: str, operands: tuple[Any, ...], params: tuple[Any, ...], expected: Any
) -> None:
    op = OPS[name]
    columns = [f"x{i}" for i in range(len(operands))]
    expr = call(name, *(col(c) for c in columns), params=params)
    row = dict(zip(columns, operands, strict=True))
    schema = {
        c: _dtype([v], op.arg_kind(i, len(operands)))
        for i, (c, v) in enumerate(zip(columns, operands, strict=True))
    }
    scalar = evaluate(expr, row)
    columnar = _columnar_one(expr, row, schema)
    assert _same(scalar, expected), ("scalar", scalar, expected)
    assert _same(columnar, expected), ("columnar", columnar, expected)
    if isinstance(scalar, float):
        assert math.isfinite(scalar)


AGG_CASES = [
    (func, rows, with_where, expected)
    for func, table in AGG_TABLES.items()
    for rows, with_where, expected in table
]


@pytest.mark.parametrize(("func", "rows", "with_where", "expected"), AGG_CASES)
def test_aggregate_truth_table(
    func: str, rows: list[tuple[Any, Any]], with_where: bool, expected: Any
) -> None:
    kind = AGGREGATES[func].value
    table = ChildTable("items")
    value = col("v") if kind is not None else None
    expr = table.aggregate(func, value, col("w") if with_where else None)
    children = [{"v": v, "w": w} for v, w in rows]
    scalar = evaluate(expr, {"items": children})
    value_type = pl.Boolean() if kind == "bool" else pl.Float64()
    cases = pl.LazyFrame([{"case_id": 0}], schema={"case_id": pl.Int64})
    child = pl.LazyFrame(
        [{"case_id": 0, **c} for c in children],
        schema={"case_id": pl.Int64, "v": value_type, "w": pl.Boolean},
    )
    frame = attach_aggregates(cases, {"items": child}, [expr])
    columnar = frame.select(compile_columnar(expr).alias("out")).collect()["out"][0]
    assert _same(scalar, expected), ("scalar", scalar, expected)
    assert _same(columnar, expected), ("columnar", columnar, expected)


# every/some/none over lesions: (diameters, lesions_itemised, lesion_count) -> expected
QUANTIFIER_TABLE: dict[str, list[tuple[list[Any], Any, Any, Any]]] = {
    "every": [
        ([], 0, 0, T),
        ([2.0, 3.0], 2, 2, T),
        ([2.0, 5.0], 2, 2, F),
        ([2.0], 1, 3, N),  # partly itemised: the others could be anything
        ([5.0], 1, 3, F),  # ... unless an itemised one already fails
        ([2.0, N], 2, 2, N),
        ([2.0], 1, N, N),
    ],
    "some": [
        ([], 0, 0, F),
        ([2.0, 5.0], 2, 2, T),
        ([5.0], 1, 1, F),
        ([5.0], 1, 4, N),
        ([2.0], 1, 4, T),
    ],
    "none": [
        ([], 0, 0, T),
        ([5.0, 6.0], 2, 2, T),
        ([2.0], 1, 1, F),
        ([5.0], 1, 2, N),
        ([2.0], 1, 2, F),
    ],
}


QUANTIFIER_CASES = [(k, *row) for k, rows in QUANTIFIER_TABLE.items() for row in rows]


@pytest.mark.parametrize(("kind", "diameters", "itemised", "count", "expected"), QUANTIFIER_CASES)
def test_quantifier_truth_table(
    kind: str, diameters: list[Any], itemised: Any, count: Any, expected: Any
) -> None:
    expr = quantifier(kind, "lesions", col("d") <= 3)
    lesions = [{"d": d} for d in diameters]
    row = {"lesions_itemised": itemised, "lesion_count": count, "lesions": lesions}
    scalar = evaluate(expr, row)
    cases = pl.LazyFrame(
        [{"case_id": 0, "lesions_itemised": itemised, "lesion_count": count}],
        schema={"case_id": pl.Int64, "lesions_itemised": pl.Int64, "lesion_count": pl.Int64},
    )
    child = pl.LazyFrame(
        [{"case_id": 0, **c} for c in lesions], schema={"case_id": pl.Int64, "d": pl.Float64}
    )
    frame = attach_aggregates(cases, {"lesions": child}, [expr])
    columnar = frame.select(compile_columnar(expr).alias("out")).collect()["out"][0]
    assert scalar is expected, ("scalar", scalar)
    assert columnar is expected, ("columnar", columnar)
