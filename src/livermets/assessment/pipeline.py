"""The flow, in one place: features -> scores -> definitions and criteria -> options ->
guidance -> direction.

Every step is a named :class:`Expr` declared elsewhere (``features.derived``,
``scores.registry``, ``knowledge/definitions.yaml``, ``knowledge/criteria``,
``knowledge/options``, ``knowledge/guidance``). This module only orders them, topologically
(definitions and criteria may read other definitions and criteria; a reference cycle is a
:class:`~livermets.errors.KnowledgeError`). :func:`evaluate_row` runs them on one case (scalar
backend); ``cohort.engine`` runs the very same steps on a table (columnar backend).
"""

from __future__ import annotations

import heapq
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
from livermets.criteria.registry import (
    check_columns,
    check_sources,
    group_column,
    known_columns,
    parse_located,
    registry,
)
from livermets.engine.expr import Expr, all_of, any_of, coalesce, col, lit, when
from livermets.engine.scalar import compile_scalar
from livermets.errors import DuplicateIdError, KnowledgeError, UnknownReferenceError
from livermets.features.derived import DERIVED_AFTER_SCORES, DERIVED_BEFORE_SCORES
from livermets.features.flatten import flatten

StepKind = Literal[
    "derived",
    "score",
    "definition",
    "criterion",
    "option",
    "prompt",
    "workup",
    "prognosis",
    "direction",
]


@dataclass(frozen=True)
class Step:
    """One named column of the flow. ``origin`` says where it is declared, e.g.
    ``"options/resection.yaml: criterion resection.sflr_adequate"``."""

    name: str
    expr: Expr
    kind: StepKind
    origin: str = ""


@dataclass(frozen=True)
class Guidance:
    prompts: tuple[PromptDecl, ...]
    workup: tuple[WorkupDecl, ...]
    prognosis: tuple[PrognosticFactorDecl, ...]
    directions: tuple[DirectionDecl, ...]


@cache
def guidance() -> Guidance:
    """Every prompt, work-up item, prognostic factor and direction in ``knowledge/guidance``,
    with every cited source id and every id a direction explains checked."""
    from livermets.knowledge import sources

    prompts: list[PromptDecl] = []
    workup: list[WorkupDecl] = []
    prognosis: list[PrognosticFactorDecl] = []
    directions: list[DirectionDecl] = []
    folder = resources.files("livermets.knowledge").joinpath("guidance")
    rules = registry()
    _ORIGIN.clear()
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".yaml"):
            continue
        file = f"guidance/{entry.name}"
        content = GuidanceFile.model_validate(
            yaml.safe_load(entry.read_text(encoding="utf-8")) or {}
        )
        declared: list[tuple[str, PromptDecl | WorkupDecl | PrognosticFactorDecl]] = [
            *(("prompt", p) for p in content.prompts),
            *(("work-up", w) for w in content.workup),
            *(("prognostic factor", f) for f in content.prognosis),
        ]
        named = [(kind, d.id, d.sources) for kind, d in declared]
        named += [("direction", d.code, d.sources) for d in content.directions]
        for kind, ident, cited in named:
            if (kind, ident) in _ORIGIN:
                raise DuplicateIdError(f"{kind} {ident!r} is declared twice", file=file, rule=ident)
            _ORIGIN[kind, ident] = file
            check_sources(cited, sources(), file=file, rule=ident)
        for direction in content.directions:
            for ref in direction.explain:
                if ref not in rules.criteria and ref not in rules.options:
                    raise UnknownReferenceError(
                        f"explains unknown criterion or option {ref!r}",
                        file=file,
                        rule=direction.code,
                    )
            for group in direction.explain_groups:
                if group not in rules.groups:
                    raise UnknownReferenceError(
                        f"explains unknown option group {group!r}", file=file, rule=direction.code
                    )
        prompts += content.prompts
        workup += content.workup
        prognosis += content.prognosis
        directions += content.directions
    return Guidance(tuple(prompts), tuple(workup), tuple(prognosis), tuple(directions))


_ORIGIN: dict[tuple[str, str], str] = {}  # (kind, id) -> guidance file


def _rule(text: str, kind: str = "", ident: str = "") -> Expr:
    return parse_located(text, file=_ORIGIN.get((kind, ident), "guidance"), rule=ident)


