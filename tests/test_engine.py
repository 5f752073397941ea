"""The rule language: semantics of unknowns, and the two backends agreeing on generated data."""

from __future__ import annotations

import math
from typing import Any

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from livermets.engine.columnar import attach_aggregates, compile_columnar
from livermets.engine.expr import ChildTable, Expr, call, col, lit, when
from livermets.engine.ops import AGGREGATES, OPS, Op
from livermets.engine.parse import RuleSyntaxError, parse_rule, quantifier
from livermets.engine.scalar import compile_scalar, evaluate, round_half_up
from livermets.engine.types import BOOL, FLOAT, INT, check

lesions = ChildTable("lesions")


def test_kleene_logic() -> None:
    p, q = col("p"), col("q")
    assert evaluate(p & q, {"p": False, "q": None}) is False
    assert evaluate(p & q, {"p": True, "q": None}) is None
    assert evaluate(p | q, {"p": True, "q": None}) is True
    assert evaluate(p | q, {"p": False, "q": None}) is None
    assert evaluate(~p, {"p": None}) is None


def test_when_with_unknown_condition_is_unknown_not_otherwise() -> None:
    points = when(col("b") < 2).then(1).when(col("b") <= 3).then(2).otherwise(3)
    assert evaluate(points, {"b": None}) is None
    assert [evaluate(points, {"b": b}) for b in (1.9, 2.0, 3.0, 3.1)] == [1, 2, 2, 3]


def test_undefined_maths_is_unknown() -> None:
    assert evaluate(col("a").ln(), {"a": 0.0}) is None
    assert evaluate(col("a").sqrt(), {"a": -1.0}) is None
    assert evaluate(col("a") / col("b"), {"a": 1.0, "b": 0.0}) is None


def test_round_half_up_matches_decimal_reading() -> None:
    assert round_half_up(2.05, 1) == 2.1
    assert round_half_up(2.25, 1) == 2.3  # Python's round() gives 2.2
    assert round_half_up(11.4999, 0) == 11


def test_aggregates_over_no_rows_and_unknown_rows() -> None:
    row_none: dict[str, Any] = {"lesions": []}
    assert evaluate(lesions.count(), row_none) == 0
    assert evaluate(lesions.max(col("d")), row_none) is None
    assert evaluate(lesions.any(col("v")), row_none) is False
    row = {"lesions": [{"d": 2.0, "v": None}, {"d": None, "v": False}]}
    assert evaluate(lesions.max(col("d")), row) is None
    assert evaluate(lesions.any(col("v")), row) is None
    assert evaluate(lesions.count(where=col("d") > 3), row) is None


def test_parse_rule_reads_clinical_text() -> None:
    rule = parse_rule(
        "largest <= 3 and site in ['colorectal', 'breast'] and not known(x)",
        child_tables=frozenset(),
    )
    assert evaluate(rule, {"largest": 2.5, "site": "breast", "x": None}) is True
    assert evaluate(rule, {"largest": 2.5, "site": None, "x": None}) is None
    chained = parse_rule("1 <= a < 3")
    assert evaluate(chained, {"a": 2}) is True and evaluate(chained, {"a": 3}) is False


@pytest.mark.parametrize(
    "text",
    ["__import__('os')", "lambda: 1", "a[0]", "open('x')", "a // 2", "a % 2", "x.any(y)"],
)
def test_parse_rule_refuses_anything_else(text: str) -> None:
    with pytest.raises(RuleSyntaxError):
        parse_rule(text)


# --- the two backends agree, on expressions generated from the operator table -----------------

numbers = st.one_of(st.none(), st.floats(-5, 50, allow_nan=False).map(lambda x: round(x, 2)))
flags = st.one_of(st.none(), st.booleans())
ints = st.one_of(st.none(), st.integers(-3, 6))
POOL = [0.0, 1.0, 2.0, 3.0, 0.5, -1.5, 10.0]

CASE_NUMS = ["a", "b", "k"]  # k is an int column
CASE_BOOLS = ["p", "q"]
CHILD_NUMS = ["d"]
CHILD_BOOLS = ["v"]
QUANTIFIERS = ("every", "some", "none")


def _produces(op: Op, kind: str) -> bool:
    """Whether the operator can yield a value of ``kind`` ("num" or "bool")."""
    if op.result in ("bool", "compare"):
        return kind == "bool"
    if op.result in ("float", "int", "widen", "same"):
        return kind == "num"
    if op.result == "unify":
        return True
    raise AssertionError(f"the generator does not know result rule {op.result!r}")


def _aggregate_produces(func: str, kind: str) -> bool:
    result = AGGREGATES[func].result
    if result == "bool":
        return kind == "bool"
    return kind == "num"


