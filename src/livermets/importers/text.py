"""JSON or YAML text to plain data, for every importer and every kind of input.

A malformed document is an :class:`~livermets.errors.InputError` of the caller's kind (a case,
answers, an imported record), with one problem at the document's root and where it is.
"""

from __future__ import annotations

import json
from typing import Any

import yaml

from livermets.errors import CaseInputError, FieldProblem, InputError


def parse_document(text: str, *, source: str = "", error: type[InputError] = CaseInputError) -> Any:
    """Parse JSON or YAML text (JSON is YAML, but JSON errors read better from ``json``).

    A malformed document raises ``error`` (an :class:`InputError` subclass: a case, answers or
    an imported record) with one problem at the document's root (path ``""``)."""
    stripped = text.lstrip()
    if not stripped:
        raise error([FieldProblem("", "the input is empty")], source=source)
    if stripped[0] in "{[":
        try:
            return json.loads(text)
        except json.JSONDecodeError as bad:
            where = f"line {bad.lineno}, column {bad.colno}"
            raise error(
                [FieldProblem("", f"malformed JSON at {where}: {bad.msg}")], source=source
            ) from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as bad:
        mark = getattr(bad, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(bad, "problem", None) or "not valid YAML"
        raise error(
            [FieldProblem("", f"malformed YAML{where}: {problem}")], source=source
        ) from None