def _origin(kind: str, ident: str) -> str:
    return f"{_ORIGIN[kind, ident]}: {kind} {ident}"


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
    needed, so a missing test is never hidden. A test is done only where it is needed, unless
    the item says ``done_if_not_needed``."""
    needed = _rule(item.needed, "work-up", item.id)
    done = _rule(item.done, "work-up", item.id)
    if not item.done_if_not_needed:
        done = all_of(needed, done)
    return (
        when(coalesce(done, False))
        .then("done")
        .when(coalesce(~needed, False))
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
    """Every step of the flow, in dependency order, each rule type-checked
    (:mod:`livermets.engine.types`): an ill-typed rule, an unknown vocabulary literal or an
    unknown column is a ``KnowledgeError`` naming its file and rule (the first of them; the
    command ``livermets knowledge check`` lists them all)."""
    from livermets.engine.types import base_environment, check_steps

    ordered = all_steps()
    _, problems = check_steps(ordered, base_environment())
    if problems:
        first = problems[0]
        more = f" (and {len(problems) - 1} more: run livermets knowledge check)"
        raise type(first)(
            first.problem + (more if len(problems) > 1 else ""), file=first.file, rule=first.rule
        )
    return ordered


@cache
def all_steps() -> tuple[Step, ...]:
    """Every step of the flow, in dependency order (topological; declaration order among
    independent steps), not yet type-checked. A reference cycle or an unknown column is a
    ``KnowledgeError``."""
    from livermets.scores.registry import SCORES

    declared: list[Step] = [
        Step(n, e, "derived", "features/derived.py") for n, e in DERIVED_BEFORE_SCORES.items()
    ]
    from livermets.knowledge import sources

    for spec in SCORES:
        check_sources(spec.sources, sources(), file="scores/registry.py", rule=spec.id)
        declared += [
            Step(n, e, "score", f"scores/registry.py: score {spec.id}")
            for n, e in spec.columns().items()
        ]
    declared += [
        Step(n, e, "derived", "features/derived.py") for n, e in DERIVED_AFTER_SCORES.items()
    ]
    rules = registry()
    declared += [
        Step(d.column, d.expr, "definition", f"{d.file}: definition {d.id}")
        for d in rules.definitions.values()
    ]
    declared += [
        Step(c.column, c.expr, "criterion", f"{c.file}: criterion {c.id}")
        for c in rules.criteria.values()
    ]
    declared += [
        Step(o.column, o.status, "option", f"{o.file}: option {o.id}")
        for o in rules.options.values()
    ]
    groups: dict[str, list[Expr]] = {}
    for option in rules.options.values():
        groups.setdefault(option.decl.group, []).append(col(option.column).eq("candidate"))
    declared += [
        Step(group_column(group), any_of(*tests), "option", f"groups.yaml: group {group}")
        for group, tests in groups.items()
    ]
    g = guidance()
    declared += [
        Step(prompt_column(p.id), _rule(p.rule, "prompt", p.id), "prompt", _origin("prompt", p.id))
        for p in g.prompts
    ]
    declared += [
        Step(workup_column(w.id), workup_status(w), "workup", _origin("work-up", w.id))
        for w in g.workup
    ]
    declared += [
        Step(
            prognosis_column(f.id),
            _rule(f.rule, "prognostic factor", f.id),
            "prognosis",
            _origin("prognostic factor", f.id),
        )
        for f in g.prognosis
    ]
    declared += [
        Step(
            direction_column(d.code),
            _rule(d.rule, "direction", d.code),
            "direction",
            _origin("direction", d.code),
        )
        for d in g.directions
    ]
    declared.append(
        Step(LEAD_DIRECTION, lead_direction(g.directions), "direction", "guidance/directions.yaml")
    )
    _check_columns(declared)
    return tuple(order_steps(declared))


def _check_columns(declared: list[Step]) -> None:
    """Every column a guidance rule reads exists (definitions and criteria are checked when
    the registry loads)."""
    rules = registry()
    columns = known_columns(rules.definitions, rules.options, rules.groups)
    for step in declared:
        if (
            step.kind in ("prompt", "workup", "prognosis", "direction")
            and step.name != LEAD_DIRECTION
        ):
            file, _, rule = step.origin.partition(": ")
            check_columns(step.expr, criteria=rules.criteria, columns=columns, file=file, rule=rule)


def order_steps(declared: list[Step]) -> list[Step]:
    """Topological order of the steps (Kahn), keeping declaration order among steps that do
    not depend on each other. Columns no step produces are base features (or child tables)."""
    from livermets.features.catalog import CASE_FEATURE_BY_NAME

    by_name: dict[str, int] = {}
    for index, step in enumerate(declared):
        if step.name in by_name:
            other = declared[by_name[step.name]].origin
            raise DuplicateIdError(
                f"column {step.name!r} is produced twice (also by {other})",
                file=step.origin.partition(": ")[0],
                rule=step.origin.partition(": ")[2],
            )
        if step.name in CASE_FEATURE_BY_NAME:
            raise DuplicateIdError(
                f"{step.name!r} is already a case feature",
                file=step.origin.partition(": ")[0],
                rule=step.origin.partition(": ")[2],
            )
        by_name[step.name] = index
    needs: list[set[int]] = []
    for step in declared:
        deps = {by_name[c] for c in step.expr.columns() if c in by_name}
        needs.append(deps)
    users: list[list[int]] = [[] for _ in declared]
    for index, deps in enumerate(needs):
        for dep in deps:
            users[dep].append(index)
    waiting = [len(deps) for deps in needs]
    ready = [i for i, n in enumerate(waiting) if n == 0]
    heapq.heapify(ready)
    ordered: list[Step] = []
    while ready:
        index = heapq.heappop(ready)
        ordered.append(declared[index])
        for user in users[index]:
            waiting[user] -= 1
            if waiting[user] == 0:
                heapq.heappush(ready, user)
    if len(ordered) < len(declared):
        raise _cycle_error(declared, needs, {i for i, n in enumerate(waiting) if n > 0})
    return ordered


def _cycle_error(declared: list[Step], needs: list[set[int]], stuck: set[int]) -> KnowledgeError:
    """Name one reference cycle among the steps that could not be ordered."""
    start = min(stuck)
    path = [start]
    while True:
        following = min(d for d in needs[path[-1]] if d in stuck)
        if following in path:
            cycle = [*path[path.index(following) :], following]
            break
        path.append(following)
    first = declared[cycle[0]]
    names = " -> ".join(declared[i].name for i in cycle)
    file, _, rule = first.origin.partition(": ")
    return KnowledgeError(f"reference cycle: {names}", file=file, rule=rule)


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
