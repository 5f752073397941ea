"""Types of the rule language, checked when knowledge is loaded (never while a case runs).

Types: ``bool``, ``int``, ``float`` (an int widens to float), ``str`` with an optional
vocabulary (the set of values it can take: a text feature's ``values`` in the feature
catalog, or the literals a rule can yield), and ``null``: the literal ``None``, which fits any
type. A column's type comes from an environment (name -> :class:`Type`): the feature catalog
(:func:`base_environment`; child-table columns are keyed ``table.column``) plus each earlier
step (:func:`check_steps`).

The rules, read from the operator table (:mod:`livermets.engine.ops`):

* ``and``/``or``/``not`` take bool; arithmetic and the maths functions take numbers;
  comparisons take operands of a common type (ordering: numbers only);
* ``==``/``!=``/``in`` of a text value with a vocabulary against a string literal outside that
  vocabulary is an :class:`~livermets.errors.UnknownReferenceError` (the literal can never
  match: a dead rule);
* an unknown column is an :class:`~livermets.errors.UnknownReferenceError`;
* the values of ``when``, and the operands of ``coalesce``, must have a common type;
* aggregates: ``where`` is bool; ``any``/``all`` take bool, ``sum``/``min``/``max`` numbers;
  ``count`` is int; their ``value``/``where`` read the child table's columns.

:func:`check` collects every problem of a rule, not just the first; :func:`infer` gives its
type (``null`` where it cannot say, e.g. after an error).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol, TypeAlias

from livermets.engine.expr import Agg, Call, Col, Expr, Lit
from livermets.engine.ops import AGGREGATES, OPS, ArgKind
from livermets.errors import KnowledgeError, RuleTypeError, UnknownReferenceError

TypeName: TypeAlias = Literal["bool", "int", "float", "str", "null"]


@dataclass(frozen=True)
class Type:
    """A rule's type. ``values``: for ``str``, every value it can take (``None``: any text)."""

    name: TypeName
    values: frozenset[str] | None = None

    def __str__(self) -> str:
        return self.name

    @property
    def numeric(self) -> bool:
        return self.name in ("int", "float")


BOOL = Type("bool")
INT = Type("int")
FLOAT = Type("float")
STR = Type("str")
NULL = Type("null")

Environment: TypeAlias = Mapping[str, Type]

# What a step of each kind must be: a criterion, prompt or prognostic factor is a condition.
KIND_TYPES: dict[str, Type] = {"criterion": BOOL, "prompt": BOOL, "prognosis": BOOL}


def unify(a: Type, b: Type) -> Type | None:
    """The common type of two types (``None`` if they have none)."""
    if a.name == "null":
        return b
    if b.name == "null":
        return a
    if a.numeric and b.numeric:
        return INT if a.name == b.name == "int" else FLOAT
    if a.name != b.name:
        return None
    if a.name == "str":
        if a.values is None or b.values is None:
            return STR
        return Type("str", a.values | b.values)
    return a


def fits(actual: Type, kind: ArgKind) -> bool:
    """Whether a value of type ``actual`` is a valid operand of kind ``kind``."""
    if actual.name == "null" or kind == "any":
        return True
    if kind == "num":
        return actual.numeric
    return actual.name == kind


def literal_type(value: object) -> Type:
    """The type of a literal (a string literal's vocabulary is itself)."""
    if value is None:
        return NULL
    if isinstance(value, bool):
        return BOOL
    if isinstance(value, int):
        return INT
    if isinstance(value, float):
        return FLOAT
    if isinstance(value, str):
        return Type("str", frozenset({value}))
    raise TypeError(f"unsupported literal {value!r}")


def describe(node: Expr) -> str:
    """A short readable form of an expression, for error messages."""
    if isinstance(node, Col):
        return node.name
    if isinstance(node, Lit):
        return repr(node.value)
    if isinstance(node, Agg):
        parts = [describe(p) for p in (node.value,) if p is not None]
        if node.where is not None:
            parts.append(f"where={describe(node.where)}")
        return f"{node.table}.{node.func}({', '.join(parts)})"
    if isinstance(node, Call):
        op = OPS[node.op]
        args = [describe(a) for a in node.args]
        if node.op == "when":
            pairs = zip(args[0:-1:2], args[1:-1:2], strict=True)
            return "(" + " else ".join(f"{v} if {c}" for c, v in pairs) + f" else {args[-1]})"
        if op.symbol and op.arity == 2 and op.symbol != "in":
            return f"({args[0]} {op.symbol} {args[1]})"
        if op.symbol in ("and", "or") and op.functions:
            return "(" + f" {op.symbol} ".join(args) + ")"
        if op.symbol in ("not", "-") and op.arity == 1:
            return f"{op.symbol}{' ' if op.symbol == 'not' else ''}{args[0]}"
        params = [repr(list(p)) if isinstance(p, tuple) else repr(p) for p in node.params]
        return f"{node.op}({', '.join(args + params)})"
    return type(node).__name__


