"""Read a rule written as text in a knowledge file into an :class:`Expr`.

Rules in ``knowledge/*.yaml`` are written in a small, safe subset of Python expression syntax
so that a clinician can read them::

    largest_lesion_cm <= 3 and lesion_count <= 5
    primary_site in ['colorectal', 'neuroendocrine']
    known(ecog) and ecog <= 2
    lesions.any(near_major_vessel)
    lesions.count(where=diameter_cm > 3) == 0
    'B' if child_pugh_points <= 9 else 'C'
    every(lesions, diameter_cm <= 3)        # unknown unless every lesion is itemised
    none(lesions, vessel_relation == 'involved')
    local.child_pugh_a and not resection.sflr_adequate   # other criteria, by id

A dotted name that is not a child-table aggregate (``local.child_pugh_a``) is the result of
that criterion (its column ``criterion:<id>``). ``every``/``some``/``none`` quantify over a
child table with the table's completeness (:data:`COMPLETENESS`): where fewer rows are
itemised than the case says exist (three lesions of five measured), ``every`` is unknown
unless a row already makes it false, and ``some``/``none`` likewise.

Only names, numbers, strings, booleans, ``None``, conditional expressions and the operators of
the operator table (:mod:`livermets.engine.ops`: its symbols such as ``+``, ``**``, ``<=``,
``and``, ``not``, ``in``, and its function names such as ``pow``, ``exp``, ``known``,
``coalesce``) are allowed; a function's literal parameters follow its operands
(``clip(x, 1, 4)``, ``round_half_up(x, 1)``). Nothing is executed: the text is parsed with
:mod:`ast` and translated node by node.
"""

from __future__ import annotations

import ast
from collections.abc import Callable

from livermets.engine.expr import (
    AGG_FUNCS,
    ChildTable,
    Expr,
    Lit,
    Scalar,
    all_of,
    any_of,
    call,
    col,
    lit,
    when,
)
from livermets.engine.ops import FUNCTIONS, SYMBOLS, Op
from livermets.errors import RuleSyntaxError


def criterion_column(criterion_id: str) -> str:
    """The column holding a criterion's three-valued result."""
    return f"criterion:{criterion_id}"


# When a child table holds every row the case has: rules over a table that is only partly
# itemised cannot say "every" or "none" (the rows not described could go either way).
# Tables not listed are complete by construction (they are lists of what was recorded).
COMPLETENESS: dict[str, str] = {"lesions": "lesions_itemised >= lesion_count"}


def _complete(table: str) -> Expr:
    """True when the table is complete, unknown when it is not (never False)."""
    rule = COMPLETENESS.get(table)
    if rule is None:
        return lit(True)
    return when(parse_rule(rule)).then(True).otherwise(None)


def quantifier(kind: str, table: str, condition: Expr) -> Expr:
    """``every``/``some``/``none`` of a child table's rows (see the module docstring)."""
    if kind not in QUANTIFIERS:
        raise RuleSyntaxError(f"unknown quantifier {kind!r}")
    rows = ChildTable(table)
    if kind == "every":
        return all_of(rows.all(condition), _complete(table))
    if kind == "none":
        return all_of(rows.all(~condition), _complete(table))
    # some: true as soon as one itemised row holds; false only when the table is complete
    return any_of(rows.any(condition), ~_complete(table))


QUANTIFIERS = frozenset({"every", "some", "none"})

# Python syntax -> the operator symbols of ``livermets.engine.ops`` (the operators themselves,
# their arity and meaning, are in the operator table; this is only how Python spells them).
_INFIX_SYMBOLS: dict[type[ast.AST], str] = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
    ast.Pow: "**",
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
    ast.Eq: "==",
    ast.NotEq: "!=",
    ast.And: "and",
    ast.Or: "or",
}
_PREFIX_SYMBOLS: dict[type[ast.AST], str] = {ast.Not: "not", ast.USub: "-"}


def _infix(node: ast.AST) -> Op:
    op = SYMBOLS.get((_INFIX_SYMBOLS.get(type(node), ""), 2))
    if op is None:
        allowed = " ".join(sorted(s for s, n in SYMBOLS if n == 2 and s not in ("in", "if")))
        raise RuleSyntaxError(f"unsupported operator (allowed: {allowed})")
    return op


def _literal_number(node: Expr) -> int | float:
    """A literal parameter (``clip``'s bounds, ``round_half_up``'s decimals)."""
    if (
        isinstance(node, Lit)
        and isinstance(node.value, int | float)
        and not isinstance(node.value, bool)
    ):
        return node.value
    raise RuleSyntaxError("expected a number")


def parse_rule(text: str, *, child_tables: frozenset[str] = frozenset()) -> Expr:
    """Parse rule text into an expression; ``child_tables`` names tables usable as ``x.any()``."""
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as error:
        raise RuleSyntaxError(f"{text!r}: {error.msg}") from None
    try:
        return _translate(tree.body, child_tables)
    except RuleSyntaxError as error:
        raise RuleSyntaxError(f"{text!r}: {error}") from None


