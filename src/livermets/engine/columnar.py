"""Columnar backend: compile an :class:`~livermets.engine.expr.Expr` to a polars expression.

Used for cohorts (a million cases at once). The semantics are exactly those of the scalar
backend (see :mod:`livermets.engine.expr`); ``tests/test_engine.py`` (random expressions) and
``tests/test_cohort.py`` (every pipeline step) check that the two agree on generated data.
Child-table aggregates are computed per table by :func:`aggregate_table` (used by the cohort
engine) and set beside the cases by :func:`attach_aggregates`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import polars as pl

from livermets.engine.expr import Agg, Call, Col, Expr, Lit, children, fold
from livermets.engine.ops import AGGREGATES, OPS

NULL = pl.lit(None)


def aggregate_column_name(node: Agg) -> str:
    """A stable column name for an aggregate, so each one is computed once per cohort."""
    return f"__agg_{node.table}_{node.func}_{id(node):x}"


_KIND_DTYPES: dict[str, pl.DataType] = {"bool": pl.Boolean(), "num": pl.Float64()}


def _always_unknown(node: Expr, parts: list[tuple[pl.Expr, bool]]) -> bool:
    """Whether a node is unknown whatever the row (from its operator's null semantics)."""
    if isinstance(node, Lit):
        return node.value is None
    if not isinstance(node, Call):
        return False
    nulls = OPS[node.op].nulls
    unknown = [u for _, u in parts]
    if nulls == "strict":
        return any(unknown)
    if nulls in ("first_known", "kleene"):
        return all(unknown)
    if nulls == "when":
        return unknown[0] or all(unknown[1:-1:2] + unknown[-1:])
    return False


def _compile_node(node: Expr, parts: list[tuple[pl.Expr, bool]]) -> tuple[pl.Expr, bool]:
    """A node's polars expression and whether it is always unknown. An always-unknown node
    compiles to a null literal (so polars never applies an operator to its untyped Null), and
    an always-unknown operand gets the type its operator expects."""
    if _always_unknown(node, parts):
        return NULL, True
    if isinstance(node, Col):
        return pl.col(node.name), False
    if isinstance(node, Lit):
        return pl.lit(node.value), False
    if isinstance(node, Call):
        op = OPS[node.op]
        count = len(parts)
        typed = [
            pl.lit(None, dtype=_KIND_DTYPES[kind])
            if unknown and (kind := op.arg_kind(i, count)) in _KIND_DTYPES
            else expr
            for i, (expr, unknown) in enumerate(parts)
        ]
        return op.columnar(typed, node.params), False
    if isinstance(node, Agg):
        return pl.col(aggregate_column_name(node)), False
    raise TypeError(f"unknown expression node {type(node).__name__}")


def compile_columnar(node: Expr) -> pl.Expr:
    """Compile an expression over case-level columns (aggregates must be attached first).

    Each operator's polars form comes from :mod:`livermets.engine.ops`."""
    return fold(node, _compile_node)[0]


def _compile_as(node: Expr, kind: str | None) -> pl.Expr:
    """Compile an operand of the given kind (an always-unknown one as a typed null)."""
    expr, unknown = fold(node, _compile_node)
    if unknown and kind in _KIND_DTYPES:
        return pl.lit(None, dtype=_KIND_DTYPES[kind])
    return expr


def collect_aggregates(nodes: Sequence[Expr]) -> list[Agg]:
    """Every aggregate node inside the given expressions, each once."""
    found: dict[int, Agg] = {}
    seen: set[int] = set()

    def visit(node: Expr) -> None:
        if id(node) in seen:
            return
        seen.add(id(node))
        if isinstance(node, Agg):
            found[id(node)] = node
        for child in children(node):
            visit(child)

    for node in nodes:
        visit(node)
    return list(found.values())


_CHILD_ROW = "__child_row"
_POSITION = "__position"


# --- aggregates -------------------------------------------------------------------------------


# Kleene any/all and "a ``where`` was unknown" folded into one small code per child row, so
# that one fast ``max`` per group decides the aggregate (see ``aggregate_table``).
_FALSE, _UNKNOWN, _DECIDES, _WHERE_UNKNOWN = 0, 1, 2, 3
# count + this for each row whose ``where`` is unknown: the sum then says "unknown" by itself
_UNKNOWN_COUNT = 1 << 32


def _code(value: int) -> pl.Expr:
    return pl.lit(value, dtype=pl.UInt8)


def _kleene(included: pl.Expr, where: pl.Expr | None, value: pl.Expr, decisive: pl.Expr) -> pl.Expr:
    """The per-row code of ``_aggregate``: which of unknown-where, decisive, unknown-value."""
    found = (
        pl.when(included & decisive)
        .then(_code(_DECIDES))
        .when(included & value.is_null())
        .then(_code(_UNKNOWN))
        .otherwise(_code(_FALSE))
    )
    if where is None:
        return found
    return pl.when(where.is_null()).then(_code(_WHERE_UNKNOWN)).otherwise(found)


class _TableAggregates:
    """The child-row columns and group-by aggregations of one child table, each made once."""

    def __init__(self) -> None:
        self.rows: dict[str, pl.Expr] = {}  # child-row column -> its expression
        self._names: dict[str, str] = {}  # what a child-row column computes -> its name
        self.grouped: dict[str, pl.Expr] = {}

    def row(self, what: str, expr: pl.Expr) -> pl.Expr:
        """A child-row column, computed once however many aggregates use it."""
        if what not in self._names:
            self._names[what] = f"__row{len(self._names)}"
            self.rows[self._names[what]] = expr
        return pl.col(self._names[what])

    def group(self, column: pl.Expr, how: str, no_rows: Any) -> pl.Expr:
        """A plain group-by aggregation of a child-row column, as a case-level column;
        ``no_rows`` is its value for a case without child rows."""
        name = f"{column.meta.output_name()}#{how}"
        self.grouped[name] = getattr(column, how)()
        return pl.col(name) if no_rows is None else pl.col(name).fill_null(no_rows)

    def result(self, node: Agg) -> pl.Expr:
        """The aggregate's value per case, from the grouped columns."""
        w = repr(node.where)
        where = (
            None if node.where is None else self.row(f"where {w}", _compile_as(node.where, "bool"))
        )
        if node.func == "count":
            if where is None:
                return self.group(pl.col(_CHILD_ROW), "count", 0).cast(pl.Int64)
            counted = self.group(
                self.row(
                    f"count {w}",
                    pl.when(where.is_null())
                    .then(pl.lit(_UNKNOWN_COUNT, dtype=pl.Int64))
                    .otherwise(where.cast(pl.Int64)),
                ),
                "sum",
                0,
            )
            return pl.when(counted >= _UNKNOWN_COUNT).then(None).otherwise(counted)
        assert node.value is not None
        v = repr(node.value)
        kind = AGGREGATES[node.func].value
        # keyed by kind too: an always-unknown value is a typed null (bool for any/all)
        value = self.row(f"value {kind} {v}", _compile_as(node.value, kind))
        included = pl.lit(True) if where is None else where
        if node.func in ("any", "all"):
            decisive = value if node.func == "any" else ~value
            code = _kleene(included, where, value, decisive)
            found = self.group(self.row(f"{node.func} {v} where {w}", code), "max", _FALSE)
            return (
                pl.when(found == _DECIDES)
                .then(node.func == "any")
                .when(found == _FALSE)
                .then(node.func == "all")
                .otherwise(None)
            )
        if node.func in ("sum", "max", "min"):
            kept = (
                value if where is None else self.row(f"{v} where {w}", pl.when(where).then(value))
            )
            code = _kleene(included, where, value, pl.lit(False))
            unknown = self.group(self.row(f"unknown {v} where {w}", code), "max", _FALSE)
            total = self.group(kept, node.func, 0 if node.func == "sum" else None)
            return pl.when(unknown == _FALSE).then(total)
        raise ValueError(f"unknown aggregate {node.func}")


def aggregate_table(
    keys: pl.LazyFrame, child: pl.LazyFrame, aggregates: Sequence[tuple[str, Agg]]
) -> pl.LazyFrame:
    """One child table's aggregates, a row per case in the order of ``keys`` (the case ids),
    with the semantics of :class:`~livermets.engine.expr.Agg`.

    Each child row first gets plain columns (each distinct ``where``/``value`` compiled once);
    the group-by then uses only count/sum/min/max, polars' fast kernels, mostly one per
    aggregate:

    * ``any``: a code per row -- 3 where unknown, 2 value true, 1 value unknown, else 0 -- and
      the group's maximum is the answer (3 or 1: unknown, 2: true, 0 or no rows: false).
    * ``all``: the same with 2 for value false (0 or no rows: true).
    * ``count``: the number of rows included, plus 2^32 for each unknown ``where``.
    * ``sum``/``max``/``min``: the value over included rows, and the maximum of a code that says
      whether any included value or any ``where`` was unknown.
    """
    table = _TableAggregates()
    final = [table.result(node).alias(name) for name, node in aggregates]
    rows = child.with_columns(pl.lit(True).alias(_CHILD_ROW))
    for column, expr in table.rows.items():  # in order of creation: later ones read earlier
        rows = rows.with_columns(expr.alias(column))
    # One empty row per case, carrying the case's position, so that the groups can be put
    # back in the order of the cases by a sort, and a case without child rows still has a
    # group. (A join that keeps the case order, or a group-by that keeps the order, is slower:
    # both gather every aggregate column through the streaming engine.) The empty rows are null
    # in every child-row column, which every aggregation above ignores.
    positions = keys.select("case_id", pl.int_range(pl.len(), dtype=pl.UInt32).alias(_POSITION))
    rows = pl.concat(
        [positions, rows.select("case_id", _CHILD_ROW, *table.rows)], how="diagonal_relaxed"
    )
    return (
        rows.group_by("case_id")
        .agg(pl.col(_POSITION).min(), *(e.alias(n) for n, e in table.grouped.items()))
        .select(_POSITION, *final)
        .sort(_POSITION)
        .drop(_POSITION)
    )


def attach_aggregates(
    cases: pl.LazyFrame, children: dict[str, pl.LazyFrame], nodes: Sequence[Expr]
) -> pl.LazyFrame:
    """Put every aggregate the expressions need beside the case table (same row order), as the
    columns ``compile_columnar`` reads for them. ``case_id`` must be unique."""
    by_table: dict[str, list[tuple[str, Agg]]] = {}
    for agg in collect_aggregates(nodes):
        by_table.setdefault(agg.table, []).append((aggregate_column_name(agg), agg))
    keys = cases.select("case_id")
    per_table = [
        aggregate_table(keys, children[table], aggregates) for table, aggregates in by_table.items()
    ]
    return pl.concat([cases, *per_table], how="horizontal")