class _Checker:
    """Infers types bottom-up, collecting every problem (each node checked once)."""

    def __init__(self, env: Environment) -> None:
        self.env = env
        self.problems: list[KnowledgeError] = []
        self._memo: dict[tuple[int, str | None], Type] = {}

    def infer(self, node: Expr, table: str | None = None) -> Type:
        key = (id(node), table)
        found = self._memo.get(key)
        if found is None:
            found = self._infer(node, table)
            self._memo[key] = found
        return found

    def _infer(self, node: Expr, table: str | None) -> Type:
        if isinstance(node, Lit):
            return literal_type(node.value)
        if isinstance(node, Col):
            return self._column(node.name, table)
        if isinstance(node, Agg):
            return self._aggregate(node)
        if isinstance(node, Call):
            return self._call(node, [self.infer(a, table) for a in node.args], table)
        raise TypeError(f"unknown expression node {type(node).__name__}")

    def _column(self, name: str, table: str | None) -> Type:
        key = name if table is None else f"{table}.{name}"
        found = self.env.get(key)
        if found is not None:
            return found
        if name.startswith("criterion:"):
            what = f"unknown criterion {name.removeprefix('criterion:')!r}"
        elif table is not None:
            what = f"unknown column {name!r} of child table {table!r}"
        else:
            what = f"unknown column {name!r}"
        self.problems.append(UnknownReferenceError(what))
        return NULL

    def _aggregate(self, node: Agg) -> Type:
        declared = AGGREGATES.get(node.func)
        if declared is None:
            self.problems.append(UnknownReferenceError(f"unknown aggregate {node.func!r}"))
            return NULL
        if not any(key.startswith(f"{node.table}.") for key in self.env):
            self.problems.append(UnknownReferenceError(f"unknown child table {node.table!r}"))
            return NULL
        if node.where is not None:
            where = self.infer(node.where, node.table)
            if not fits(where, "bool"):
                self.problems.append(
                    RuleTypeError(
                        f"{describe(node)}: where= must be a condition (bool), "
                        f"not {where} ({describe(node.where)})"
                    )
                )
        value = NULL
        if node.value is not None:
            value = self.infer(node.value, node.table)
            if declared.value is not None and not fits(value, declared.value):
                self.problems.append(
                    RuleTypeError(
                        f"{describe(node)}: {node.func} takes {_kind_words(declared.value)}, "
                        f"not {value} ({describe(node.value)})"
                    )
                )
        if declared.result == "same":
            return FLOAT if value.name == "null" else value
        return _fixed(declared.result)

    def _call(self, node: Call, types: list[Type], table: str | None) -> Type:
        op = OPS.get(node.op)
        if op is None:
            self.problems.append(UnknownReferenceError(f"unknown operator {node.op!r}"))
            return NULL
        count = len(types)
        for index, (arg, actual) in enumerate(zip(node.args, types, strict=True)):
            kind = op.arg_kind(index, count)
            if not fits(actual, kind):
                self.problems.append(
                    RuleTypeError(
                        f"{describe(node)}: {_op_words(node.op)} takes {_kind_words(kind)}, "
                        f"not {actual} ({describe(arg)})"
                    )
                )
        if op.result == "compare":
            self._compare(node, types, table)
            return BOOL
        if op.result == "same":
            return types[0]
        if op.result == "widen":
            numbers = [t for t in types if t.numeric]
            if not numbers:
                return NULL
            return INT if all(t.name == "int" for t in numbers) else FLOAT
        if op.result == "unify":
            values = [*types[1:-1:2], types[-1]] if op.nulls == "when" else types
            return self._unify(node, values)
        return _fixed(op.result)

    def _unify(self, node: Call, values: Sequence[Type]) -> Type:
        result = NULL
        for value in values:
            common = unify(result, value)
            if common is None:
                what = "values" if node.op == "when" else "operands"
                self.problems.append(
                    RuleTypeError(
                        f"{describe(node)}: the {what} of {node.op} do not agree "
                        f"({', '.join(str(v) for v in values)})"
                    )
                )
                return result
            result = common
        return result

    def _compare(self, node: Call, types: list[Type], table: str | None) -> None:
        if node.op == "is_in":
            others = [literal_type(v) for v in node.params[0]]
            literals: list[tuple[str, Expr, Type]] = [
                (v, node.args[0], types[0]) for v in node.params[0] if isinstance(v, str)
            ]
        else:
            others = types[1:]
            (left, right), (left_type, right_type) = node.args, types
            literals = [
                (lit.value, other, other_type)
                for lit, other, other_type in ((left, right, right_type), (right, left, left_type))
                if isinstance(lit, Lit)
                and isinstance(lit.value, str)
                and not isinstance(other, Lit)
            ]
        for other_type in others:
            if unify(types[0], other_type) is None:
                self.problems.append(
                    RuleTypeError(
                        f"{describe(node)}: compares {types[0]} with {other_type}, "
                        "which can never be equal"
                    )
                )
                return
        for literal, other, other_type in literals:
            vocabulary = other_type.values
            if vocabulary is not None and literal not in vocabulary:
                where = f"{table}." if table is not None and isinstance(other, Col) else ""
                self.problems.append(
                    UnknownReferenceError(
                        f"{literal!r} is not a value of {where}{describe(other)} "
                        f"(known values: {', '.join(sorted(vocabulary))})"
                    )
                )


