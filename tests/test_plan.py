"""The backend-neutral planner: structural interning, sharing, layers and static types."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from livermets.assessment.pipeline import steps
from livermets.cohort.engine import evaluate_cohort, polars_type, rows_to_frames
from livermets.engine.expr import ChildTable, Col, Expr, col, lit
from livermets.engine.plan import SHARED_PREFIX, Interner, build_plan
from livermets.engine.types import BOOL, FLOAT, INT, Type

lesions = ChildTable("lesions")


@dataclass(frozen=True)
class Step:
    name: str
    expr: Expr
    kind: str


ENV: dict[str, Type] = {"a": FLOAT, "b": FLOAT, "k": INT, "lesions.d": FLOAT}


def test_interning_is_structural_and_keeps_literal_types() -> None:
    interner = Interner()
    assert interner.key(col("a") + 1) == interner.key(col("a") + 1)
    assert interner.key(col("a") + 1) != interner.key(col("a") + 1.0)
    assert interner.key(lit(1)) != interner.key(lit(True))
    assert interner.key(col("a").clip(0, 1)) != interner.key(col("a").clip(0, 2))
    assert interner.key(lesions.max(col("d"))) == interner.key(lesions.max(col("d")))


def test_repeated_sub_expressions_and_aggregates_are_planned_once() -> None:
    shared = (col("a") * 2).ln()
    ordered = [
        Step("x", shared > 1, "derived"),
        Step("y", (col("a") * 2).ln() < 3, "derived"),
        Step("z", lesions.max(col("d")) + lesions.max(col("d")), "derived"),
        Step("w", col("x") & col("y"), "derived"),
    ]
    plan = build_plan(ordered, ENV)
    shared_columns = [c for c in plan.columns if c.name.startswith(SHARED_PREFIX)]
    assert len(shared_columns) == 1 and shared_columns[0].type == FLOAT
    assert sum(len(a) for a in plan.aggregates.values()) == 1
    layer_of = {c.name: i for i, layer in enumerate(plan.layers) for c in layer}
    assert layer_of[shared_columns[0].name] < layer_of["x"] < layer_of["w"]
    assert {c.name: c.type for c in plan.columns if not c.name.startswith("__")} == {
        "x": BOOL,
        "y": BOOL,
        "z": FLOAT,
        "w": BOOL,
    }
    # a step that is exactly another step reads it
    twin = build_plan([Step("p", col("a") + 1, "derived"), Step("q", col("a") + 1, "derived")])
    assert isinstance(next(c for c in twin.columns if c.name == "q").expr, Col)


def test_always_unknown_criterion_is_a_bool_column() -> None:
    plan = build_plan([Step("c", lit(None), "criterion"), Step("d", ~col("c"), "criterion")], ENV)
    assert [c.type for c in plan.columns] == [BOOL, BOOL]


def test_cohort_columns_have_their_static_types() -> None:
    """Every step column of the cohort engine has the type the checker inferred."""
    plan = build_plan(steps())
    cases, children = rows_to_frames([{"case_id": "one"}, {"case_id": "two"}])
    schema = evaluate_cohort(cases, children).collect_schema()
    for column in plan.columns:
        if column.name in schema and column.type.name != "null":
            assert schema[column.name] == polars_type(column.type), column.name
    assert pl.Null() not in [schema[c.name] for c in plan.columns if c.name in schema]
