"""Check the packaged knowledge as a whole: what ``livermets knowledge check`` reports.

Loading already refuses knowledge that cannot be used (rule syntax, unknown references,
duplicate ids, reference cycles, unknown source ids: :mod:`livermets.criteria.registry`,
:mod:`livermets.assessment.pipeline`), and :func:`livermets.assessment.pipeline.steps` refuses
ill-typed rules (:mod:`livermets.engine.types`). This module reports, without raising:

* **problems**: the load error (loading stops at the first structural problem, so fix it and
  run again), and then every type problem of every rule, each naming the file and the rule;
* **unused declarations**: definitions and criteria no option or rule reads, pathway steps no
  option names, option groups with no option, and sources that nothing in the knowledge cites.
  An unused declaration is not wrong, but it is knowledge nobody reviews in context: remove it
  or use it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from importlib import resources
from importlib.resources.abc import Traversable

from livermets.errors import KnowledgeError


@dataclass(frozen=True)
class Finding:
    """One line of the report: ``kind`` is "problem" or "unused"."""

    kind: str
    file: str
    rule: str
    message: str

    def __str__(self) -> str:
        where = ": ".join(part for part in (self.file, self.rule) if part)
        return f"{self.kind}: {where}: {self.message}" if where else f"{self.kind}: {self.message}"


@dataclass
class Report:
    problems: list[Finding] = field(default_factory=list)
    unused: list[Finding] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def clean(self) -> bool:
        return not self.problems and not self.unused


def _problem(error: KnowledgeError) -> Finding:
    return Finding("problem", error.file, error.rule, error.problem)


def _knowledge_texts(root: Traversable, skip: str = "sources") -> list[str]:
    """The text of every knowledge file except the source lists (where ids are declared)."""
    texts: list[str] = []
    for entry in root.iterdir():
        if entry.is_dir():
            if entry.name != skip:
                texts += _knowledge_texts(entry, skip)
        elif entry.name.endswith((".yaml", ".md")):
            texts.append(entry.read_text(encoding="utf-8"))
    return texts


def check_knowledge() -> Report:
    """Every problem and every unused declaration of the packaged knowledge."""
    report = Report()
    try:
        from livermets.assessment.pipeline import all_steps
        from livermets.criteria.registry import registry

        rules = registry()
        declared = all_steps()
    except KnowledgeError as error:
        report.problems.append(_problem(error))
        return report

    from livermets.engine.types import base_environment, check_steps

    _, type_problems = check_steps(declared, base_environment())
    report.problems += [_problem(p) for p in type_problems]

    read: set[str] = set()
    for step in declared:
        read |= step.expr.columns()
    for option in rules.options.values():
        read |= {f"criterion:{c}" for c in option.decl.considerations}
    for definition in rules.definitions.values():
        if definition.column not in read:
            report.unused.append(
                Finding("unused", definition.file, definition.id, "no rule reads this definition")
            )
    for criterion in rules.criteria.values():
        if criterion.column not in read:
            report.unused.append(
                Finding("unused", criterion.file, criterion.id, "no option or rule reads it")
            )
    named = {p.after for o in rules.options.values() for p in o.decl.pathways}
    for step_id in rules.steps:
        if step_id not in named:
            report.unused.append(
                Finding("unused", "pathways.yaml", step_id, "no option names this step")
            )
    used_groups = {o.decl.group for o in rules.options.values()}
    for group in rules.groups:
        if group not in used_groups:
            report.unused.append(Finding("unused", "groups.yaml", group, "no option is in it"))

    from livermets.knowledge import sources
    from livermets.scores.registry import SCORES

    cited = " ".join(_knowledge_texts(resources.files("livermets.knowledge")))
    cited_ids = set(re.findall(r"[A-Za-z0-9_.-]+", cited))
    cited_ids |= {s for spec in SCORES for s in spec.sources}
    for source_id in sources():
        if source_id not in cited_ids:
            report.unused.append(
                Finding("unused", "sources/", source_id, "no knowledge file cites this source")
            )
    report.counts = {
        "steps": len(declared),
        "definitions": len(rules.definitions),
        "criteria": len(rules.criteria),
        "options": len(rules.options),
        "sources": len(sources()),
    }
    return report
