"""The one exception tree of livermets. Every message names where the problem is and what to do.

::

    LivermetsError                      anything livermets raises on purpose
    ├── InputError                      input that cannot be used; holds every FieldProblem found
    │   ├── CaseInputError              a case file or form (malformed JSON/YAML, fields, values)
    │   ├── AnswersInputError           symptom-checker answers
    │   └── ImportInputError            an imported record (FHIR and other importers)
    └── KnowledgeError                  a knowledge file that cannot be used; names file and rule
        ├── RuleSyntaxError             rule text that is not the rule language
        ├── RuleTypeError               a rule whose types do not fit (``lesion_count and ecog``)
        ├── UnknownReferenceError       a column, criterion, definition, vocabulary literal or
        │                               source id that does not exist
        └── DuplicateIdError            an id declared twice

Faces catch the tree, never a message text: an :class:`InputError` shows ``str(error)`` (one
line: the first problem and how many more) or every problem (``error.lines()``,
``error.problems``); the CLI exits with status 2 (``--all-errors`` prints every problem), a web
face would answer 422. A ``KnowledgeError`` is a defect of the packaged knowledge: the CLI
prints one line naming the file and exits with status 3; ``livermets knowledge check`` lists
them all, and CI runs it, so a user never meets one. A plain ``ValueError``/``TypeError`` from
livermets is a programming error (an unknown face or format), not an input problem.

An :class:`InputError` carries its problems as data (:class:`FieldProblem`: a dotted path and a
sentence). Validation errors become problems through :func:`validation_problem`: the path is
the validator's location, plus ``ctx["field"]`` when a model-level check names the sub-field at
fault (``case/model.py`` does so for a unit or a value), so no code reads a path back out of a
message. Where they are raised: ``CaseInputError`` by ``importers/case_text.py`` (and
``case.units.UnitError``, one of them), ``AnswersInputError`` by ``patient/symptoms.py``,
``KnowledgeError`` by the loaders (``knowledge/__init__.py``, ``patient/``), ``RuleSyntaxError``
by ``engine/parse.py``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

#: Longest representation of an input value shown in a message (characters).
SHOWN_CHARS = 60


def shown(value: Any, limit: int = SHOWN_CHARS) -> str:
    """``repr(value)`` for a message, shortened to about ``limit`` characters: an enormous
    input never makes an enormous message (an integer too long to print is described by its
    size), and control characters are escaped as by ``repr``."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 200:
        return f"an integer of about {int(value.bit_length() * 0.30103) + 1} digits"
    if isinstance(value, str | bytes) and len(value) > 4 * limit:
        value = value[: 4 * limit]
    text = repr(value) if len(repr(value)) <= 10 * limit else f"<{type(value).__name__}>"
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    return text


class LivermetsError(Exception):
    """Base of every error livermets raises on purpose."""


@dataclass(frozen=True)
class FieldProblem:
    """One problem: ``path`` is a dotted field path (``labs.bilirubin.unit``); ``problem`` says
    what is wrong and, where possible, what is accepted."""

    path: str
    problem: str

    def __str__(self) -> str:
        return f"{self.path}: {self.problem}" if self.path else self.problem


def field_path(location: Iterable[int | str]) -> str:
    """A dotted path from a validation error's location: ``("liver", "lesions", 0, "diameter")``
    is ``liver.lesions[0].diameter``. pydantic's internal steps (``function-after[...]``) are
    left out."""
    parts: list[str] = []
    for item in location:
        if isinstance(item, int):
            parts.append(f"[{item}]")
        elif not item.startswith("function-"):
            parts.append(("." if parts else "") + item)
    return "".join(parts)


def validation_problem(error: Mapping[str, Any]) -> FieldProblem:
    """One item of a pydantic ``ValidationError.errors()`` as a :class:`FieldProblem`: the path
    from its location (plus ``ctx["field"]`` when a model-level check names the sub-field at
    fault), the sentence a validator raised (``ctx["error"]``) or pydantic's own message."""
    context = error.get("ctx") or {}
    if error.get("type") == "value_error" and "error" in context:
        message = str(context["error"])
    else:
        message = str(error.get("msg", "invalid value"))
    path = field_path(error.get("loc", ()))
    field = context.get("field")
    if isinstance(field, str) and field:
        path = f"{path}.{field}" if path else field
    return FieldProblem(path, message)


class InputError(LivermetsError, ValueError):
    """Input that cannot be used. Holds every problem found, the first one in ``str()``."""

    def __init__(self, problems: Sequence[FieldProblem], *, source: str = "") -> None:
        self.problems = list(problems)
        self.source = source
        super().__init__(self.summary())

    @property
    def paths(self) -> list[str]:
        """The field path of every problem, in order."""
        return [p.path for p in self.problems]

    def summary(self) -> str:
        """One line: the first problem, and how many more there are."""
        first = str(self.problems[0]) if self.problems else "invalid input"
        more = len(self.problems) - 1
        prefix = f"{self.source}: " if self.source else ""
        suffix = f" (and {more} more problem{'s' if more > 1 else ''})" if more > 0 else ""
        return f"{prefix}{first}{suffix}"

    def lines(self) -> list[str]:
        """Every problem, one line each (with the source, if any)."""
        prefix = f"{self.source}: " if self.source else ""
        return [f"{prefix}{p}" for p in self.problems] or [self.summary()]


class CaseInputError(InputError):
    """A case that is not valid (malformed JSON/YAML, wrong fields, impossible values)."""


class AnswersInputError(InputError):
    """Symptom-checker answers that cannot be used."""


class ImportInputError(InputError):
    """An imported record (FHIR, registry extract) that cannot be used."""


class KnowledgeError(LivermetsError, ValueError):
    """A packaged knowledge file that cannot be used.

    ``file`` is the knowledge file (relative to ``livermets/knowledge``), ``rule`` the id of the
    declaration (criterion, option, definition, direction...), ``problem`` what is wrong.
    """

    def __init__(self, problem: str, *, file: str = "", rule: str = "") -> None:
        self.file = file
        self.rule = rule
        self.problem = problem
        where = ": ".join(part for part in (file, rule) if part)
        super().__init__(f"{where}: {problem}" if where else problem)

    def located(self, *, file: str = "", rule: str = "") -> KnowledgeError:
        """The same problem with its file and rule filled in where they were not known."""
        return type(self)(self.problem, file=self.file or file, rule=self.rule or rule)


class RuleSyntaxError(KnowledgeError):
    """Rule text that is not valid rule syntax."""


class RuleTypeError(KnowledgeError):
    """A rule whose operand types do not fit its operators."""


class UnknownReferenceError(KnowledgeError):
    """A name that does not exist: a column, criterion, definition, literal or source id."""


class DuplicateIdError(KnowledgeError):
    """An id declared twice."""
