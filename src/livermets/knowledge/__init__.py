"""Reviewable clinical knowledge: sources, rule texts, glossary, symptom lists.

Everything a clinician may want to review lives in YAML/Markdown files in this folder, each
entry with source ids. This module loads the packaged files (read-only package data, not user
I/O) and checks that every cited source id exists.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict


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
    return resources.files(__package__).joinpath(relative_path).read_text(encoding="utf-8")


def load_yaml(relative_path: str) -> Any:
    return yaml.safe_load(read_text(relative_path))


@cache
def sources() -> dict[str, Source]:
    """Every source, merged from ``sources/*.yaml``; a duplicate id is an error."""
    merged: dict[str, Source] = {}
    folder = resources.files(__package__).joinpath("sources")
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".yaml"):
            continue
        for raw in yaml.safe_load(entry.read_text(encoding="utf-8")) or []:
            source = Source.model_validate(raw)
            if source.id in merged:
                raise ValueError(f"source id {source.id!r} is defined twice ({entry.name})")
            merged[source.id] = source
    return merged


def cite(source_ids: tuple[str, ...] | list[str]) -> list[Source]:
    """Look up source ids; an unknown id is a programming error caught by the knowledge tests."""
    known = sources()
    return [known[s] for s in source_ids]
