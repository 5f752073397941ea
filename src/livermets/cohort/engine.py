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
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import polars as pl

from livermets.assessment.pipeline import Step, steps
from livermets.engine.columnar import aggregate_table, compile_columnar
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

# What a step holds when its rule cannot say (a rule that is always unknown, e.g. ``None`` while
# a field does not exist yet): such a rule compiles to polars' Null type, which later steps
# cannot negate or compare, so the column gets its type from the rule's shape (``_result_type``)
# or else from its kind.
_KIND_TYPES: dict[str, pl.DataType] = {
    "criterion": pl.Boolean(),
    "prompt": pl.Boolean(),
    "prognosis": pl.Boolean(),
}
_LITERAL_TYPES: dict[type, pl.DataType] = {
    bool: pl.Boolean(),
    int: pl.Int64(),
    float: pl.Float64(),
    str: pl.String(),
}
_SHARED_PREFIX = "__shared_"
_AGG_PREFIX = "__agg_"


# --- structural identity and sharing ----------------------------------------------------------


class _Interner:
    """Structural keys: two expressions get the same key exactly when they are the same rule.

    Literals keep their Python type (``1``, ``1.0`` and ``True`` are different rules).
    """

    def __init__(self) -> None:
        self._by_id: dict[int, int] = {}
        self._by_signature: dict[tuple[Any, ...], int] = {}
        self.nodes: dict[int, Expr] = {}

    def key(self, node: Expr) -> int:
        found = self._by_id.get(id(node))
        if found is not None:
            return found
        signature = self._signature(node)
        key = self._by_signature.setdefault(signature, len(self._by_signature))
        self._by_id[id(node)] = key
        self.nodes.setdefault(key, node)
        return key

    def _signature(self, node: Expr) -> tuple[Any, ...]:
        k = self.key
        if isinstance(node, Col):
            return ("col", node.name)
        if isinstance(node, Lit):
            return ("lit", type(node.value).__name__, node.value)
        if isinstance(node, Agg):
            # child-row expressions live in their own namespace: their repr is their identity
            return ("agg", repr(node))
        if isinstance(node, Unary):
            return ("unary", node.op, k(node.operand))
        if isinstance(node, Binary):
            return ("binary", node.op, k(node.left), k(node.right))
        if isinstance(node, And | Or | Coalesce):
            return (type(node).__name__, *(k(o) for o in node.operands))
        if isinstance(node, Extreme):
            return ("extreme", node.greatest, *(k(o) for o in node.operands))
        if isinstance(node, Clip):
            return ("clip", k(node.operand), node.lower, node.upper)
        if isinstance(node, IsIn):
            return ("isin", k(node.operand), *((type(v).__name__, v) for v in node.values))
        if isinstance(node, RoundHalfUp):
            return ("round", k(node.operand), node.decimals)
        if isinstance(node, When):
            branches = tuple((k(c), k(v)) for c, v in node.branches)
            return ("when", branches, k(node.otherwise))
        raise TypeError(f"unknown expression node {type(node).__name__}")


def _rebuild(node: Expr, sub: Callable[[Expr], Expr]) -> Expr:
    """The same node with each direct sub-expression replaced by ``sub(child)``."""
    if isinstance(node, Unary):
        return Unary(node.op, sub(node.operand))
    if isinstance(node, Binary):
        return Binary(node.op, sub(node.left), sub(node.right))
    if isinstance(node, And):
        return And(tuple(sub(o) for o in node.operands))
    if isinstance(node, Or):
        return Or(tuple(sub(o) for o in node.operands))
    if isinstance(node, Coalesce):
        return Coalesce(tuple(sub(o) for o in node.operands))
    if isinstance(node, Extreme):
        return Extreme(node.greatest, tuple(sub(o) for o in node.operands))
    if isinstance(node, Clip):
        return Clip(sub(node.operand), node.lower, node.upper)
    if isinstance(node, IsIn):
        return IsIn(sub(node.operand), node.values)
    if isinstance(node, RoundHalfUp):
        return RoundHalfUp(sub(node.operand), node.decimals)
    if isinstance(node, When):
        return When(tuple((sub(c), sub(v)) for c, v in node.branches), sub(node.otherwise))
    return node  # Col, Lit (Agg is replaced before this)


@dataclass(frozen=True)
class _Column:
    """One column the plan computes: a step, or a shared sub-expression (``kind`` "shared")."""

    name: str
    expr: Expr
    kind: str
    original: Expr  # before shared parts were replaced by their columns


@dataclass(frozen=True)
class _Plan:
    aggregates: dict[str, list[tuple[str, Agg]]]  # child table -> (column, aggregate)
    layers: list[list[tuple[_Column, pl.Expr]]]
    step_names: list[str]


