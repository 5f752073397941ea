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
* ``ln``/``log10`` of a value <= 0, ``sqrt`` of a negative value and division by zero give
  unknown rather than an error or infinity.
* Aggregates (:class:`ChildTable`) summarise a case's child rows (lesions, markers, ...).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TypeAlias, Union

Scalar: TypeAlias = bool | int | float | str | None
Operand: TypeAlias = Union["Expr", bool, int, float, str, None]

UNARY_OPS = frozenset(
    {"neg", "not", "is_null", "is_not_null", "ln", "exp", "log10", "sqrt", "abs", "floor"}
)
BINARY_OPS = frozenset({"+", "-", "*", "/", "<", "<=", ">", ">=", "==", "!="})
AGG_FUNCS = frozenset({"count", "sum", "max", "min", "any", "all"})


def wrap(value: Operand) -> Expr:
    """Turn a Python value into a literal; leave an expression as it is."""
    return value if isinstance(value, Expr) else Lit(value)


class Expr:
    """Base class of the expression tree. Nodes are frozen dataclasses."""

    __slots__ = ()

    # arithmetic
    def __add__(self, other: Operand) -> Expr:
        return Binary("+", self, wrap(other))

    def __radd__(self, other: Operand) -> Expr:
        return Binary("+", wrap(other), self)

    def __sub__(self, other: Operand) -> Expr:
        return Binary("-", self, wrap(other))

    def __rsub__(self, other: Operand) -> Expr:
        return Binary("-", wrap(other), self)

    def __mul__(self, other: Operand) -> Expr:
        return Binary("*", self, wrap(other))

    def __rmul__(self, other: Operand) -> Expr:
        return Binary("*", wrap(other), self)

    def __truediv__(self, other: Operand) -> Expr:
        return Binary("/", self, wrap(other))

    def __rtruediv__(self, other: Operand) -> Expr:
        return Binary("/", wrap(other), self)

    def __neg__(self) -> Expr:
        return Unary("neg", self)

    # comparisons: == and != build expressions too (like polars); nodes hash by identity
    def __eq__(self, other: object) -> Expr:  # type: ignore[override]
        return Binary("==", self, wrap(other))  # type: ignore[arg-type]

    def __ne__(self, other: object) -> Expr:  # type: ignore[override]
        return Binary("!=", self, wrap(other))  # type: ignore[arg-type]

    __hash__ = object.__hash__

    def __bool__(self) -> bool:
        raise TypeError(
            "an expression has no truth value until it is evaluated; "
            "use & | ~ instead of and/or/not, and when() instead of if"
        )

    def __lt__(self, other: Operand) -> Expr:
        return Binary("<", self, wrap(other))

    def __le__(self, other: Operand) -> Expr:
        return Binary("<=", self, wrap(other))

    def __gt__(self, other: Operand) -> Expr:
        return Binary(">", self, wrap(other))

    def __ge__(self, other: Operand) -> Expr:
        return Binary(">=", self, wrap(other))

    def eq(self, other: Operand) -> Expr:
        return Binary("==", self, wrap(other))

    def ne(self, other: Operand) -> Expr:
        return Binary("!=", self, wrap(other))

    # three-valued logic
    def __and__(self, other: Operand) -> Expr:
        return And((self, wrap(other)))

    def __rand__(self, other: Operand) -> Expr:
        return And((wrap(other), self))

    def __or__(self, other: Operand) -> Expr:
        return Or((self, wrap(other)))

    def __ror__(self, other: Operand) -> Expr:
        return Or((wrap(other), self))

    def __invert__(self) -> Expr:
        return Unary("not", self)

    # functions
    def is_null(self) -> Expr:
        return Unary("is_null", self)

    def is_not_null(self) -> Expr:
        return Unary("is_not_null", self)

    def ln(self) -> Expr:
        return Unary("ln", self)

    def exp(self) -> Expr:
        """e to the power of the value; unknown where it would overflow."""
        return Unary("exp", self)

    def log10(self) -> Expr:
        return Unary("log10", self)

    def sqrt(self) -> Expr:
        return Unary("sqrt", self)

    def abs(self) -> Expr:
        return Unary("abs", self)

    def floor(self) -> Expr:
        return Unary("floor", self)

    def clip(self, lower: float, upper: float) -> Expr:
        """Bound a value to [lower, upper] (unknown stays unknown)."""
        return Clip(self, float(lower), float(upper))

    def is_in(self, values: Iterable[Scalar]) -> Expr:
        return IsIn(self, tuple(values))

    def round_half_up(self, decimals: int = 0) -> Expr:
        """Round half away from zero for positive values, as OPTN/SAS do (not banker's)."""
        return RoundHalfUp(self, decimals)

    def fill_null(self, value: Operand) -> Expr:
        return Coalesce((self, wrap(value)))

    def columns(self) -> frozenset[str]:
        """Every case-level column this expression reads."""
        found: set[str] = set()
        _collect_columns(self, found)
        return frozenset(found)


@dataclass(frozen=True, slots=True, eq=False)
class Col(Expr):
    name: str


@dataclass(frozen=True, slots=True, eq=False)
class Lit(Expr):
    value: Scalar


@dataclass(frozen=True, slots=True, eq=False)
class Unary(Expr):
    op: str
    operand: Expr


