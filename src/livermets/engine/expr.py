"""The rule language: one immutable expression tree for every clinical rule.

Every derived feature, score and criterion is written once as an :class:`Expr`. Two backends
evaluate the same tree: :mod:`livermets.engine.scalar` for one case (plain Python, fast for a
single row) and :mod:`livermets.engine.columnar` for a cohort (compiled to polars). The
semantics are defined here, once, and both backends follow them:

* ``None`` is *unknown*. Arithmetic and comparisons with an unknown operand are unknown.
* ``&``, ``|`` and ``~`` are Kleene three-valued logic: ``False & unknown`` is ``False``,
  ``True | unknown`` is ``True``; anything else involving unknown stays unknown.
* :func:`when` is null-safe: if a condition is unknown before any condition is true, the
  result is unknown. (Polars' own ``when`` treats unknown as false; we never do.)
* ``ln``/``log10`` of a value <= 0, ``sqrt`` of a negative value, division by zero,
  ``exp``/``pow`` overflow, a negative base with a fractional exponent and zero to a negative
  power give unknown rather than an error, NaN or infinity.
* Aggregates (:class:`ChildTable`) summarise a case's child rows (lesions, markers, ...).

Every operator is declared once, in :mod:`livermets.engine.ops`; a tree node applying one is a
:class:`Call` (name, operands, literal parameters). The only other nodes are :class:`Col`,
:class:`Lit` and :class:`Agg`. One generic traversal (:func:`children`, :func:`rebuild`,
:func:`fold`) serves every walker: backends, type checker, planner, explanations.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias, TypeVar, Union

from livermets.engine.ops import AGGREGATES, OPS

Scalar: TypeAlias = bool | int | float | str | None
Operand: TypeAlias = Union["Expr", bool, int, float, str, None]

AGG_FUNCS = frozenset(AGGREGATES)


def wrap(value: Operand) -> Expr:
    """Turn a Python value into a literal; leave an expression as it is."""
    return value if isinstance(value, Expr) else Lit(value)


def call(op: str, *operands: Operand, params: tuple[Any, ...] = ()) -> Expr:
    """Apply the operator ``op`` of :data:`~livermets.engine.ops.OPS` to operands."""
    declared = OPS.get(op)
    if declared is None:
        raise ValueError(f"unknown operator {op!r}")
    args = tuple(wrap(o) for o in operands)
    if not declared.accepts(len(args)):
        raise ValueError(f"{op} does not take {len(args)} operand(s)")
    return make(op, args, params)


def make(op: str, args: tuple[Expr, ...], params: tuple[Any, ...] = ()) -> Call:
    """A :class:`Call` node (a :class:`Coalesce` for ``coalesce``), without checks."""
    if op == "coalesce":
        return Coalesce(args)
    return Call(op, args, params)


class Expr:
    """Base class of the expression tree. Nodes are frozen dataclasses."""

    __slots__ = ()

    # arithmetic
    def __add__(self, other: Operand) -> Expr:
        return make("+", (self, wrap(other)))

    def __radd__(self, other: Operand) -> Expr:
        return make("+", (wrap(other), self))

    def __sub__(self, other: Operand) -> Expr:
        return make("-", (self, wrap(other)))

    def __rsub__(self, other: Operand) -> Expr:
        return make("-", (wrap(other), self))

    def __mul__(self, other: Operand) -> Expr:
        return make("*", (self, wrap(other)))

    def __rmul__(self, other: Operand) -> Expr:
        return make("*", (wrap(other), self))

    def __truediv__(self, other: Operand) -> Expr:
        return make("/", (self, wrap(other)))

    def __rtruediv__(self, other: Operand) -> Expr:
        return make("/", (wrap(other), self))

    def __pow__(self, other: Operand) -> Expr:
        return make("pow", (self, wrap(other)))

    def __rpow__(self, other: Operand) -> Expr:
        return make("pow", (wrap(other), self))

    def __neg__(self) -> Expr:
        return make("neg", (self,))

    # comparisons: == and != build expressions too (like polars); nodes hash by identity
    def __eq__(self, other: object) -> Expr:  # type: ignore[override]
        return make("==", (self, wrap(other)))  # type: ignore[arg-type]

    def __ne__(self, other: object) -> Expr:  # type: ignore[override]
        return make("!=", (self, wrap(other)))  # type: ignore[arg-type]

    __hash__ = object.__hash__

    def __bool__(self) -> bool:
        raise TypeError(
            "an expression has no truth value until it is evaluated; "
            "use & | ~ instead of and/or/not, and when() instead of if"
        )

    def __lt__(self, other: Operand) -> Expr:
        return make("<", (self, wrap(other)))

    def __le__(self, other: Operand) -> Expr:
        return make("<=", (self, wrap(other)))

    def __gt__(self, other: Operand) -> Expr:
        return make(">", (self, wrap(other)))

    def __ge__(self, other: Operand) -> Expr:
        return make(">=", (self, wrap(other)))

    def eq(self, other: Operand) -> Expr:
        return make("==", (self, wrap(other)))

    def ne(self, other: Operand) -> Expr:
        return make("!=", (self, wrap(other)))

    # three-valued logic
    def __and__(self, other: Operand) -> Expr:
        return make("and", (self, wrap(other)))

    def __rand__(self, other: Operand) -> Expr:
        return make("and", (wrap(other), self))

    def __or__(self, other: Operand) -> Expr:
        return make("or", (self, wrap(other)))

    def __ror__(self, other: Operand) -> Expr:
        return make("or", (wrap(other), self))

    def __invert__(self) -> Expr:
        return make("not", (self,))

    # functions (each one an operator of ``livermets.engine.ops``)
    def is_null(self) -> Expr:
        return make("is_null", (self,))

    def is_not_null(self) -> Expr:
        return make("is_not_null", (self,))

    def ln(self) -> Expr:
        return make("ln", (self,))

    def exp(self) -> Expr:
        """e to the power of the value; unknown where it would overflow."""
        return make("exp", (self,))

    def pow(self, exponent: Operand) -> Expr:
        """The value to the power ``exponent`` (see ``ops``: unknown where undefined)."""
        return make("pow", (self, wrap(exponent)))

    def log10(self) -> Expr:
        return make("log10", (self,))

    def sqrt(self) -> Expr:
        return make("sqrt", (self,))

    def abs(self) -> Expr:
        return make("abs", (self,))

    def floor(self) -> Expr:
        return make("floor", (self,))

    def clip(self, lower: float, upper: float) -> Expr:
        """Bound a value to [lower, upper] (unknown stays unknown)."""
        return make("clip", (self,), (float(lower), float(upper)))

    def is_in(self, values: Iterable[Scalar]) -> Expr:
        return make("is_in", (self,), (tuple(values),))

    def round_half_up(self, decimals: int = 0) -> Expr:
        """Round half away from zero for positive values, as OPTN/SAS do (not banker's)."""
        return make("round_half_up", (self,), (int(decimals),))

    def fill_null(self, value: Operand) -> Expr:
        return Coalesce((self, wrap(value)))

    def columns(self) -> frozenset[str]:
        """Every case-level column this expression reads (``table[]`` and ``table.column``
        for the child tables its aggregates read)."""
        found: set[str] = set()
        seen: set[int] = set()

        def visit(node: Expr) -> None:
            if id(node) in seen:
                return
            seen.add(id(node))
            if isinstance(node, Col):
                found.add(node.name)
            elif isinstance(node, Agg):
                found.add(f"{node.table}[]")
                for part in agg_parts(node):
                    found.update(f"{node.table}.{name}" for name in part.columns())
            for child in children(node):
                visit(child)

        visit(self)
        return frozenset(found)


@dataclass(frozen=True, slots=True, eq=False)
class Col(Expr):
    """A column of the row: a base feature or an earlier step (a child column inside an
    aggregate's ``value``/``where``)."""

    name: str


@dataclass(frozen=True, slots=True, eq=False)
class Lit(Expr):
    """A literal value; ``None`` is unknown."""

    value: Scalar


@dataclass(frozen=True, slots=True, eq=False)
class Call(Expr):
    """The operator ``op`` (a key of :data:`~livermets.engine.ops.OPS`) applied to ``args``,
    with literal ``params`` (``clip``'s bounds, ``round_half_up``'s decimals, ``is_in``'s
    values)."""

    op: str
    args: tuple[Expr, ...]
    params: tuple[Any, ...] = ()


class Coalesce(Call):
    """``coalesce(a, b, ...)``: the first known operand (a :class:`Call` of ``coalesce``)."""

    __slots__ = ()

    def __init__(self, operands: tuple[Expr, ...]) -> None:
        super().__init__("coalesce", tuple(operands), ())

    @property
    def operands(self) -> tuple[Expr, ...]:
        return self.args


@dataclass(frozen=True, slots=True, eq=False)
class Agg(Expr):
    """An aggregate over one child table of the case (e.g. the lesions).

    ``func`` is a key of :data:`~livermets.engine.ops.AGGREGATES`. ``count`` counts rows where
    ``where`` is true (all rows without ``where``); ``sum``, ``max`` and ``min`` are unknown if
    any included value is unknown, and ``max``/``min`` of no rows is unknown; ``any``/``all``
    are Kleene (``any`` of no rows is False, ``all`` True). A ``where`` that is unknown for
    some row makes the aggregate unknown. ``value`` and ``where`` read the child table's
    columns, not the case's.
    """

    table: str
    func: str
    value: Expr | None
    where: Expr | None


# --- the one generic traversal -----------------------------------------------------------------

T = TypeVar("T")


def children(node: Expr) -> list[Expr]:
    """The direct case-level sub-expressions of a node (an aggregate is a leaf here: its
    ``value``/``where`` read child rows, see :func:`agg_parts`)."""
    return list(node.args) if isinstance(node, Call) else []


def agg_parts(node: Agg) -> list[Expr]:
    """An aggregate's child-row expressions (``value``, then ``where``, where present)."""
    return [part for part in (node.value, node.where) if part is not None]


def rebuild(node: Expr, new_children: Sequence[Expr]) -> Expr:
    """The same node with its direct sub-expressions replaced (in :func:`children` order)."""
    if isinstance(node, Call):
        return make(node.op, tuple(new_children), node.params)
    return node


def fold(node: Expr, combine: Callable[[Expr, list[T]], T]) -> T:
    """Bottom-up: ``combine(node, [fold of each child])``, each shared node computed once."""
    memo: dict[int, T] = {}

    def go(n: Expr) -> T:
        found = memo.get(id(n))
        if found is None:
            found = combine(n, [go(c) for c in children(n)])
            memo[id(n)] = found
        return found

    return go(node)


# --- builders ------------------------------------------------------------------------------------


def col(name: str) -> Col:
    return Col(name)


def lit(value: Scalar) -> Lit:
    return Lit(value)


def all_of(*conditions: Operand) -> Expr:
    return make("and", tuple(wrap(c) for c in conditions))


def any_of(*conditions: Operand) -> Expr:
    return make("or", tuple(wrap(c) for c in conditions))


def coalesce(*values: Operand) -> Expr:
    return Coalesce(tuple(wrap(v) for v in values))


def greatest(*values: Operand) -> Expr:
    return make("greatest", tuple(wrap(v) for v in values))


def least(*values: Operand) -> Expr:
    return make("least", tuple(wrap(v) for v in values))


class _WhenBuilder:
    def __init__(self, branches: Sequence[tuple[Expr, Expr]], condition: Expr) -> None:
        self._branches = tuple(branches)
        self._condition = condition

    def then(self, value: Operand) -> _ThenBuilder:
        return _ThenBuilder((*self._branches, (self._condition, wrap(value))))


class _ThenBuilder:
    def __init__(self, branches: tuple[tuple[Expr, Expr], ...]) -> None:
        self._branches = branches

    def when(self, condition: Operand) -> _WhenBuilder:
        return _WhenBuilder(self._branches, wrap(condition))

    def otherwise(self, value: Operand) -> Expr:
        args = tuple(x for pair in self._branches for x in pair)
        return make("when", (*args, wrap(value)))


def when(condition: Operand) -> _WhenBuilder:
    """``when(c1).then(a).when(c2).then(b).otherwise(c)``; unknown conditions give unknown."""
    return _WhenBuilder((), wrap(condition))


class ChildTable:
    """Aggregates over a child table, e.g. ``lesions.max(col("diameter_cm"))``."""

    def __init__(self, name: str) -> None:
        self.name = name

    def aggregate(self, func: str, value: Operand = None, where: Operand = None) -> Expr:
        """Any aggregate of :data:`~livermets.engine.ops.AGGREGATES` by name."""
        if func not in AGGREGATES:
            raise ValueError(f"unknown aggregate {func!r}")
        needs_value = AGGREGATES[func].value is not None
        return Agg(
            self.name,
            func,
            wrap(value) if needs_value else None,
            None if where is None else wrap(where),
        )

    def count(self, where: Operand = None) -> Expr:
        return self.aggregate("count", None, where)

    def sum(self, value: Operand, where: Operand = None) -> Expr:
        return self.aggregate("sum", value, where)

    def max(self, value: Operand, where: Operand = None) -> Expr:
        return self.aggregate("max", value, where)

    def min(self, value: Operand, where: Operand = None) -> Expr:
        return self.aggregate("min", value, where)

    def any(self, value: Operand, where: Operand = None) -> Expr:
        return self.aggregate("any", value, where)

    def all(self, value: Operand, where: Operand = None) -> Expr:
        return self.aggregate("all", value, where)
