"""Load every definition, criterion and option declaration, check every reference, and compile
each option's status rule.

The knowledge folder holds (see ARCHITECTURE.md, "How to add an option"):

* ``definitions.yaml``: named rules any rule uses by bare name (``liver_dominant``);
* ``criteria/*.yaml``: criteria shared by several options;
* ``options/<option_id>.yaml``: one file per option, with its own criteria, its pathways and its
  patient texts; the loader discovers them, so a new option is one new file;
* ``groups.yaml`` (option groups: label, order) and ``pathways.yaml`` (the steps an ``after:``
  can name that are not options, with their words).

Problems are :class:`~livermets.errors.KnowledgeError` s naming the file and the rule id.
The option status is itself an :class:`Expr` built from the criterion columns (by the roles
computed once on :class:`Option`), so a cohort gets its statuses from the same declarations,
columnar, without any per-row Python.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from functools import cache
from importlib import resources
from importlib.abc import Traversable
from typing import Any, Generic, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from livermets.criteria.model import (
    CriteriaFile,
    CriterionDecl,
    DefinitionDecl,
    DefinitionsFile,
    GroupDecl,
    GroupsFile,
    OptionDecl,
    PathwaysFile,
    StepDecl,
)
from livermets.engine.expr import Expr, any_of, coalesce, col, lit, when
from livermets.engine.parse import criterion_column, parse_rule
from livermets.errors import (
    DuplicateIdError,
    KnowledgeError,
    RuleSyntaxError,
    UnknownReferenceError,
)
from livermets.features.catalog import CHILD_FEATURES

CHILD_TABLES = frozenset(CHILD_FEATURES)
CRITERION_PREFIX = "criterion:"

_Model = TypeVar("_Model", bound=BaseModel)


def option_column(option_id: str) -> str:
    """Status column of an option; a valid rule name, so directions can read it."""
    return f"option__{option_id}"


def group_column(group: str) -> str:
    """True when any option of the group (e.g. ``systemic``) is a candidate."""
    return f"candidates__{group}"


def parse_located(text: str, *, file: str, rule: str) -> Expr:
    """Parse rule text; a syntax error names the file and the rule id."""
    try:
        return parse_rule(text, child_tables=CHILD_TABLES)
    except RuleSyntaxError as error:
        raise error.located(file=file, rule=rule) from None


_DeclT = TypeVar("_DeclT", DefinitionDecl, CriterionDecl)


@dataclass(frozen=True)
class _Rule(Generic[_DeclT]):
    """A named rule of the knowledge: its declaration, its parsed expression, its file."""

    decl: _DeclT
    expr: Expr
    file: str = ""

    @property
    def id(self) -> str:
        return self.decl.id


class Definition(_Rule[DefinitionDecl]):
    @property
    def column(self) -> str:
        """A definition is read by its bare name."""
        return self.decl.id


class Criterion(_Rule[CriterionDecl]):
    @property
    def column(self) -> str:
        return criterion_column(self.decl.id)


def _unique(ids: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(ids))


@dataclass(frozen=True)
class Option:
    """One option with the roles of its criteria, computed once from its declaration.

    * ``applies``: unmet -> "not used for this case" (not suitable);
    * ``hard``: ``applies`` + requirements no pathway fixes (unmet -> not suitable);
    * ``soft``: requirements some pathway fixes (unmet -> consider after);
    * ``excludes``: met -> not suitable;
    * ``considerations``: shown, never change the status.
    """

    decl: OptionDecl
    status: Expr
    applies: tuple[str, ...] = ()
    hard: tuple[str, ...] = ()
    soft: tuple[str, ...] = ()
    excludes: tuple[str, ...] = ()
    considerations: tuple[str, ...] = ()
    file: str = field(default="", compare=False)

    @classmethod
    def from_decl(cls, decl: OptionDecl, file: str = "") -> Option:
        fixed = {c for p in decl.pathways for c in p.fixes}
        roles = cls(
            decl=decl,
            status=lit(None),
            applies=_unique(decl.applies),
            hard=_unique([*decl.applies, *(c for c in decl.requires if c not in fixed)]),
            soft=_unique(c for c in decl.requires if c in fixed),
            excludes=_unique(decl.excludes),
            considerations=_unique(decl.considerations),
            file=file,
        )
        return replace(roles, status=status_rule(roles))

    @property
    def id(self) -> str:
        return self.decl.id

    @property
    def column(self) -> str:
        return option_column(self.decl.id)

    def fixable(self) -> dict[str, list[str]]:
        """Requirement id -> the step ids ("after X") that could make it met."""
        out: dict[str, list[str]] = {}
        for pathway in self.decl.pathways:
            for criterion_id in pathway.fixes:
                out.setdefault(criterion_id, []).append(pathway.after)
        return out


def _met(criterion_id: str) -> Expr:
    return coalesce(col(criterion_column(criterion_id)), False)


def _unmet(criterion_id: str) -> Expr:
    return coalesce(~col(criterion_column(criterion_id)), False)


def _unknown(criterion_id: str) -> Expr:
    return col(criterion_column(criterion_id)).is_null()


def _any(tests: Iterable[Expr]) -> Expr:
    return any_of(lit(False), *tests)


def status_rule(option: Option) -> Expr:
    """The option's status as one expression, from its roles (precedence on ``OptionDecl``)."""
    excluded = _any(_met(c) for c in option.excludes)
    hard_unmet = _any(_unmet(c) for c in option.hard)
    hard_unknown = _any(_unknown(c) for c in [*option.hard, *option.excludes])
    soft_unmet = _any(_unmet(c) for c in option.soft)
    soft_unknown = _any(_unknown(c) for c in option.soft)
    return (
        when(excluded | hard_unmet)
        .then("not_suitable")
        .when(hard_unknown)
        .then("needs_data")
        .when(soft_unmet)
        .then("consider_after")
        .when(soft_unknown)
        .then("needs_data")
        .otherwise("candidate")
    )


