"""The cohort engine: the same pipeline steps, compiled to polars, over a table of cases.

Input is a case table (one row per case, the base feature columns of ``features.catalog`` plus
``case_id``) and child tables (lesions, markers, ...) keyed by ``case_id``. Output is the case
table with every derived feature, score, criterion (booleans with nulls), option status and
guidance column added. Nothing here is clinical: the steps come from ``assessment.pipeline``.

How the plan is built (once per step list, then reused):

* **Aggregates** over child tables are computed with polars' fast group-by kernels only (sum,
  min, max, any over precomputed child-row columns); the three-valued rules of
  :class:`~livermets.engine.expr.Agg` are applied afterwards on the case rows. Identical
  aggregates written in several rules are computed once.
* **Shared sub-expressions** (the same sub-rule inside several steps, e.g. the same criterion
  read by many options) become one column each, computed once. Polars' own CSE does this only
  in the in-memory engine; doing it here makes the streaming engine (polars' default) as fast.
* Steps (and shared columns) are grouped into **layers**: each layer reads only columns made
  by earlier ones, so a layer is one ``with_columns``.

The plan itself (interning, sharing, aggregates, layers, static types) is backend-neutral and
lives in :mod:`livermets.engine.plan`; this module only compiles it to polars, casting each
column to its statically inferred type.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import polars as pl

from livermets.assessment.pipeline import Step, steps
from livermets.engine.columnar import aggregate_table, compile_columnar
from livermets.engine.plan import Plan, build_plan
from livermets.engine.types import Type
from livermets.features.catalog import CASE_FEATURES, CHILD_FEATURES, DType

POLARS_TYPES: dict[DType, pl.DataType] = {
    "float": pl.Float64(),
    "int": pl.Int64(),
    "bool": pl.Boolean(),
    "str": pl.String(),
}
CASE_SCHEMA: dict[str, pl.DataType] = {
    "case_id": pl.String(),
    **{f.name: POLARS_TYPES[f.dtype] for f in CASE_FEATURES},
}
CHILD_SCHEMAS: dict[str, dict[str, pl.DataType]] = {
    table: {"case_id": pl.String(), **{f.name: POLARS_TYPES[f.dtype] for f in features}}
    for table, features in CHILD_FEATURES.items()
}


def polars_type(found: Type) -> pl.DataType | None:
    """The polars type of a rule type (``None`` for ``null``: a column that is always
    unknown and has no better type keeps polars' Null type)."""
    return None if found.name == "null" else POLARS_TYPES[found.name]


def _typed(expr: pl.Expr, found: Type) -> pl.Expr:
    dtype = polars_type(found)
    return expr if dtype is None else expr.cast(dtype)


@dataclass(frozen=True)
class _Compiled:
    """The engine-neutral plan and its polars expressions, layer by layer."""

    plan: Plan
    layers: list[list[pl.Expr]]


@cache
def _plan(ordered: tuple[Step, ...]) -> _Compiled:
    plan = build_plan(ordered)
    compiled = [
        [_typed(compile_columnar(c.expr), c.type).alias(c.name) for c in layer]
        for layer in plan.layers
    ]
    return _Compiled(plan, compiled)


def conform(frame: pl.LazyFrame | pl.DataFrame, schema: Mapping[str, pl.DataType]) -> pl.LazyFrame:
    """Add absent feature columns as nulls (unknown) and cast present ones to their type."""
    lazy = frame.lazy()
    present = lazy.collect_schema()
    return lazy.with_columns(
        [
            (pl.col(name) if present[name] == dtype else pl.col(name).cast(dtype))
            if name in present
            else pl.lit(None, dtype=dtype).alias(name)
            for name, dtype in schema.items()
            if name not in present or present[name] != dtype
        ]
    )


def evaluate_cohort(
    cases: pl.LazyFrame | pl.DataFrame,
    children: Mapping[str, pl.LazyFrame | pl.DataFrame] | None = None,
    *,
    only: Iterable[str] | None = None,
) -> pl.LazyFrame:
    """Every pipeline step over a cohort, as a lazy frame (call ``.collect()``).

    ``only`` limits the kept output columns (all step columns are computed as needed).
    ``case_id`` must be unique: child rows are matched to their case by it (a table given
    eagerly is checked here; with a lazy one, duplicates fail at collect with a length error).
    """
    if (
        isinstance(cases, pl.DataFrame)
        and "case_id" in cases.columns
        and cases["case_id"].n_unique() != cases.height
    ):
        raise ValueError("case_id must be unique in the case table")
    compiled = _plan(steps())
    plan = compiled.plan
    frame = conform(cases, CASE_SCHEMA)
    keys = frame.select("case_id")
    # Each table's aggregates are computed in the order of the case ids alone (putting them
    # onto the whole case table would copy every column once per table), then set beside the
    # cases.
    per_table = [
        aggregate_table(
            keys,
            conform(children[table], CHILD_SCHEMAS[table])
            if children and table in children
            else pl.LazyFrame(schema=CHILD_SCHEMAS[table]),
            aggregates,
        )
        for table, aggregates in plan.aggregates.items()
    ]
    frame = pl.concat([frame, *per_table], how="horizontal")
    for layer in compiled.layers:
        frame = frame.with_columns(layer)
    keep = ["case_id", *only] if only is not None else [*CASE_SCHEMA, *plan.step_names]
    return frame.select(list(dict.fromkeys(keep)))


def rows_to_frames(
    rows: Sequence[Mapping[str, Any]],
) -> tuple[pl.DataFrame, dict[str, pl.DataFrame]]:
    """Flattened case rows (``features.flatten``) to a case table and child tables."""
    case_records: list[dict[str, Any]] = []
    child_records: dict[str, list[dict[str, Any]]] = {t: [] for t in CHILD_SCHEMAS}
    for index, row in enumerate(rows):
        case_id = str(row.get("case_id", index))
        record: dict[str, Any] = {"case_id": case_id}
        record.update({name: row.get(name) for name in CASE_SCHEMA if name != "case_id"})
        case_records.append(record)
        for table in CHILD_SCHEMAS:
            for child in row.get(table) or ():
                child_records[table].append({"case_id": case_id, **child})
    cases = pl.DataFrame(case_records, schema=CASE_SCHEMA)
    children = {
        table: pl.DataFrame(records, schema=CHILD_SCHEMAS[table])
        if records
        else pl.DataFrame(schema=CHILD_SCHEMAS[table])
        for table, records in child_records.items()
    }
    return cases, children
