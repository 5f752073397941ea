"""Load every criterion and option declaration and compile each option's status rule.

The option status is itself an :class:`Expr` built from the criterion columns, so a cohort gets
its statuses from the same declarations, columnar, without any per-row Python.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources

import yaml

from livermets.criteria.model import CriterionDecl, OptionDecl, OptionFile
from livermets.engine.expr import Expr, any_of, coalesce, col, lit, when
from livermets.engine.parse import criterion_column, parse_rule
from livermets.features.catalog import CHILD_FEATURES

CHILD_TABLES = frozenset(CHILD_FEATURES)


def option_column(option_id: str) -> str:
    """Status column of an option; a valid rule name, so directions can read it."""
    return f"option__{option_id}"


@dataclass(frozen=True)
class Criterion:
    decl: CriterionDecl
    expr: Expr

    @property
    def id(self) -> str:
        return self.decl.id

    @property
    def column(self) -> str:
        return criterion_column(self.decl.id)


@dataclass(frozen=True)
class Option:
    decl: OptionDecl
    status: Expr

    @property
    def id(self) -> str:
        return self.decl.id

    @property
    def column(self) -> str:
        return option_column(self.decl.id)

    def fixable(self) -> dict[str, list[str]]:
        """Requirement id -> the steps ("after X") that could make it met."""
        out: dict[str, list[str]] = {}
        for pathway in self.decl.pathways:
            for criterion_id in pathway.fixes:
                out.setdefault(criterion_id, []).append(pathway.after)
        return out

    # The role of each criterion, computed once from the declaration (``status_rule`` and the
    # assessment both read these, so the status is classified in one place).

    @property
    def applies(self) -> tuple[str, ...]:
        """Criteria that say the option is used for this kind of case at all."""
        return tuple(self.decl.applies)

    @property
    def hard(self) -> tuple[str, ...]:
        """Requirements that no step can fix (unmet: not suitable)."""
        fixable = self.fixable()
        return tuple(c for c in self.decl.requires if c not in fixable)

    @property
    def soft(self) -> tuple[str, ...]:
        """Requirements a step could fix (unmet: consider after the step)."""
        fixable = self.fixable()
        return tuple(c for c in self.decl.requires if c in fixable)

    @property
    def excludes(self) -> tuple[str, ...]:
        """Criteria any of which, when met, make the option not suitable."""
        return tuple(self.decl.excludes)

    @property
    def considerations(self) -> tuple[str, ...]:
        """Criteria shown with the option that do not change its status."""
        return tuple(self.decl.considerations)


def step_label(step_id: str) -> str:
    """Words for an "after" step (today's step ids are already words)."""
    return step_id


def _met(criterion_id: str) -> Expr:
    return coalesce(col(criterion_column(criterion_id)), False)


def _unmet(criterion_id: str) -> Expr:
    return coalesce(~col(criterion_column(criterion_id)), False)


def _unknown(criterion_id: str) -> Expr:
    return col(criterion_column(criterion_id)).is_null()


def status_rule(option: OptionDecl) -> Expr:
    """The option's status as one expression (precedence documented on ``OptionDecl``)."""
    fixable = {c for p in option.pathways for c in p.fixes}
    hard_requirements = [*option.applies, *(c for c in option.requires if c not in fixable)]
    soft_requirements = [c for c in option.requires if c in fixable]
    excluded = any_of(lit(False), *(_met(c) for c in option.excludes))
    hard_unmet = any_of(lit(False), *(_unmet(c) for c in hard_requirements))
    hard_unknown = any_of(
        lit(False), *(_unknown(c) for c in [*hard_requirements, *option.excludes])
    )
    soft_unmet = any_of(lit(False), *(_unmet(c) for c in soft_requirements))
    soft_unknown = any_of(lit(False), *(_unknown(c) for c in soft_requirements))
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


def _option_files() -> list[tuple[str, OptionFile]]:
    folder = resources.files("livermets.knowledge").joinpath("options")
    files = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".yaml"):
            raw = yaml.safe_load(entry.read_text(encoding="utf-8")) or {}
            files.append((entry.name, OptionFile.model_validate(raw)))
    return files


@dataclass(frozen=True)
class Registry:
    criteria: dict[str, Criterion]
    options: dict[str, Option]


@cache
def registry() -> Registry:
    """Every criterion and option, checked: ids unique, references resolvable."""
    criteria: dict[str, Criterion] = {}
    options: dict[str, Option] = {}
    for filename, content in _option_files():
        for decl in content.criteria:
            if decl.id in criteria:
                raise ValueError(f"{filename}: criterion {decl.id!r} is declared twice")
            criteria[decl.id] = Criterion(decl, parse_rule(decl.rule, child_tables=CHILD_TABLES))
        for option_decl in content.options:
            if option_decl.id in options:
                raise ValueError(f"{filename}: option {option_decl.id!r} is declared twice")
            options[option_decl.id] = Option(option_decl, status_rule(option_decl))
    for option in options.values():
        _check_references(option.decl, criteria)
    return Registry(criteria, options)


def _check_references(decl: OptionDecl, criteria: dict[str, Criterion]) -> None:
    referenced = [*decl.applies, *decl.requires, *decl.excludes, *decl.considerations]
    referenced += [c for p in decl.pathways for c in p.fixes]
    for criterion_id in referenced:
        if criterion_id not in criteria:
            raise ValueError(f"option {decl.id!r} names unknown criterion {criterion_id!r}")
    for pathway in decl.pathways:
        for criterion_id in pathway.fixes:
            if criterion_id not in decl.requires:
                raise ValueError(
                    f"option {decl.id!r}: pathway fixes {criterion_id!r}, "
                    "which is not one of its requirements"
                )