def _translate(node: ast.expr, tables: frozenset[str]) -> Expr:
    if isinstance(node, ast.Constant):
        if node.value is None or isinstance(node.value, bool | int | float | str):
            return lit(node.value)
        raise RuleSyntaxError(f"unsupported constant {node.value!r}")
    if isinstance(node, ast.Name):
        return col(node.id)
    if isinstance(node, ast.Attribute):
        return col(criterion_column(_dotted(node)))
    if isinstance(node, ast.BoolOp):
        parts = [_translate(v, tables) for v in node.values]
        return call(_infix(node.op).name, *parts)
    if isinstance(node, ast.UnaryOp):
        prefix = SYMBOLS.get((_PREFIX_SYMBOLS.get(type(node.op), ""), 1))
        if prefix is None:
            raise RuleSyntaxError("unsupported unary operator (allowed: not, -)")
        return call(prefix.name, _translate(node.operand, tables))
    if isinstance(node, ast.BinOp):
        op = _infix(node.op)
        return call(op.name, _translate(node.left, tables), _translate(node.right, tables))
    if isinstance(node, ast.Compare):
        return _compare(node, tables)
    if isinstance(node, ast.IfExp):
        return (
            when(_translate(node.test, tables))
            .then(_translate(node.body, tables))
            .otherwise(_translate(node.orelse, tables))
        )
    if isinstance(node, ast.Call):
        return _call(node, tables)
    raise RuleSyntaxError(f"unsupported syntax {type(node).__name__}")


def _compare(node: ast.Compare, tables: frozenset[str]) -> Expr:
    parts: list[Expr] = []
    left = _translate(node.left, tables)
    for op, right_node in zip(node.ops, node.comparators, strict=True):
        if isinstance(op, ast.In | ast.NotIn):
            if not isinstance(right_node, ast.List | ast.Tuple | ast.Set):
                raise RuleSyntaxError("'in' needs a literal list")
            values: list[Scalar] = []
            for element in right_node.elts:
                if not isinstance(element, ast.Constant) or not isinstance(
                    element.value, bool | int | float | str
                ):
                    raise RuleSyntaxError("'in' lists hold literal values only")
                values.append(element.value)
            test = left.is_in(values)
            parts.append(~test if isinstance(op, ast.NotIn) else test)
            continue
        right = _translate(right_node, tables)
        parts.append(call(_infix(op).name, left, right))
        left = right
    return parts[0] if len(parts) == 1 else all_of(*parts)


def _dotted(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    raise RuleSyntaxError("a criterion reference is a dotted id such as local.child_pugh_a")


def _call(node: ast.Call, tables: frozenset[str]) -> Expr:
    func = node.func
    if isinstance(func, ast.Name) and func.id in QUANTIFIERS:
        if len(node.args) != 2 or node.keywords or not isinstance(node.args[0], ast.Name):
            raise RuleSyntaxError(f"{func.id}() takes a child table and a condition")
        table = node.args[0].id
        if table not in tables:
            raise RuleSyntaxError(f"unknown child table {table!r}")
        return quantifier(func.id, table, _translate(node.args[1], tables))
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        table, method = func.value.id, func.attr
        if table not in tables:
            raise RuleSyntaxError(f"unknown child table {table!r}")
        if method not in AGG_FUNCS:
            raise RuleSyntaxError(f"unknown aggregate {method!r}")
        args = [_translate(a, tables) for a in node.args]
        kwargs = {k.arg: _translate(k.value, tables) for k in node.keywords if k.arg}
        if set(kwargs) - {"where"}:
            raise RuleSyntaxError("aggregates take only 'where='")
        aggregate: Callable[..., Expr] = getattr(ChildTable(table), method)
        return aggregate(*args, **kwargs)
    if isinstance(func, ast.Name) and func.id in FUNCTIONS:
        if node.keywords:
            raise RuleSyntaxError(f"{func.id}() takes no keyword arguments")
        return _function(func.id, FUNCTIONS[func.id], [_translate(a, tables) for a in node.args])
    raise RuleSyntaxError("unknown function")


def _function(name: str, op: Op, args: list[Expr]) -> Expr:
    """A function call: the operands, then the operator's literal parameters (if any)."""
    if op.params:
        count = op.arity or 1
        operands, given = args[:count], args[count:]
        missing = len(op.params) - len(given)
        if len(operands) < count or missing < 0 or missing > len(op.param_defaults):
            raise RuleSyntaxError(f"{name}() takes {count} operand(s) and {', '.join(op.params)}")
        defaults = op.param_defaults[len(op.param_defaults) - missing :]
        params = [_literal_number(p) for p in given] + list(defaults)
        return call(op.name, *operands, params=tuple(params))
    if not op.accepts(len(args)):
        raise RuleSyntaxError(f"{name}() does not take {len(args)} argument(s)")
    return call(op.name, *args)
