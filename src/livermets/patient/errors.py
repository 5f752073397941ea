"""Input problems in patient-facing features, as the one error tree's
:class:`~livermets.errors.AnswersInputError`: every problem, each naming its field."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from livermets.errors import AnswersInputError, FieldProblem, field_path


def answers_error(path: str, problem: str) -> AnswersInputError:
    """One problem with the answers (``path`` such as ``context.temperature``, or ``""``)."""
    return AnswersInputError([FieldProblem(path, problem)])


def _problem(error: Mapping[str, Any]) -> FieldProblem:
    context = error.get("ctx") or {}
    if error.get("type") == "value_error" and "error" in context:
        message = str(context["error"])  # a validator's own sentence
    else:
        message = str(error.get("msg", "invalid value"))
    return FieldProblem(field_path(error.get("loc", ())), message)


def from_validation_error(error: ValidationError, *, source: str = "") -> AnswersInputError:
    """Every problem of a pydantic error, each with its dotted field path, in one error."""
    return AnswersInputError([_problem(e) for e in error.errors(include_url=False)], source=source)