@st.composite
def typed_expr(draw: st.DrawFn, kind: str, depth: int = 3, scope: str = "case") -> Expr:
    """A well-typed random expression of ``kind`` ("num" or "bool"), built from the operator
    table (and, at case level, aggregates and quantifiers over the lesions)."""
    if depth <= 0 or draw(st.integers(0, 4)) == 0:
        return draw(_leaf(kind, scope))
    choices: list[tuple[str, str]] = [("op", n) for n, op in OPS.items() if _produces(op, kind)]
    if scope == "case":
        choices += [("agg", f) for f in AGGREGATES if _aggregate_produces(f, kind)]
        if kind == "bool":
            choices += [("quantifier", q) for q in QUANTIFIERS]
    what, name = draw(st.sampled_from(choices))
    sub = depth - 1
    if what == "agg":
        value_kind = AGGREGATES[name].value
        value = None
        if value_kind is not None:
            value = draw(typed_expr("bool" if value_kind == "bool" else "num", sub, "child"))
        where = draw(st.one_of(st.none(), typed_expr("bool", sub, "child")))
        return lesions.aggregate(name, value, where)
    if what == "quantifier":
        return quantifier(name, "lesions", draw(typed_expr("bool", sub, "child")))
    op = OPS[name]
    count = (
        op.arity if op.arity is not None else draw(st.sampled_from([op.min_args, op.min_args + 2]))
    )
    # operands of kind "any": one kind for all of them (comparisons need a common type)
    any_kind = kind if op.result == "unify" else draw(st.sampled_from(["num", "bool"]))
    if name == "is_in":
        any_kind = "num"
    operands = []
    for index in range(count):
        arg = op.arg_kind(index, count)
        operands.append(draw(typed_expr(any_kind if arg == "any" else arg, sub, scope)))
    params: tuple[Any, ...] = ()
    if name == "clip":
        low, high = sorted(draw(st.lists(st.sampled_from(POOL), min_size=2, max_size=2)))
        params = (low, high)
    elif name == "round_half_up":
        params = (draw(st.integers(0, 2)),)
    elif name == "is_in":
        params = (tuple(draw(st.lists(st.sampled_from(POOL), min_size=1, max_size=3))),)
    elif op.params:
        raise AssertionError(f"the generator does not know the parameters of {name}")
    return call(name, *operands, params=params)


def _leaf(kind: str, scope: str) -> st.SearchStrategy[Expr]:
    names = (CASE_NUMS if kind == "num" else CASE_BOOLS) if scope == "case" else None
    if names is None:
        names = CHILD_NUMS if kind == "num" else CHILD_BOOLS
    literal: st.SearchStrategy[Any] = (
        st.one_of(st.sampled_from(POOL), st.integers(-2, 3), st.none())
        if kind == "num"
        else st.one_of(st.booleans(), st.none())
    )
    return st.one_of(st.sampled_from(names).map(col), literal.map(lit))


def test_generator_covers_every_operator() -> None:
    """Every operator and aggregate of the table can be generated (a new one too)."""
    for name, op in OPS.items():
        assert _produces(op, "num") or _produces(op, "bool"), name
    for func in AGGREGATES:
        assert _aggregate_produces(func, "num") or _aggregate_produces(func, "bool")


case_rows = st.lists(
    st.fixed_dictionaries(
        {
            "a": numbers,
            "b": numbers,
            "k": ints,
            "p": flags,
            "q": flags,
            "extra_lesions": st.one_of(st.none(), st.integers(0, 2)),
            "lesions": st.lists(st.fixed_dictionaries({"d": numbers, "v": flags}), max_size=3),
        }
    ),
    min_size=1,
    max_size=6,
)

CASE_SCHEMA = {
    "case_id": pl.Int64,
    "a": pl.Float64,
    "b": pl.Float64,
    "k": pl.Int64,
    "p": pl.Boolean,
    "q": pl.Boolean,
    "lesions_itemised": pl.Int64,
    "lesion_count": pl.Int64,
}


def _case(row: dict[str, Any]) -> dict[str, Any]:
    """The case-level columns, with the lesion completeness the quantifiers read."""
    extra = row["extra_lesions"]
    itemised = len(row["lesions"])
    return {
        **{k: row[k] for k in ("a", "b", "k", "p", "q")},
        "lesions_itemised": itemised,
        "lesion_count": None if extra is None else itemised + extra,
        "lesions": row["lesions"],
    }


def _columnar(expr: Expr, rows: list[dict[str, Any]]) -> list[Any]:
    cases = pl.LazyFrame(
        [
            {"case_id": i, **{k: v for k, v in _case(r).items() if k != "lesions"}}
            for i, r in enumerate(rows)
        ],
        schema=CASE_SCHEMA,
    )
    children = pl.LazyFrame(
        [{"case_id": i, **child} for i, r in enumerate(rows) for child in r["lesions"]],
        schema={"case_id": pl.Int64, "d": pl.Float64, "v": pl.Boolean},
    )
    frame = attach_aggregates(cases, {"lesions": children}, [expr])
    out = frame.with_columns(compile_columnar(expr).alias("out")).collect()
    return out["out"].to_list()


def _same(x: Any, y: Any) -> bool:
    if x is None or y is None:
        return x is None and y is None
    if isinstance(x, bool) or isinstance(y, bool):
        return x is y
    if isinstance(x, float) or isinstance(y, float):
        return math.isclose(float(x), float(y), rel_tol=1e-9, abs_tol=1e-12)
    return bool(x == y)


ENV = {
    **{n: FLOAT for n in ("a", "b")},
    "k": INT,
    "p": BOOL,
    "q": BOOL,
    "lesions_itemised": INT,
    "lesion_count": INT,
    "lesions.d": FLOAT,
    "lesions.v": BOOL,
}


def _agree(expr: Expr, rows: list[dict[str, Any]]) -> None:
    assert check(expr, ENV) == []  # the generator makes well-typed expressions only
    scalar = [compile_scalar(expr)(_case(r)) for r in rows]
    columnar = _columnar(expr, rows)
    assert all(_same(s, c) for s, c in zip(scalar, columnar, strict=True)), (scalar, columnar)
    for value in scalar:  # undefined maths is unknown, never NaN or infinity
        assert not (isinstance(value, float) and not math.isfinite(value))


@settings(max_examples=200, deadline=None)
@given(expr=typed_expr("num"), rows=case_rows)
def test_backends_agree_on_numbers(expr: Expr, rows: list[dict[str, Any]]) -> None:
    _agree(expr, rows)


@settings(max_examples=200, deadline=None)
@given(expr=typed_expr("bool"), rows=case_rows)
def test_backends_agree_on_three_valued_logic(expr: Expr, rows: list[dict[str, Any]]) -> None:
    _agree(expr, rows)
