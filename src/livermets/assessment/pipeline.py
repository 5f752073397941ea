"""The flow, in one place: features -> scores -> criteria -> options -> guidance -> direction.

Every step is a named :class:`Expr` declared elsewhere (``features.derived``,
``scores.registry``, ``knowledge/options``, ``knowledge/guidance``). This module only orders
them. :func:`evaluate_row` runs them on one case (scalar backend); ``cohort.engine`` runs the
very same steps on a table (columnar backend).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Literal

import yaml

from livermets.case.model import Case
from livermets.criteria.model import (
    DirectionDecl,
    GuidanceFile,
    PrognosticFactorDecl,
    PromptDecl,
    WorkupDecl,
)
from livermets.criteria.registry import CHILD_TABLES, registry
from livermets.engine.expr import Expr, any_of, coalesce, col, lit, when
from livermets.engine.parse import parse_rule
from livermets.engine.scalar import compile_scalar
from livermets.features.derived import DERIVED_AFTER_SCORES, DERIVED_BEFORE_SCORES
from livermets.features.flatten import flatten

StepKind = Literal[
    "derived", "score", "criterion", "option", "prompt", "workup", "prognosis", "direction"
]


@dataclass(frozen=True)
class Step:
    name: str
    expr: Expr
    kind: StepKind


@dataclass(frozen=True)
class Guidance:
    prompts: tuple[PromptDecl, ...]
    workup: tuple[WorkupDecl, ...]
    prognosis: tuple[PrognosticFactorDecl, ...]
    directions: tuple[DirectionDecl, ...]


@cache
def guidance() -> Guidance:
    """Every prompt, work-up item, prognostic factor and direction in ``knowledge/guidance``."""
    prompts: list[PromptDecl] = []
    workup: list[WorkupDecl] = []
    prognosis: list[PrognosticFactorDecl] = []
    directions: list[DirectionDecl] = []
    folder = resources.files("livermets.knowledge").joinpath("guidance")
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".yaml"):
            content = GuidanceFile.model_validate(
                yaml.safe_load(entry.read_text(encoding="utf-8")) or {}
            )
            prompts += content.prompts
            workup += content.workup
            prognosis += content.prognosis
            directions += content.directions
    return Guidance(tuple(prompts), tuple(workup), tuple(prognosis), tuple(directions))


def _rule(text: str) -> Expr:
    return parse_rule(text, child_tables=CHILD_TABLES)


def group_column(group: str) -> str:
    """True when any option of the group (e.g. ``systemic``) is a candidate."""
    return f"candidates__{group}"


def prompt_column(prompt_id: str) -> str:
    return f"prompt:{prompt_id}"


def workup_column(item_id: str) -> str:
    return f"workup:{item_id}"


def prognosis_column(factor_id: str) -> str:
    return f"prognosis:{factor_id}"


def direction_column(code: str) -> str:
    return f"direction:{code}"


LEAD_DIRECTION = "direction"


def workup_status(item: WorkupDecl) -> Expr:
    """done / not_needed / missing. Unknown 'done' counts as not done; unknown 'needed' as
    needed, so a missing test is never hidden."""
    return (
        when(coalesce(_rule(item.done), False))
        .then("done")
        .when(coalesce(~_rule(item.needed), False))
        .then("not_needed")
        .otherwise("missing")
    )


def lead_direction(directions: tuple[DirectionDecl, ...]) -> Expr:
    """The first direction (in the vocabulary's priority order) whose rule is true."""
    if not directions:
        return lit(None)
    chain = when(coalesce(col(direction_column(directions[0].code)), False)).then(
        directions[0].code
    )
    for decl in directions[1:]:
        chain = chain.when(coalesce(col(direction_column(decl.code)), False)).then(decl.code)
    return chain.otherwise(lit(None))


@cache
def steps() -> tuple[Step, ...]:
    """Every step of the flow in dependency order."""
    from livermets.scores.registry import SCORES

    ordered: list[Step] = [Step(n, e, "derived") for n, e in DERIVED_BEFORE_SCORES.items()]
    for spec in SCORES:
        ordered += [Step(n, e, "score") for n, e in spec.columns().items()]
    ordered += [Step(n, e, "derived") for n, e in DERIVED_AFTER_SCORES.items()]
    rules = registry()
    ordered += [Step(c.column, c.expr, "criterion") for c in rules.criteria.values()]
    ordered += [Step(o.column, o.status, "option") for o in rules.options.values()]
    groups: dict[str, list[Expr]] = {}
    for option in rules.options.values():
        groups.setdefault(option.decl.group, []).append(col(option.column).eq("candidate"))
    ordered += [
        Step(group_column(group), any_of(*tests), "option") for group, tests in groups.items()
    ]
    g = guidance()
    ordered += [Step(prompt_column(p.id), _rule(p.rule), "prompt") for p in g.prompts]
    ordered += [Step(workup_column(w.id), workup_status(w), "workup") for w in g.workup]
    ordered += [Step(prognosis_column(f.id), _rule(f.rule), "prognosis") for f in g.prognosis]
    ordered += [Step(direction_column(d.code), _rule(d.rule), "direction") for d in g.directions]
    ordered.append(Step(LEAD_DIRECTION, lead_direction(g.directions), "direction"))
    _check_order(ordered)
    return tuple(ordered)


def _check_order(ordered: list[Step]) -> None:
    """Every column a step reads is a base feature or an earlier step's output."""
    from livermets.features.catalog import CASE_FEATURE_BY_NAME

    produced: set[str] = set(CASE_FEATURE_BY_NAME)
    for step in ordered:
        for name in step.expr.columns():
            if name.endswith("[]") or name.split(".", 1)[0] in CHILD_TABLES:
                continue
            if name not in produced:
                raise ValueError(f"step {step.name!r} reads {name!r}, not computed before it")
        if step.name in produced and step.kind != "derived":
            raise ValueError(f"step {step.name!r} is produced twice")
        produced.add(step.name)


@cache
def _compiled() -> tuple[tuple[str, Callable[[Any], Any]], ...]:
    return tuple((s.name, compile_scalar(s.expr)) for s in steps())


def evaluate_row(row: dict[str, Any]) -> dict[str, Any]:
    """Run every step on one flattened case, in place; returns the row."""
    for name, fn in _compiled():
        row[name] = fn(row)
    return row


def evaluate_case(case: Case) -> dict[str, Any]:
    """Every feature, score, criterion, option status and guidance column for one case."""
    return evaluate_row(flatten(case))