@dataclass(frozen=True)
class Registry:
    definitions: dict[str, Definition]
    criteria: dict[str, Criterion]
    options: dict[str, Option]
    groups: dict[str, GroupDecl]
    steps: dict[str, StepDecl]

    def step_label(self, step_id: str) -> str:
        """Words for an "after" step: a pathway step's label, or the option's ``as_step``."""
        if step_id in self.steps:
            return self.steps[step_id].label
        if step_id in self.options:
            decl = self.options[step_id].decl
            return decl.as_step or decl.name
        raise UnknownReferenceError(f"unknown pathway step {step_id!r}", file="pathways.yaml")

    def group_options(self, group: str) -> list[Option]:
        """The options of a group, in the registry's order (rank, then id)."""
        return [o for o in self.options.values() if o.decl.group == group]


def _read(entry: Traversable, model: type[_Model], file: str) -> _Model:
    try:
        raw: Any = yaml.safe_load(entry.read_text(encoding="utf-8")) or {}
        return model.model_validate(raw)
    except yaml.YAMLError as error:
        raise KnowledgeError(f"not valid YAML: {error}", file=file) from None
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in error.errors()
        )
        raise KnowledgeError(problems, file=file) from None


def _yaml_files(folder: Traversable) -> list[Traversable]:
    if not folder.is_dir():
        return []
    return sorted((e for e in folder.iterdir() if e.name.endswith(".yaml")), key=lambda e: e.name)


def check_sources(ids: Iterable[str], known: Iterable[str], *, file: str, rule: str) -> None:
    """Every cited source id exists; an unknown one names the file and the rule."""
    known_ids = set(known)
    for source_id in ids:
        if source_id not in known_ids:
            raise UnknownReferenceError(f"unknown source id {source_id!r}", file=file, rule=rule)


def _source_ids(root: Traversable) -> set[str]:
    ids: set[str] = set()
    for entry in _yaml_files(root.joinpath("sources")):
        for raw in yaml.safe_load(entry.read_text(encoding="utf-8")) or []:
            ids.add(str(raw["id"]))
    return ids


def known_columns(
    definitions: Iterable[str], options: Iterable[str], groups: Iterable[str]
) -> set[str]:
    """Every column a rule may read by bare name: base and derived features, score outputs,
    definitions, option statuses and group flags."""
    from livermets.features.catalog import CASE_FEATURE_BY_NAME
    from livermets.features.derived import DERIVED_AFTER_SCORES, DERIVED_BEFORE_SCORES
    from livermets.scores.registry import SCORES

    names = set(CASE_FEATURE_BY_NAME) | set(DERIVED_BEFORE_SCORES) | set(DERIVED_AFTER_SCORES)
    for spec in SCORES:
        names |= set(spec.columns())
    names |= set(definitions)
    names |= {option_column(o) for o in options}
    names |= {group_column(g) for g in groups}
    return names


def check_columns(
    expr: Expr, *, criteria: Iterable[str], columns: set[str], file: str, rule: str
) -> None:
    """Every column the rule reads exists: a known column, a child-table column or a criterion."""
    criterion_ids = set(criteria)
    for name in sorted(expr.columns()):
        if name.endswith("[]") or name.split(".", 1)[0] in CHILD_TABLES:
            continue
        if name.startswith(CRITERION_PREFIX):
            if name[len(CRITERION_PREFIX) :] not in criterion_ids:
                raise UnknownReferenceError(
                    f"unknown criterion {name[len(CRITERION_PREFIX) :]!r}", file=file, rule=rule
                )
            continue
        if name not in columns:
            raise UnknownReferenceError(
                f"unknown name {name!r} (not a feature, score, definition or option)",
                file=file,
                rule=rule,
            )


