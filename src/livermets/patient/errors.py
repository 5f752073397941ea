"""Input problems in patient-facing features, as the one error tree's
:class:`~livermets.errors.AnswersInputError`: every problem, each naming its field."""

from __future__ import annotations

from pydantic import ValidationError

from livermets.errors import AnswersInputError, FieldProblem, validation_problem


def answers_error(path: str, problem: str, *, source: str = "") -> AnswersInputError:
    """One problem with the answers (``path`` such as ``context.temperature``, or ``""``)."""
    return AnswersInputError([FieldProblem(path, problem)], source=source)


def from_validation_error(error: ValidationError, *, source: str = "") -> AnswersInputError:
    """Every problem of a pydantic error, each with its dotted field path, in one error."""
    return AnswersInputError(
        [validation_problem(e) for e in error.errors(include_url=False)], source=source
    )