@dataclass(frozen=True, slots=True, eq=False)
class Binary(Expr):
    op: str
    left: Expr
    right: Expr


@dataclass(frozen=True, slots=True, eq=False)
class And(Expr):
    operands: tuple[Expr, ...]


@dataclass(frozen=True, slots=True, eq=False)
class Or(Expr):
    operands: tuple[Expr, ...]


@dataclass(frozen=True, slots=True, eq=False)
class Clip(Expr):
    operand: Expr
    lower: float
    upper: float


@dataclass(frozen=True, slots=True, eq=False)
class IsIn(Expr):
    operand: Expr
    values: tuple[Scalar, ...]


@dataclass(frozen=True, slots=True, eq=False)
class RoundHalfUp(Expr):
    operand: Expr
    decimals: int


@dataclass(frozen=True, slots=True, eq=False)
class Coalesce(Expr):
    operands: tuple[Expr, ...]


@dataclass(frozen=True, slots=True, eq=False)
class Extreme(Expr):
    """Greatest or least of several values; unknown if any operand is unknown."""

    greatest: bool
    operands: tuple[Expr, ...]


@dataclass(frozen=True, slots=True, eq=False)
class When(Expr):
    branches: tuple[tuple[Expr, Expr], ...]
    otherwise: Expr


@dataclass(frozen=True, slots=True, eq=False)
class Agg(Expr):
    """An aggregate over one child table of the case (e.g. the lesions).

    ``count`` counts rows where ``where`` is true (all rows without ``where``); ``sum``,
    ``max`` and ``min`` are unknown if any included value is unknown, and ``max``/``min`` of
    no rows is unknown; ``any``/``all`` are Kleene (``any`` of no rows is False, ``all`` True).
    A ``where`` that is unknown for some row makes the aggregate unknown.
    """

    table: str
    func: str
    value: Expr | None
    where: Expr | None


def col(name: str) -> Col:
    return Col(name)


def lit(value: Scalar) -> Lit:
    return Lit(value)


def all_of(*conditions: Operand) -> Expr:
    return And(tuple(wrap(c) for c in conditions))


def any_of(*conditions: Operand) -> Expr:
    return Or(tuple(wrap(c) for c in conditions))


def coalesce(*values: Operand) -> Expr:
    return Coalesce(tuple(wrap(v) for v in values))


def greatest(*values: Operand) -> Expr:
    return Extreme(True, tuple(wrap(v) for v in values))


def least(*values: Operand) -> Expr:
    return Extreme(False, tuple(wrap(v) for v in values))


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
        return When(self._branches, wrap(value))


def when(condition: Operand) -> _WhenBuilder:
    """``when(c1).then(a).when(c2).then(b).otherwise(c)``; unknown conditions give unknown."""
    return _WhenBuilder((), wrap(condition))


class ChildTable:
    """Aggregates over a child table, e.g. ``lesions.max(col("diameter_cm"))``."""

    def __init__(self, name: str) -> None:
        self.name = name

    def count(self, where: Operand = None) -> Expr:
        return Agg(self.name, "count", None, None if where is None else wrap(where))

    def sum(self, value: Operand, where: Operand = None) -> Expr:
        return Agg(self.name, "sum", wrap(value), None if where is None else wrap(where))

    def max(self, value: Operand, where: Operand = None) -> Expr:
        return Agg(self.name, "max", wrap(value), None if where is None else wrap(where))

    def min(self, value: Operand, where: Operand = None) -> Expr:
        return Agg(self.name, "min", wrap(value), None if where is None else wrap(where))

    def any(self, value: Operand, where: Operand = None) -> Expr:
        return Agg(self.name, "any", wrap(value), None if where is None else wrap(where))

    def all(self, value: Operand, where: Operand = None) -> Expr:
        return Agg(self.name, "all", wrap(value), None if where is None else wrap(where))


def _collect_columns(node: Expr, found: set[str]) -> None:
    if isinstance(node, Col):
        found.add(node.name)
    elif isinstance(node, Lit):
        return
    elif isinstance(node, Unary | Clip | IsIn | RoundHalfUp):
        _collect_columns(node.operand, found)
    elif isinstance(node, Binary):
        _collect_columns(node.left, found)
        _collect_columns(node.right, found)
    elif isinstance(node, And | Or | Coalesce | Extreme):
        for operand in node.operands:
            _collect_columns(operand, found)
    elif isinstance(node, When):
        for condition, value in node.branches:
            _collect_columns(condition, found)
            _collect_columns(value, found)
        _collect_columns(node.otherwise, found)
    elif isinstance(node, Agg):
        inner: set[str] = set()
        for part in (node.value, node.where):
            if part is not None:
                _collect_columns(part, inner)
        found.add(f"{node.table}[]")
        found.update(f"{node.table}.{name}" for name in inner)
    else:  # pragma: no cover - every node type is listed above
        raise TypeError(f"unknown expression node {type(node).__name__}")


def children(node: Expr) -> list[Expr]:
    """The direct sub-expressions of a node (aggregates are leaves here)."""
    if isinstance(node, Unary | Clip | IsIn | RoundHalfUp):
        return [node.operand]
    if isinstance(node, Binary):
        return [node.left, node.right]
    if isinstance(node, And | Or | Coalesce | Extreme):
        return list(node.operands)
    if isinstance(node, When):
        return [x for pair in node.branches for x in pair] + [node.otherwise]
    return []
