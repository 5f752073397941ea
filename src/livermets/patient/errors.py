"""Input problems in patient-facing features, always naming the field at fault."""

from __future__ import annotations

from pydantic import ValidationError

from livermets.errors import FieldProblem, InputError


class PatientInputError(InputError):
    """An answer that cannot be used. ``field`` is a dotted path such as ``context.temperature``.

    A :class:`livermets.errors.InputError` with one problem, so faces can catch either; ``str()``
    is ``"field: problem"`` (or just the problem when there is no field).
    """

    def __init__(self, field: str, problem: str) -> None:
        self.field = field
        self.problem = problem
        super().__init__([FieldProblem(field, problem)])


def from_validation_error(error: ValidationError) -> PatientInputError:
    """The first problem of a pydantic error, as one line that names the field."""
    first = error.errors()[0]
    path = ".".join(str(part) for part in first.get("loc", ()))
    message = str(first.get("msg", "invalid value"))
    message = message.removeprefix("Value error, ")
    return PatientInputError(path, message)
