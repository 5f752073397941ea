"""The cohort engine: the same pipeline steps, compiled to polars, over a table of cases.

Input is a case table (one row per case, the base feature columns of ``features.catalog`` plus
``case_id``) and child tables (lesions, markers, ...) keyed by ``case_id``. Output is the case
table with every derived feature, score, criterion (booleans with nulls), option status and
guidance column added. Nothing here is clinical: the steps come from ``assessment.pipeline``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import polars as pl

from livermets.assessment.pipeline import Step, steps
from livermets.engine.columnar import attach_aggregates, compile_columnar
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


def _layers(ordered: Sequence[Step]) -> list[list[Step]]:
    """Group steps so that each group reads only columns made by earlier groups."""
    layer_of: dict[str, int] = {}
    layers: list[list[Step]] = []
    for step in ordered:
        depth = 0
        for name in step.expr.columns():
            if name in layer_of:
                depth = max(depth, layer_of[name] + 1)
        layer_of[step.name] = depth
        while len(layers) <= depth:
            layers.append([])
        layers[depth].append(step)
    return layers


def conform(frame: pl.LazyFrame | pl.DataFrame, schema: Mapping[str, pl.DataType]) -> pl.LazyFrame:
    """Add absent feature columns as nulls (unknown) and cast present ones to their type."""
    lazy = frame.lazy()
    present = set(lazy.collect_schema().names())
    return lazy.with_columns(
        [
            pl.col(name).cast(dtype) if name in present else pl.lit(None, dtype=dtype).alias(name)
            for name, dtype in schema.items()
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
    """
    ordered = steps()
    case_frame = conform(cases, CASE_SCHEMA)
    child_frames = {
        table: conform(children[table], CHILD_SCHEMAS[table])
        if children and table in children
        else pl.LazyFrame(schema=CHILD_SCHEMAS[table])
        for table in CHILD_SCHEMAS
    }
    exprs = [s.expr for s in ordered]
    frame = attach_aggregates(case_frame, child_frames, exprs)
    for layer in _layers(ordered):
        frame = frame.with_columns([compile_columnar(s.expr).alias(s.name) for s in layer])
    keep = ["case_id", *only] if only is not None else [*CASE_SCHEMA, *(s.name for s in ordered)]
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
