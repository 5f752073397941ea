"""Plain-English glossary and the function that explains medical words where they are first used.

``explain_terms(text)`` puts a short explanation in brackets after the first use of each glossary
term in a text: "jaundice" becomes "jaundice (yellowing of the skin and eyes)". It is used for
the library explainers and for any other text shown to a patient (for example the personal
summary letter). Pure functions; the glossary comes from ``knowledge/glossary.yaml``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache

from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError, model_validator

from livermets.errors import DuplicateIdError
from livermets.knowledge import invalid, load_yaml


class GlossaryEntry(BaseModel):
    """One term: ``forms`` are the spellings to find, ``short`` goes in brackets after the first
    use, ``explanation`` is the one- or two-sentence glossary text."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    term: str
    forms: tuple[str, ...]
    short: str
    explanation: str
    sources: tuple[str, ...]
    case_sensitive: bool = False

    @model_validator(mode="after")
    def _term_is_a_form(self) -> GlossaryEntry:
        if not self.forms:
            raise ValueError(f"{self.id}: needs at least one form")
        return self


@dataclass(frozen=True)
class TermUse:
    """Where a glossary term is used in a text: ``start``/``end`` index the matched form."""

    entry: GlossaryEntry
    start: int
    end: int
    text: str


class Glossary:
    """All entries, with a matcher that prefers the longest form at each position."""

    def __init__(self, entries: Iterable[GlossaryEntry]) -> None:
        self.entries: tuple[GlossaryEntry, ...] = tuple(entries)
        ids = [e.id for e in self.entries]
        seen: set[str] = set()
        for entry_id in ids:
            if entry_id in seen:
                raise DuplicateIdError("id declared twice", file="glossary.yaml", rule=entry_id)
            seen.add(entry_id)
        forms: list[tuple[str, GlossaryEntry]] = [(f, e) for e in self.entries for f in e.forms]
        forms.sort(key=lambda fe: -len(fe[0]))
        self._by_form_exact: dict[str, GlossaryEntry] = {}
        self._by_form_folded: dict[str, GlossaryEntry] = {}
        parts: list[str] = []
        for form, entry in forms:
            if entry.case_sensitive:
                self._by_form_exact.setdefault(form, entry)
                parts.append(re.escape(form))
            else:
                self._by_form_folded.setdefault(form.lower(), entry)
                parts.append("(?i:" + re.escape(form) + ")")
        self._pattern = re.compile(r"(?<![\w-])(?:" + "|".join(parts) + r")(?![\w-])")

    def __iter__(self) -> Iterator[GlossaryEntry]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    def _entry_for(self, matched: str) -> GlossaryEntry | None:
        if matched in self._by_form_exact:
            return self._by_form_exact[matched]
        return self._by_form_folded.get(matched.lower())

    def uses(self, text: str) -> list[TermUse]:
        """Every use of a glossary form in ``text``, left to right, longest form first; Markdown
        heading lines are left out."""
        found: list[TermUse] = []
        for line_start, line in _body_lines(text):
            for match in self._pattern.finditer(line):
                entry = self._entry_for(match.group(0))
                if entry is None:
                    continue
                found.append(
                    TermUse(entry, line_start + match.start(), line_start + match.end(), match[0])
                )
        return found

    def first_uses(self, text: str) -> list[TermUse]:
        """The first use of each term in ``text``."""
        seen: set[str] = set()
        firsts: list[TermUse] = []
        for use in self.uses(text):
            if use.entry.id not in seen:
                seen.add(use.entry.id)
                firsts.append(use)
        return firsts

    def lookup(self, query: str) -> GlossaryEntry | None:
        """The entry whose id, term or one of its forms is ``query`` (any case)."""
        q = query.strip()
        if q in self._by_form_exact:
            return self._by_form_exact[q]
        folded = q.lower()
        for entry in self.entries:
            if folded in (entry.id, entry.term.lower()):
                return entry
        if folded in self._by_form_folded:
            return self._by_form_folded[folded]
        for entry in self.entries:
            if any(f.lower() == folded for f in entry.forms):
                return entry
        return None

    def search(self, query: str) -> list[GlossaryEntry]:
        """Entries whose term or forms contain ``query`` (any case), best match first."""
        exact = self.lookup(query)
        folded = query.strip().lower()
        hits = [
            e
            for e in self.entries
            if e is not exact and any(folded in f.lower() for f in (e.term, *e.forms))
        ]
        return ([exact] if exact else []) + hits


def _body_lines(text: str) -> list[tuple[int, str]]:
    """(offset, line) for each line that is not a Markdown heading, front matter or code."""
    out: list[tuple[int, str]] = []
    offset = 0
    in_front = text.startswith("---\n")
    in_code = False
    for index, line in enumerate(text.splitlines(keepends=True)):
        stripped = line.strip()
        if in_front:
            if index > 0 and stripped == "---":
                in_front = False
        elif stripped.startswith("```"):
            in_code = not in_code
        elif not in_code and not stripped.startswith("#"):
            out.append((offset, line))
        offset += len(line)
    return out


@cache
def load_glossary() -> Glossary:
    """The packaged glossary (read-only package data)."""
    raw = load_yaml("glossary.yaml")
    try:
        return Glossary(TypeAdapter(list[GlossaryEntry]).validate_python(raw))
    except ValidationError as error:
        raise invalid(error, file="glossary.yaml") from None


def explain_terms(
    text: str,
    glossary: Glossary | None = None,
    *,
    skip: Iterable[str] = (),
) -> str:
    """``text`` with a short plain explanation in brackets after the first use of each glossary
    term, for example "jaundice (yellowing of the skin and eyes)".

    A term already followed by a bracket is taken as explained by the writer. Terms whose id is
    in ``skip`` (for example the subject of an explainer, defined in its own words) are left
    alone. Headings, front matter and code blocks are never changed.
    """
    gloss = glossary or load_glossary()
    skipped = set(skip)
    out: list[str] = []
    last = 0
    for use in gloss.first_uses(text):
        if use.entry.id in skipped:
            continue
        following = text[use.end : use.end + 2]
        if following.startswith("(") or following == " (":
            continue
        out.append(text[last : use.end])
        out.append(f" ({use.entry.short})")
        last = use.end
    out.append(text[last:])
    return "".join(out)