def _fixed(result: str) -> Type:
    return {"bool": BOOL, "int": INT, "float": FLOAT}[result]


def _kind_words(kind: ArgKind) -> str:
    return {"bool": "conditions (bool)", "num": "numbers", "any": "any value"}[kind]


def _op_words(name: str) -> str:
    op = OPS[name]
    return f"'{op.symbol}'" if op.symbol else f"{name}()"


def infer(expr: Expr, env: Environment) -> Type:
    """The type of an expression in an environment (``null`` where it cannot say)."""
    return _Checker(env).infer(expr)


def check(expr: Expr, env: Environment) -> list[KnowledgeError]:
    """Every type problem of an expression (an empty list when it is well typed)."""
    checker = _Checker(env)
    checker.infer(expr)
    return checker.problems


def base_environment() -> dict[str, Type]:
    """The type of every base feature column and every child-table column (``table.column``),
    from the feature catalog (text columns with their vocabularies)."""
    from livermets.features.catalog import CASE_FEATURES, CHILD_FEATURES, Feature

    def typed(feature: Feature) -> Type:
        if feature.dtype == "str":
            return Type("str", None if feature.values is None else frozenset(feature.values))
        return {"bool": BOOL, "int": INT, "float": FLOAT}[feature.dtype]

    env = {f.name: typed(f) for f in CASE_FEATURES}
    for table, features in CHILD_FEATURES.items():
        env.update({f"{table}.{f.name}": typed(f) for f in features})
    return env


class StepLike(Protocol):
    """A pipeline step as :func:`check_steps` reads it (``origin`` is optional)."""

    @property
    def name(self) -> str: ...

    @property
    def expr(self) -> Expr: ...

    @property
    def kind(self) -> str: ...


def _locate(origin: str) -> tuple[str, str]:
    """``file#rule``, ``file: rule`` or a bare rule id -> (file, rule)."""
    for separator in ("#", ": "):
        if separator in origin:
            file, rule = origin.split(separator, 1)
            return file, rule
    return "", origin


def check_steps(
    steps: Iterable[StepLike], env: Environment | None = None
) -> tuple[dict[str, Type], list[KnowledgeError]]:
    """Check pipeline steps in order: each step's type is inferred in the environment of the
    base columns and every earlier step, then added to it. Returns every step's type and
    every problem, located by the step's ``origin`` (``file#rule``; its name if absent).

    A step that is always unknown (``null``) takes its kind's type (a criterion is a
    condition); a step of such a kind that is not a condition is a problem.
    """
    known: dict[str, Type] = dict(base_environment() if env is None else env)
    types: dict[str, Type] = {}
    problems: list[KnowledgeError] = []
    for step in steps:
        file, rule = _locate(str(getattr(step, "origin", step.name)))
        checker = _Checker(known)
        found = checker.infer(step.expr)
        expected = KIND_TYPES.get(step.kind)
        if expected is not None:
            if found.name == "null":
                found = expected
            elif unify(found, expected) != expected:
                checker.problems.append(
                    RuleTypeError(f"a {step.kind} must be a condition (bool), not {found}")
                )
        problems.extend(p.located(file=file, rule=rule) for p in checker.problems)
        types[step.name] = found
        known[step.name] = found
    return types, problems
