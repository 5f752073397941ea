"""Case text in, validated case out: JSON or YAML text to a :class:`Case`, or a clear error.

Pure: takes text (the CLI and web read files and requests). Every problem is collected as a
:class:`~livermets.errors.FieldProblem` with a dotted field path, all at once, in one
:class:`~livermets.errors.CaseInputError`. The path comes from pydantic's error location and,
for a problem inside a measured quantity, from the error's context (``ctx["field"]``, set by
``case/model.py``), never from the message text. Plausible-but-unusual values are accepted and
reported by :func:`livermets.case.plausibility.plausibility_warnings`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from livermets.case.model import Case
from livermets.errors import CaseInputError, FieldProblem, shown, validation_problem
from livermets.importers.text import parse_document


def field_problem(error: Mapping[str, Any]) -> FieldProblem:
    """One pydantic error (an item of ``ValidationError.errors()``) as a :class:`FieldProblem`,
    worded for a person filling in a case.

    The path is the error's location, plus ``ctx["field"]`` when a model-level check names the
    sub-field at fault (a unit, a value): :func:`livermets.errors.validation_problem`."""
    located = validation_problem(error)
    message = located.problem
    kind = error.get("type", "")
    if kind == "missing":
        message = "required field is missing"
    elif kind == "extra_forbidden":
        message = "unknown field (check the spelling; see `livermets schema`)"
    elif kind == "literal_error":
        message = f"{shown(error.get('input'))} is not allowed; {message[0].lower()}{message[1:]}"
    elif "input" in error and kind not in {"model_type", "dict_type"}:
        given = error["input"]
        if not isinstance(given, dict | list):
            message = f"{message} (got {shown(given)})"
    return FieldProblem(located.path, message)


def case_from_data(data: Any, *, source: str = "") -> Case:
    """Validate already-parsed data (a dict) into a case."""
    if not isinstance(data, dict):
        raise CaseInputError(
            [
                FieldProblem(
                    "",
                    "a case must be a JSON/YAML object with fields such as "
                    "schema_version, case_id and primary",
                )
            ],
            source=source,
        )
    try:
        return Case.model_validate(data)
    except ValidationError as error:
        problems = [field_problem(e) for e in error.errors(include_url=False)]
        raise CaseInputError(problems, source=source) from None


def parse_case(text: str, *, source: str = "") -> Case:
    """Parse JSON or YAML text into a validated case."""
    return case_from_data(parse_document(text, source=source), source=source)
