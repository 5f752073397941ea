"""The operator table: every operator of the rule language, declared once.

Each :class:`Op` says how rules spell the operator (a Python operator symbol, a function name,
or both), how many operands it takes, the operand and result types, what an unknown operand
does, and its two implementations (one value at a time for the scalar backend, a polars
expression for the columnar backend). Everything else derives from this table:

* the rule parser (:mod:`livermets.engine.parse`) reads symbols and function names from it;
* the builder methods of :class:`~livermets.engine.expr.Expr` make :class:`Call` nodes by name;
* the scalar backend (:mod:`livermets.engine.scalar`) and the columnar backend
  (:mod:`livermets.engine.columnar`) compile a :class:`Call` by looking its operator up here;
* the type checker (:mod:`livermets.engine.types`) reads ``args`` and ``result``;
* the random-expression tests generate well-typed expressions from it, and
  ``tests/test_ops.py`` fails for an operator without a truth table.

Null (unknown) semantics, ``nulls``:

``strict``
    any unknown operand makes the result unknown (most operators).
``total``
    never unknown (``is_null``, ``is_not_null``).
``kleene``
    three-valued ``and``/``or``: a decisive operand (``False`` for and, ``True`` for or) wins
    over unknown; otherwise any unknown operand makes the result unknown.
``first_known``
    ``coalesce``: the first operand that is known.
``when``
    operands are ``c1, v1, c2, v2, ..., otherwise``; the value of the first true condition,
    unknown as soon as a condition is unknown before any is true, else ``otherwise``.

Undefined results are unknown, never NaN or infinity: division by zero, ``ln``/``log10`` of a
value <= 0, ``sqrt`` of a negative value, ``exp``/``pow`` overflow, a negative base with a
fractional exponent, and zero to a negative power.

Aggregates over child tables (:data:`AGGREGATES`) are declared here too; their columnar form
is the group-by plan of :func:`livermets.engine.columnar.aggregate_table`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias

import polars as pl

# What an operand must be: a truth value, a number (int or float), or anything.
ArgKind: TypeAlias = Literal["bool", "num", "any"]
# How the result type follows from the operand types (see ``livermets.engine.types``):
# ``bool``/``int``/``float``: always that type; ``widen``: int if every numeric operand is int,
# else float; ``same``: the operand's type; ``unify``: the common type of the operands (of the
# values, for ``when``); ``compare``: bool, and the operands must have a common type.
ResultRule: TypeAlias = Literal["bool", "int", "float", "widen", "same", "unify", "compare"]
NullRule: TypeAlias = Literal["strict", "total", "kleene", "first_known", "when"]

# A compiled scalar operand: a function of one row.
ScalarFn: TypeAlias = Callable[[Any], Any]

NULL = pl.lit(None)

# Relative nudge so that 2.05 * 10 (= 20.499999999999996 in binary) rounds to 21, like
# decimal.Decimal(str(x)).quantize(ROUND_HALF_UP) in calculators.md §0.
ROUNDING_NUDGE = 1e-9


def round_half_up(value: float, decimals: int) -> float:
    """Half-up rounding on the decimal value a person would read (see calculators.md §0)."""
    factor = 10.0**decimals
    scaled = value * factor
    return math.floor(scaled + 0.5 + ROUNDING_NUDGE * max(1.0, abs(scaled))) / factor


@dataclass(frozen=True)
class Op:
    """One operator of the rule language.

    ``arity`` is the number of operands, or ``None`` for a variadic operator taking at least
    ``min_args``. ``args`` gives each operand's kind (a variadic operator repeats its last
    entry; ``when`` alternates condition and value). ``params`` names literal parameters that
    are part of the operator, not operands (``clip``'s bounds, ``is_in``'s values).

    ``scalar``: for ``strict`` operators, the value function of known operands (and params);
    for the others, a compiler taking the compiled operands and the params and returning a
    function of one row. ``columnar``: a function of the compiled polars operands and params.

    ``symbol`` is how rules spell it as Python syntax (``+``, ``**``, ``and``, ``not``, ``in``,
    ``if``; unary minus is ``neg``'s ``-``); ``functions`` are its function names in rules
    (``pow``, ``coalesce``); ``method`` the :class:`~livermets.engine.expr.Expr` method, if
    any.
    """

    name: str
    arity: int | None
    args: tuple[ArgKind, ...]
    result: ResultRule
    nulls: NullRule
    scalar: Callable[..., Any]
    columnar: Callable[[Sequence[pl.Expr], tuple[Any, ...]], pl.Expr]
    doc: str
    symbol: str | None = None
    functions: tuple[str, ...] = ()
    params: tuple[str, ...] = ()
    param_defaults: tuple[Any, ...] = ()
    min_args: int = 1
    method: str | None = None

    def arg_kind(self, index: int, count: int) -> ArgKind:
        """The kind of operand ``index`` of ``count``."""
        if self.nulls == "when":
            return "bool" if index % 2 == 0 and index < count - 1 else "any"
        return self.args[min(index, len(self.args) - 1)]

    def accepts(self, count: int) -> bool:
        """Whether ``count`` operands fit."""
        if self.arity is not None:
            return count == self.arity
        if self.nulls == "when":
            return count >= 3 and count % 2 == 1
        return count >= self.min_args


# --- scalar helpers -----------------------------------------------------------------------------


def _finite(x: float) -> float | None:
    return x if math.isfinite(x) else None


def _ln(x: Any) -> Any:
    return math.log(x) if x > 0 else None


def _log10(x: Any) -> Any:
    return math.log10(x) if x > 0 else None


def _sqrt(x: Any) -> Any:
    return math.sqrt(x) if x >= 0 else None


def _exp(x: Any) -> Any:
    try:
        return _finite(math.exp(x))
    except OverflowError:
        return None


def _pow(a: Any, b: Any) -> Any:
    try:
        return _finite(math.pow(a, b))
    except (OverflowError, ValueError, ZeroDivisionError):
        return None


def _div(a: Any, b: Any) -> Any:
    return None if b == 0 else a / b


def _kleene(decisive: bool) -> Callable[[Sequence[ScalarFn], tuple[Any, ...]], ScalarFn]:
    """Kleene AND (decisive False) or OR (decisive True)."""

    def compile_(parts: Sequence[ScalarFn], params: tuple[Any, ...]) -> ScalarFn:
        parts = tuple(parts)

        def kleene(row: Any) -> Any:
            unknown = False
            for part in parts:
                x = part(row)
                if x is None:
                    unknown = True
                elif bool(x) is decisive:
                    return decisive
            return None if unknown else not decisive

        return kleene

    return compile_


def _coalesce(parts: Sequence[ScalarFn], params: tuple[Any, ...]) -> ScalarFn:
    parts = tuple(parts)

    def first_known(row: Any) -> Any:
        for part in parts:
            x = part(row)
            if x is not None:
                return x
        return None

    return first_known


def _when(parts: Sequence[ScalarFn], params: tuple[Any, ...]) -> ScalarFn:
    branches = tuple(zip(parts[0:-1:2], parts[1:-1:2], strict=True))
    otherwise = parts[-1]

    def when(row: Any) -> Any:
        for condition, value in branches:
            c = condition(row)
            if c is None:
                return None
            if c:
                return value(row)
        return otherwise(row)

    return when


def _is_null(parts: Sequence[ScalarFn], params: tuple[Any, ...]) -> ScalarFn:
    inner = parts[0]
    return lambda row: inner(row) is None


def _is_not_null(parts: Sequence[ScalarFn], params: tuple[Any, ...]) -> ScalarFn:
    inner = parts[0]
    return lambda row: inner(row) is not None


# --- columnar helpers ---------------------------------------------------------------------------


def _c_finite(x: pl.Expr) -> pl.Expr:
    return pl.when(x.is_finite()).then(x).otherwise(NULL)


def _c_fold(combine: Callable[[pl.Expr, pl.Expr], pl.Expr]) -> Callable[..., pl.Expr]:
    def fold(parts: Sequence[pl.Expr], params: tuple[Any, ...]) -> pl.Expr:
        result = parts[0]
        for part in parts[1:]:
            result = combine(result, part)
        return result

    return fold


def _c_extreme(greatest: bool) -> Callable[..., pl.Expr]:
    def extreme(parts: Sequence[pl.Expr], params: tuple[Any, ...]) -> pl.Expr:
        any_null = pl.any_horizontal([p.is_null() for p in parts])
        picked = pl.max_horizontal(parts) if greatest else pl.min_horizontal(parts)
        return pl.when(any_null).then(NULL).otherwise(picked)

    return extreme


def _c_when(parts: Sequence[pl.Expr], params: tuple[Any, ...]) -> pl.Expr:
    chain = parts[-1]
    for condition, value in reversed(list(zip(parts[0:-1:2], parts[1:-1:2], strict=True))):
        chain = pl.when(condition.is_null()).then(NULL).when(condition).then(value).otherwise(chain)
    return chain


def _c_round(parts: Sequence[pl.Expr], params: tuple[Any, ...]) -> pl.Expr:
    factor = 10.0 ** int(params[0])
    scaled = parts[0] * factor
    nudge = ROUNDING_NUDGE * pl.max_horizontal(scaled.abs(), pl.lit(1.0))
    return (scaled + 0.5 + nudge).floor() / factor


def _c_is_in(parts: Sequence[pl.Expr], params: tuple[Any, ...]) -> pl.Expr:
    inner, values = parts[0], list(params[0])
    if values and all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        inner, values = inner.cast(pl.Float64), [float(v) for v in values]  # int vs float
    return pl.when(parts[0].is_null()).then(NULL).otherwise(inner.is_in(values))


def _c_pow(parts: Sequence[pl.Expr], params: tuple[Any, ...]) -> pl.Expr:
    return _c_finite(parts[0].cast(pl.Float64).pow(parts[1].cast(pl.Float64)))


def _unary(fn: Callable[[pl.Expr], pl.Expr]) -> Callable[..., pl.Expr]:
    return lambda parts, params: fn(parts[0])


def _binary(fn: Callable[[pl.Expr, pl.Expr], pl.Expr]) -> Callable[..., pl.Expr]:
    return lambda parts, params: fn(parts[0], parts[1])


# --- the table ----------------------------------------------------------------------------------

_OPS: tuple[Op, ...] = (
    # arithmetic
    Op(
        "+",
        2,
        ("num",),
        "widen",
        "strict",
        lambda a, b: a + b,
        _binary(lambda a, b: a + b),
        "sum of two numbers",
        symbol="+",
    ),
    Op(
        "-",
        2,
        ("num",),
        "widen",
        "strict",
        lambda a, b: a - b,
        _binary(lambda a, b: a - b),
        "difference of two numbers",
        symbol="-",
    ),
    Op(
        "*",
        2,
        ("num",),
        "widen",
        "strict",
        lambda a, b: a * b,
        _binary(lambda a, b: a * b),
        "product of two numbers",
        symbol="*",
    ),
    Op(
        "/",
        2,
        ("num",),
        "float",
        "strict",
        _div,
        _binary(lambda a, b: pl.when(b == 0).then(NULL).otherwise(a / b)),
        "quotient; unknown when dividing by zero",
        symbol="/",
    ),
    Op(
        "pow",
        2,
        ("num",),
        "float",
        "strict",
        _pow,
        _c_pow,
        "a to the power b; unknown on overflow, for 0 to a negative power and for a negative "
        "base with a fractional exponent",
        symbol="**",
        functions=("pow",),
        method="pow",
    ),
    Op(
        "neg",
        1,
        ("num",),
        "same",
        "strict",
        lambda x: -x,
        _unary(lambda x: -x),
        "minus the number",
        symbol="-",
    ),
    Op(
        "abs",
        1,
        ("num",),
        "same",
        "strict",
        abs,
        _unary(lambda x: x.abs()),
        "absolute value",
        functions=("abs",),
        method="abs",
    ),
    Op(
        "floor",
        1,
        ("num",),
        "float",
        "strict",
        lambda x: float(math.floor(x)),
        _unary(lambda x: x.cast(pl.Float64).floor()),
        "largest whole number not above the value (as a float)",
        functions=("floor",),
        method="floor",
    ),
    Op(
        "ln",
        1,
        ("num",),
        "float",
        "strict",
        _ln,
        _unary(lambda x: pl.when(x > 0).then(x.log(math.e)).otherwise(NULL)),
        "natural logarithm; unknown for a value <= 0",
        functions=("ln",),
        method="ln",
    ),
    Op(
        "log10",
        1,
        ("num",),
        "float",
        "strict",
        _log10,
        _unary(lambda x: pl.when(x > 0).then(x.log(10)).otherwise(NULL)),
        "decimal logarithm; unknown for a value <= 0",
        functions=("log10",),
        method="log10",
    ),
    Op(
        "exp",
        1,
        ("num",),
        "float",
        "strict",
        _exp,
        _unary(lambda x: _c_finite(x.cast(pl.Float64).exp())),
        "e to the power of the value; unknown where it would overflow",
        functions=("exp",),
        method="exp",
    ),
    Op(
        "sqrt",
        1,
        ("num",),
        "float",
        "strict",
        _sqrt,
        _unary(lambda x: pl.when(x >= 0).then(x.cast(pl.Float64).sqrt()).otherwise(NULL)),
        "square root; unknown for a negative value",
        functions=("sqrt",),
        method="sqrt",
    ),
    Op(
        "clip",
        1,
        ("num",),
        "float",
        "strict",
        lambda x, lower, upper: float(min(max(x, lower), upper)),
        lambda parts, params: parts[0].cast(pl.Float64).clip(params[0], params[1]),
        "the value bounded to [lower, upper]",
        functions=("clip",),
        params=("lower", "upper"),
        method="clip",
    ),
    Op(
        "round_half_up",
        1,
        ("num",),
        "float",
        "strict",
        round_half_up,
        _c_round,
        "rounded half away from zero for positive values (as OPTN/SAS do, not banker's) to "
        "``decimals`` places",
        functions=("round_half_up",),
        params=("decimals",),
        param_defaults=(0,),
        method="round_half_up",
    ),
    Op(
        "greatest",
        None,
        ("num",),
        "widen",
        "strict",
        lambda *values: max(values),
        _c_extreme(True),
        "the largest of the values; unknown if any is unknown",
        functions=("greatest",),
    ),
    Op(
        "least",
        None,
        ("num",),
        "widen",
        "strict",
        lambda *values: min(values),
        _c_extreme(False),
        "the smallest of the values; unknown if any is unknown",
        functions=("least",),
    ),
    # comparisons
    Op(
        "<",
        2,
        ("num",),
        "compare",
        "strict",
        lambda a, b: a < b,
        _binary(lambda a, b: a < b),
        "less than",
        symbol="<",
    ),
    Op(
        "<=",
        2,
        ("num",),
        "compare",
        "strict",
        lambda a, b: a <= b,
        _binary(lambda a, b: a <= b),
        "less than or equal",
        symbol="<=",
    ),
    Op(
        ">",
        2,
        ("num",),
        "compare",
        "strict",
        lambda a, b: a > b,
        _binary(lambda a, b: a > b),
        "greater than",
        symbol=">",
    ),
    Op(
        ">=",
        2,
        ("num",),
        "compare",
        "strict",
        lambda a, b: a >= b,
        _binary(lambda a, b: a >= b),
        "greater than or equal",
        symbol=">=",
    ),
    Op(
        "==",
        2,
        ("any",),
        "compare",
        "strict",
        lambda a, b: a == b,
        _binary(lambda a, b: a == b),
        "equal (values of a common type)",
        symbol="==",
        method="eq",
    ),
    Op(
        "!=",
        2,
        ("any",),
        "compare",
        "strict",
        lambda a, b: a != b,
        _binary(lambda a, b: a != b),
        "not equal (values of a common type)",
        symbol="!=",
        method="ne",
    ),
    Op(
        "is_in",
        1,
        ("any",),
        "compare",
        "strict",
        lambda x, values: x in values,
        _c_is_in,
        "the value is one of the listed literal values",
        symbol="in",
        params=("values",),
        method="is_in",
    ),
    # logic
    Op(
        "and",
        None,
        ("bool",),
        "bool",
        "kleene",
        _kleene(False),
        _c_fold(lambda a, b: a & b),
        "three-valued and: false if any operand is false, else unknown if any is unknown",
        symbol="and",
        functions=("all_of",),
    ),
    Op(
        "or",
        None,
        ("bool",),
        "bool",
        "kleene",
        _kleene(True),
        _c_fold(lambda a, b: a | b),
        "three-valued or: true if any operand is true, else unknown if any is unknown",
        symbol="or",
        functions=("any_of",),
    ),
    Op(
        "not",
        1,
        ("bool",),
        "bool",
        "strict",
        lambda x: not x,
        _unary(lambda x: ~x),
        "negation (unknown stays unknown)",
        symbol="not",
    ),
    Op(
        "is_null",
        1,
        ("any",),
        "bool",
        "total",
        _is_null,
        _unary(lambda x: x.is_null()),
        "the value is unknown",
        functions=("missing",),
        method="is_null",
    ),
    Op(
        "is_not_null",
        1,
        ("any",),
        "bool",
        "total",
        _is_not_null,
        _unary(lambda x: x.is_not_null()),
        "the value is known",
        functions=("known",),
        method="is_not_null",
    ),
    # choice
    Op(
        "coalesce",
        None,
        ("any",),
        "unify",
        "first_known",
        _coalesce,
        lambda parts, params: pl.coalesce(list(parts)),
        "the first known value",
        functions=("coalesce",),
        method="fill_null",
    ),
    Op(
        "when",
        None,
        ("any",),
        "unify",
        "when",
        _when,
        _c_when,
        "when(c1).then(v1)...otherwise(v): the value of the first true condition; unknown if a "
        "condition is unknown before one is true (never the otherwise branch)",
        symbol="if",
        min_args=3,
    ),
)

OPS: dict[str, Op] = {op.name: op for op in _OPS}
"""Every operator by name."""

SYMBOLS: dict[tuple[str, int], Op] = {
    (op.symbol, 1 if op.arity == 1 else 2): op for op in _OPS if op.symbol is not None
}
"""Operators spelt as Python syntax, by (symbol, 1 for prefix or 2 for infix)."""

FUNCTIONS: dict[str, Op] = {name: op for op in _OPS for name in op.functions}
"""Operators spelt as functions in rules, by function name."""


@dataclass(frozen=True)
class AggOp:
    """An aggregate over a child table (``lesions.max(diameter_cm, where=...)``).

    ``value``: the kind of the per-row value (``None``: no value, as for ``count``);
    ``result``: as for :class:`Op` (``same``: the value's type). ``empty``: the result over no
    rows. ``where`` (optional, bool) selects the rows; a ``where`` unknown for any row makes
    the aggregate unknown. ``reduce`` takes the included rows' values (known or unknown).
    """

    name: str
    value: ArgKind | None
    result: ResultRule
    empty: Any
    reduce: Callable[[list[Any]], Any]
    doc: str


def _any(values: list[Any]) -> Any:
    if any(v is True for v in values):
        return True
    return None if any(v is None for v in values) else False


def _all(values: list[Any]) -> Any:
    if any(v is False for v in values):
        return False
    return None if any(v is None for v in values) else True


def _strict(pick: Callable[[list[Any]], Any]) -> Callable[[list[Any]], Any]:
    def reduce(values: list[Any]) -> Any:
        if not values or any(v is None for v in values):
            return None
        return pick(values)

    return reduce


AGGREGATES: dict[str, AggOp] = {
    a.name: a
    for a in (
        AggOp("count", None, "int", 0, len, "the number of rows included"),
        AggOp(
            "sum",
            "num",
            "same",
            0,
            lambda values: None if any(v is None for v in values) else sum(values),
            "sum over the rows; 0 over no rows; unknown if any value is unknown",
        ),
        AggOp("max", "num", "same", None, _strict(max), "largest value; unknown over no rows"),
        AggOp("min", "num", "same", None, _strict(min), "smallest value; unknown over no rows"),
        AggOp("any", "bool", "bool", False, _any, "Kleene any; false over no rows"),
        AggOp("all", "bool", "bool", True, _all, "Kleene all; true over no rows"),
    )
}
"""Every aggregate over a child table, by name."""
