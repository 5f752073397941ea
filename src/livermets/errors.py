"""The one exception tree for input problems. Every message names the field and the problem.

Faces (CLI, web, API) catch :class:`InputError` and show ``str(error)``; nothing else about an
input problem should ever reach a user as a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldProblem:
    """One problem: ``path`` is a dotted field path (``labs.bilirubin.unit``); ``problem`` says
    what is wrong and, where possible, what is accepted."""

    path: str
    problem: str

    def __str__(self) -> str:
        return f"{self.path}: {self.problem}" if self.path else self.problem


class InputError(ValueError):
    """Input that cannot be used. Holds every problem found, the first one in ``str()``."""

    def __init__(self, problems: list[FieldProblem], *, source: str = "") -> None:
        self.problems = problems
        self.source = source
        super().__init__(self.summary())

    def summary(self) -> str:
        """One line: the first problem, and how many more there are."""
        first = str(self.problems[0]) if self.problems else "invalid input"
        more = len(self.problems) - 1
        prefix = f"{self.source}: " if self.source else ""
        suffix = f" (and {more} more problem{'s' if more > 1 else ''})" if more > 0 else ""
        return f"{prefix}{first}{suffix}"


class CaseInputError(InputError):
    """A case that is not valid (malformed JSON/YAML, wrong fields, impossible values)."""
