"""The patient library: short explainers in plain English, one Markdown file per topic.

Each file in ``knowledge/library/`` starts with a front-matter block::

    ---
    id: ct-scan
    title: CT scan
    section: tests
    order: 42
    summary: One line shown in the list of topics.
    sources: [seed-000, seed-004]
    defines: [ct-scan]          # glossary ids the explainer itself explains (optional)
    ---

:func:`render` returns the text a person reads: the title, then the body with every glossary
term explained where it is first used (:func:`livermets.patient.glossary.explain_terms`).
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from livermets.errors import (
    DuplicateIdError,
    FieldProblem,
    InputError,
    KnowledgeError,
    UnknownReferenceError,
)
from livermets.knowledge import invalid, parse_yaml, read_text
from livermets.patient.glossary import Glossary, explain_terms

SECTIONS: dict[str, str] = {
    "basics": "About secondary liver cancer",
    "symptoms": "Symptoms and getting help",
    "tests": "Tests and scans",
    "treatment": "Treatments",
    "care": "Care, support and living well",
}

_FRONT = re.compile(r"\A---\n(?P<meta>.*?)\n---\n(?P<body>.*)\Z", re.DOTALL)


class Topic(BaseModel):
    """One explainer."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    title: str
    section: str
    order: int
    summary: str
    sources: tuple[str, ...]
    defines: tuple[str, ...] = ()
    body: str


def parse_topic(markdown: str, name: str = "") -> Topic:
    """A topic from the text of one library file (front matter + Markdown body); a file that
    cannot be used is a :class:`~livermets.errors.KnowledgeError` naming it."""
    file = f"library/{name}" if name else ""
    match = _FRONT.match(markdown)
    if not match:
        raise KnowledgeError("a library file must start with a --- front-matter block", file=file)
    meta: Any = parse_yaml(match["meta"], file)
    if not isinstance(meta, dict):
        raise KnowledgeError("front matter must be a mapping", file=file)
    rule = str(meta.get("id", ""))
    try:
        topic = Topic.model_validate({**meta, "body": match["body"].strip() + "\n"})
    except ValidationError as error:
        raise invalid(error, file=file, rule=rule) from None
    if topic.section not in SECTIONS:
        raise UnknownReferenceError(f"unknown section {topic.section!r}", file=file, rule=rule)
    return topic


@cache
def load_library() -> tuple[Topic, ...]:
    """Every packaged topic, in reading order (read-only package data)."""
    folder = resources.files("livermets.knowledge").joinpath("library")
    names = sorted(e.name for e in folder.iterdir() if e.name.endswith(".md"))
    topics = [parse_topic(read_text(f"library/{n}"), n) for n in names]
    seen: set[str] = set()
    for name, topic in zip(names, topics, strict=True):
        if topic.id in seen:
            raise DuplicateIdError("topic id declared twice", file=f"library/{name}", rule=topic.id)
        seen.add(topic.id)
    return tuple(sorted(topics, key=lambda t: (t.order, t.id)))


def list_topics(topics: tuple[Topic, ...] | None = None) -> list[Topic]:
    """All topics in reading order."""
    return list(topics if topics is not None else load_library())


def get_topic(query: str, topics: tuple[Topic, ...] | None = None) -> Topic:
    """The topic whose id or title is ``query``, or the only one whose id or title starts with
    (or contains) it. Otherwise an :class:`~livermets.errors.InputError` naming ``topic``, with
    suggestions."""
    pool = list_topics(topics)
    q = query.strip().lower().replace(" ", "-")
    plain = query.strip().lower()
    for topic in pool:
        if q == topic.id or plain == topic.title.lower():
            return topic
    for test in (
        lambda t: t.id.startswith(q) or t.title.lower().startswith(plain),
        lambda t: q in t.id or plain in t.title.lower(),
    ):
        hits = [t for t in pool if test(t)]
        if len(hits) == 1:
            return hits[0]
        if len(hits) > 1:
            names = ", ".join(t.id for t in hits[:8])
            raise InputError([FieldProblem("topic", f"{query!r} matches several topics: {names}")])
    raise InputError(
        [
            FieldProblem(
                "topic", f"no topic called {query!r}; run 'livermets library' to see the list"
            )
        ]
    )


def render(topic: Topic, glossary: Glossary | None = None, *, explain: bool = True) -> str:
    """The explainer as a person reads it: title, then body with terms explained."""
    body = explain_terms(topic.body, glossary, skip=topic.defines) if explain else topic.body
    return f"# {topic.title}\n\n{body}"