def _share(ordered: Sequence[Step]) -> tuple[list[_Column], dict[str, list[tuple[str, Agg]]]]:
    """Rewrite the steps so that every repeated sub-expression is computed once.

    Returns the columns to compute in dependency order (steps plus shared sub-expressions)
    and the distinct aggregates by child table.
    """
    interner = _Interner()
    counts: Counter[int] = Counter()

    def visit(node: Expr) -> None:
        key = interner.key(node)
        counts[key] += 1
        if counts[key] > 1 or isinstance(node, Agg):
            return  # its sub-expressions are computed once, inside it
        for child in children(node):
            visit(child)

    for step in ordered:
        visit(step.expr)

    step_of_key: dict[int, str] = {}
    for step in ordered:
        step_of_key.setdefault(interner.key(step.expr), step.name)
    column_of: dict[int, str] = {}
    aggregates: dict[str, list[tuple[str, Agg]]] = {}
    for key, node in interner.nodes.items():
        if isinstance(node, Agg):
            name = f"{_AGG_PREFIX}{node.table}_{node.func}_{key}"
            column_of[key] = name
            aggregates.setdefault(node.table, []).append((name, node))
        elif counts[key] > 1 and not isinstance(node, Col | Lit):
            column_of[key] = step_of_key.get(key, f"{_SHARED_PREFIX}{key}")

    rewritten: dict[int, Expr] = {}

    def rewrite(node: Expr, root: bool = False) -> Expr:
        key = interner.key(node)
        if isinstance(node, Agg) or (not root and key in column_of):
            return Col(column_of[key])
        if not root and key in rewritten:
            return rewritten[key]
        result = _rebuild(node, rewrite)
        if not root:
            rewritten[key] = result
        return result

    columns: dict[str, _Column] = {}
    for step in ordered:
        canonical = step_of_key[interner.key(step.expr)]
        expr = Col(canonical) if canonical != step.name else rewrite(step.expr, True)
        columns[step.name] = _Column(step.name, expr, step.kind, step.expr)
    for key, name in column_of.items():
        if name.startswith(_SHARED_PREFIX):
            node = interner.nodes[key]
            columns[name] = _Column(name, rewrite(node, True), "shared", node)
    return _topological(columns), aggregates


def _topological(columns: Mapping[str, _Column]) -> list[_Column]:
    """Columns ordered so that each comes after every column it reads (inputs first)."""
    done: dict[str, None] = {}
    visiting: set[str] = set()

    def place(name: str) -> None:
        if name in done:
            return
        if name in visiting:
            raise ValueError(f"cyclic dependency through column {name!r}")
        visiting.add(name)
        for dependency in sorted(columns[name].expr.columns()):
            if dependency in columns and dependency != name:
                place(dependency)
        visiting.discard(name)
        done[name] = None

    for name in columns:
        place(name)
    return [columns[name] for name in done]


def _column_layers(ordered: Sequence[_Column]) -> list[list[_Column]]:
    layer_of: dict[str, int] = {}
    layers: list[list[_Column]] = []
    for column in ordered:
        depth = 0
        for name in column.expr.columns():
            if name in layer_of:
                depth = max(depth, layer_of[name] + 1)
        layer_of[column.name] = depth
        while len(layers) <= depth:
            layers.append([])
        layers[depth].append(column)
    return layers


@cache
def _plan(ordered: tuple[Step, ...]) -> _Plan:
    columns, aggregates = _share(ordered)
    layers = [
        [(c, compile_columnar(c.expr).alias(c.name)) for c in layer]
        for layer in _column_layers(columns)
    ]
    return _Plan(aggregates, layers, [s.name for s in ordered])


def _result_type(node: Expr) -> pl.DataType | None:
    """The polars type an expression yields, when its shape says so (else None)."""
    if isinstance(node, Lit):
        return None if node.value is None else _LITERAL_TYPES[type(node.value)]
    if isinstance(node, And | Or | IsIn) or (
        isinstance(node, Unary) and node.op in ("not", "is_null", "is_not_null")
    ):
        return pl.Boolean()
    if isinstance(node, Binary):
        return pl.Boolean() if node.op in ("<", "<=", ">", ">=", "==", "!=") else pl.Float64()
    if isinstance(node, Agg):
        return pl.Boolean() if node.func in ("any", "all") else None
    if isinstance(node, When):
        candidates = [v for _, v in node.branches] + [node.otherwise]
    elif isinstance(node, Coalesce | Extreme):
        candidates = list(node.operands)
    else:
        return None
    for candidate in candidates:
        found = _result_type(candidate)
        if found is not None:
            return found
    return None


def _type_unknown_columns(
    frame: pl.LazyFrame, layer: Sequence[tuple[_Column, pl.Expr]]
) -> pl.LazyFrame:
    schema = frame.collect_schema()
    casts = []
    for column, _ in layer:
        if schema[column.name] == pl.Null():
            dtype = _result_type(column.original) or _KIND_TYPES.get(column.kind)
            if dtype is not None:
                casts.append(pl.col(column.name).cast(dtype))
    return frame.with_columns(casts) if casts else frame


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
    plan = _plan(steps())
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
    for layer in plan.layers:
        frame = frame.with_columns([expr for _, expr in layer])
        frame = _type_unknown_columns(frame, layer)
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