def load_registry(root: Traversable) -> Registry:
    """Every declaration under the knowledge folder ``root``, checked."""
    sources = _source_ids(root)
    seen: dict[str, str] = {}

    def claim(kind: str, ident: str, file: str) -> None:
        key = f"{kind}:{ident}"
        if key in seen:
            raise DuplicateIdError(
                f"{kind} {ident!r} is declared twice (also in {seen[key]})", file=file, rule=ident
            )
        seen[key] = file

    groups: dict[str, GroupDecl] = {}
    if root.joinpath("groups.yaml").is_file():
        for group in _read(root.joinpath("groups.yaml"), GroupsFile, "groups.yaml").groups:
            claim("group", group.id, "groups.yaml")
            groups[group.id] = group
    steps: dict[str, StepDecl] = {}
    if root.joinpath("pathways.yaml").is_file():
        for step in _read(root.joinpath("pathways.yaml"), PathwaysFile, "pathways.yaml").steps:
            claim("pathway step", step.id, "pathways.yaml")
            steps[step.id] = step

    definitions: dict[str, Definition] = {}
    if root.joinpath("definitions.yaml").is_file():
        file = "definitions.yaml"
        for d in _read(root.joinpath(file), DefinitionsFile, file).definitions:
            claim("definition", d.id, file)
            check_sources(d.sources, sources, file=file, rule=d.id)
            definitions[d.id] = Definition(d, parse_located(d.rule, file=file, rule=d.id), file)

    criteria: dict[str, Criterion] = {}

    def add_criteria(decls: Iterable[CriterionDecl], file: str) -> None:
        for c in decls:
            claim("criterion", c.id, file)
            check_sources(c.sources, sources, file=file, rule=c.id)
            criteria[c.id] = Criterion(c, parse_located(c.rule, file=file, rule=c.id), file)

    for entry in _yaml_files(root.joinpath("criteria")):
        file = f"criteria/{entry.name}"
        add_criteria(_read(entry, CriteriaFile, file).criteria, file)

    loaded: list[tuple[OptionDecl, str]] = []
    for entry in _yaml_files(root.joinpath("options")):
        file = f"options/{entry.name}"
        decl = _read(entry, OptionDecl, file)
        if entry.name != f"{decl.id}.yaml":
            raise KnowledgeError(f"option {decl.id!r} must be in options/{decl.id}.yaml", file=file)
        claim("option", decl.id, file)
        check_sources(decl.sources, sources, file=file, rule=decl.id)
        add_criteria(decl.criteria, file)
        loaded.append((decl, file))
    loaded.sort(key=lambda pair: (pair[0].rank, pair[0].id))
    options = {decl.id: Option.from_decl(decl, file) for decl, file in loaded}

    for option in options.values():
        _check_option(option, criteria, options, groups, steps)
    columns = known_columns(definitions, options, groups)
    items: list[Definition | Criterion] = [*definitions.values(), *criteria.values()]
    for item in items:
        check_columns(item.expr, criteria=criteria, columns=columns, file=item.file, rule=item.id)
    return Registry(definitions, criteria, options, groups, steps)


def _check_option(
    option: Option,
    criteria: dict[str, Criterion],
    options: dict[str, Option],
    groups: dict[str, GroupDecl],
    steps: dict[str, StepDecl],
) -> None:
    decl, file = option.decl, option.file
    if decl.group not in groups:
        raise UnknownReferenceError(f"unknown option group {decl.group!r}", file=file, rule=decl.id)
    referenced = [*decl.applies, *decl.requires, *decl.excludes, *decl.considerations]
    referenced += [c for p in decl.pathways for c in p.fixes]
    for criterion_id in referenced:
        if criterion_id not in criteria:
            raise UnknownReferenceError(
                f"unknown criterion {criterion_id!r}", file=file, rule=decl.id
            )
    for pathway in decl.pathways:
        if pathway.after not in steps and pathway.after not in options:
            raise UnknownReferenceError(
                f"unknown pathway step {pathway.after!r} (declare it in pathways.yaml)",
                file=file,
                rule=decl.id,
            )
        for criterion_id in pathway.fixes:
            if criterion_id not in decl.requires:
                raise UnknownReferenceError(
                    f"pathway fixes {criterion_id!r}, which is not one of its requirements",
                    file=file,
                    rule=decl.id,
                )


@cache
def registry() -> Registry:
    """Every definition, criterion and option of the packaged knowledge, checked."""
    return load_registry(resources.files("livermets.knowledge"))


def step_label(step_id: str) -> str:
    """Words for an "after" step (``portal_vein_embolisation`` -> "portal vein embolisation")."""
    return registry().step_label(step_id)
