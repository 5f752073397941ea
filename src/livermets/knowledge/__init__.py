"""Reviewable clinical knowledge: sources, rule texts, glossary, symptom lists.

Everything a clinician may want to review lives in YAML/Markdown files in this folder, each
entry with source ids. This module loads the packaged files (read-only package data, not user
I/O) and checks that every cited source id exists. A file that cannot be used raises a
:class:`~livermets.errors.KnowledgeError` naming the file (and the declaration, when known):
malformed YAML, a missing file, a source declared twice (:class:`DuplicateIdError`), a cited
source id that does not exist (:class:`UnknownReferenceError`).
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from livermets.errors import (
    DuplicateIdError,
    KnowledgeError,
    UnknownReferenceError,
    validation_problem,
)


class Source(BaseModel):
    """One piece of evidence a rule or a text rests on."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    citation: str
    kind: str = "publication"  # publication | guideline | seed | reference | trial
    url: str | None = None
    section: str | None = None
    note: str | None = None


def read_text(relative_path: str) -> str:
    """The text of a packaged knowledge file, e.g. ``"criteria.yaml"``."""
    try:
        return resources.files(__package__).joinpath(relative_path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise KnowledgeError(f"cannot read the file ({error})", file=relative_path) from None


def parse_yaml(text: str, file: str) -> Any:
    """YAML text of the knowledge file ``file``; malformed YAML is a :class:`KnowledgeError`."""
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(error, "problem", None) or "not valid YAML"
        raise KnowledgeError(f"malformed YAML{where}: {problem}", file=file) from None


def load_yaml(relative_path: str) -> Any:
    return parse_yaml(read_text(relative_path), relative_path)


def invalid(error: ValidationError, *, file: str, rule: str = "") -> KnowledgeError:
    """A declaration that does not fit its model, as one :class:`KnowledgeError` naming the file,
    the declaration and every field at fault."""
    problems = "; ".join(str(validation_problem(e)) for e in error.errors(include_url=False))
    return KnowledgeError(problems, file=file, rule=rule)


def merge_sources(files: list[tuple[str, Any]]) -> dict[str, Source]:
    """Sources from parsed ``(file name, YAML data)`` pairs; a duplicate id is an error."""
    merged: dict[str, Source] = {}
    where: dict[str, str] = {}
    for file, data in files:
        for raw in data or []:
            rule = str(raw.get("id", "")) if isinstance(raw, dict) else ""
            try:
                source = Source.model_validate(raw)
            except ValidationError as error:
                raise invalid(error, file=file, rule=rule) from None
            if source.id in merged:
                raise DuplicateIdError(
                    f"source id declared twice (first in {where[source.id]})",
                    file=file,
                    rule=source.id,
                )
            merged[source.id] = source
            where[source.id] = file
    return merged


@cache
def sources() -> dict[str, Source]:
    """Every source, merged from ``sources/*.yaml``; a duplicate id is a
    :class:`DuplicateIdError` naming the file and the id."""
    folder = resources.files(__package__).joinpath("sources")
    files = [
        (
            f"sources/{entry.name}",
            parse_yaml(entry.read_text(encoding="utf-8"), f"sources/{entry.name}"),
        )
        for entry in sorted(folder.iterdir(), key=lambda e: e.name)
        if entry.name.endswith(".yaml")
    ]
    return merge_sources(files)


def cite(source_ids: tuple[str, ...] | list[str]) -> list[Source]:
    """Look up source ids; an unknown id is an :class:`UnknownReferenceError` (the knowledge
    tests and ``livermets knowledge check`` find it before a user does)."""
    known = sources()
    unknown = [s for s in source_ids if s not in known]
    if unknown:
        raise UnknownReferenceError(f"unknown source id {', '.join(map(repr, unknown))}")
    return [known[s] for s in source_ids]
