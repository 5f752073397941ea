"""The planner: turn a list of steps into columns to compute, backend-neutral.

A backend that evaluates many cases at once (polars today, SQL next) computes the same plan:

* **Structural interning**: two expressions get the same key exactly when they are the same
  rule (:class:`Interner`; literals keep their Python type, so ``1``, ``1.0`` and ``True``
  differ).
* **Aggregates** over child tables are collected, each distinct one once, by table; in the
  planned expressions each is replaced by a column (``__agg_<table>_<func>_<key>``).
* **Shared sub-expressions**: a sub-rule that appears more than once (inside several steps,
  or as a whole step) becomes one column (``__shared_<key>``, or the step that is exactly
  it), computed once and read by name.
* **Dependency order and layers**: columns are ordered so that each comes after every
  column it reads, and grouped into layers; a layer reads only columns of earlier layers (in
  polars, one ``with_columns``; in SQL, one ``SELECT`` over the previous).
* **Static types**: every column's type comes from the type checker
  (:func:`livermets.engine.types.check_steps`), so a backend can give each output column its
  type without looking at the data (an always-unknown criterion is still a bool column).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from livermets.engine.expr import Agg, Call, Col, Expr, Lit, children, rebuild
from livermets.engine.types import NULL, Environment, StepLike, Type, check_steps, infer

SHARED_PREFIX = "__shared_"
AGG_PREFIX = "__agg_"


class Interner:
    """Structural keys: two expressions get the same key exactly when they are the same rule.

    Literals keep their Python type (``1``, ``1.0`` and ``True`` are different rules); an
    aggregate's identity is its whole tree (its ``value``/``where`` read child rows).
    """

    def __init__(self) -> None:
        self._by_id: dict[int, int] = {}
        self._by_signature: dict[tuple[Any, ...], int] = {}
        self._keep: list[Expr] = []  # keeps interned nodes alive, so ids are not reused
        self.nodes: dict[int, Expr] = {}

    def key(self, node: Expr) -> int:
        """The structural key of a node (computed once per node object)."""
        found = self._by_id.get(id(node))
        if found is not None:
            return found
        signature = self._signature(node)
        key = self._by_signature.setdefault(signature, len(self._by_signature))
        self._by_id[id(node)] = key
        self._keep.append(node)
        self.nodes.setdefault(key, node)
        return key

    def _signature(self, node: Expr) -> tuple[Any, ...]:
        if isinstance(node, Col):
            return ("col", node.name)
        if isinstance(node, Lit):
            return ("lit", type(node.value).__name__, node.value)
        if isinstance(node, Agg):
            return ("agg", repr(node))
        if isinstance(node, Call):
            return ("call", node.op, repr(node.params), *(self.key(c) for c in node.args))
        raise TypeError(f"unknown expression node {type(node).__name__}")


@dataclass(frozen=True)
class PlannedColumn:
    """One column the plan computes: a step, or a shared sub-expression (``kind`` "shared").

    ``expr`` reads shared sub-expressions and aggregates as columns; ``original`` is the rule
    as written; ``type`` its static type (``null``: always unknown, no better type known).
    """

    name: str
    expr: Expr
    kind: str
    original: Expr
    type: Type


@dataclass(frozen=True)
class Plan:
    """Everything a backend computes, in order."""

    aggregates: dict[str, list[tuple[str, Agg]]]  # child table -> (column, aggregate)
    aggregate_types: dict[str, Type]  # aggregate column -> type
    layers: list[list[PlannedColumn]]
    step_names: list[str]

    @property
    def columns(self) -> list[PlannedColumn]:
        """Every planned column, in dependency order."""
        return [column for layer in self.layers for column in layer]


def build_plan(ordered: Sequence[StepLike], env: Environment | None = None) -> Plan:
    """The plan for steps in pipeline order (``env``: the base column types, default the
    feature catalog's). Type problems are not raised here (``check_steps`` reports them)."""
    step_types, _ = check_steps(ordered, env)
    typed: dict[str, Type] = {**(env if env is not None else _base()), **step_types}
    columns, aggregates = _share(ordered, step_types, typed)
    aggregate_types = {
        name: infer(node, typed) for table in aggregates.values() for name, node in table
    }
    return Plan(aggregates, aggregate_types, layers(columns), [s.name for s in ordered])


def _base() -> dict[str, Type]:
    from livermets.engine.types import base_environment

    return base_environment()


def _share(
    ordered: Sequence[StepLike], step_types: Mapping[str, Type], env: Mapping[str, Type]
) -> tuple[list[PlannedColumn], dict[str, list[tuple[str, Agg]]]]:
    """Rewrite the steps so that every repeated sub-expression is computed once.

    Returns the columns to compute in dependency order (steps plus shared sub-expressions)
    and the distinct aggregates by child table.
    """
    interner = Interner()
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
            name = f"{AGG_PREFIX}{node.table}_{node.func}_{key}"
            column_of[key] = name
            aggregates.setdefault(node.table, []).append((name, node))
        elif counts[key] > 1 and not isinstance(node, Col | Lit):
            column_of[key] = step_of_key.get(key, f"{SHARED_PREFIX}{key}")

    rewritten: dict[int, Expr] = {}

    def rewrite(node: Expr, root: bool = False) -> Expr:
        key = interner.key(node)
        if isinstance(node, Agg) or (not root and key in column_of):
            return Col(column_of[key])
        if not root and key in rewritten:
            return rewritten[key]
        result = rebuild(node, [rewrite(c) for c in children(node)])
        if not root:
            rewritten[key] = result
        return result

    columns: dict[str, PlannedColumn] = {}
    for step in ordered:
        canonical = step_of_key[interner.key(step.expr)]
        expr = Col(canonical) if canonical != step.name else rewrite(step.expr, True)
        kind = str(step.kind)
        columns[step.name] = PlannedColumn(
            step.name, expr, kind, step.expr, step_types.get(step.name, NULL)
        )
    for key, name in column_of.items():
        if name.startswith(SHARED_PREFIX):
            node = interner.nodes[key]
            columns[name] = PlannedColumn(
                name, rewrite(node, True), "shared", node, infer(node, env)
            )
    return topological(columns), aggregates


def topological(columns: Mapping[str, PlannedColumn]) -> list[PlannedColumn]:
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


def layers(ordered: Sequence[PlannedColumn]) -> list[list[PlannedColumn]]:
    """Columns in dependency order grouped into layers: each reads only earlier layers."""
    layer_of: dict[str, int] = {}
    result: list[list[PlannedColumn]] = []
    for column in ordered:
        depth = 0
        for name in column.expr.columns():
            if name in layer_of:
                depth = max(depth, layer_of[name] + 1)
        layer_of[column.name] = depth
        while len(result) <= depth:
            result.append([])
        result[depth].append(column)
    return result
