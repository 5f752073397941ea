"""The public API of livermets: every entry point a face, a script or a test needs, in one place.

::

    from livermets import parse_case, assess, render

    case = parse_case(text, source="case.yaml")     # CaseInputError lists every problem
    assessment = assess(case)
    print(render(assessment, "report", format="markdown"))

- :func:`parse_case` (and :func:`case_from_data`): JSON/YAML text (or parsed data) to a
  validated :class:`~livermets.case.model.Case` (``importers/case_text.py``);
- :func:`assess`: one case to its :class:`~livermets.assessment.model.Assessment`;
- :func:`triage`: the symptom checker, answers to a
  :class:`~livermets.patient.symptoms.TriageResult`;
- :func:`evaluate_cohort`: the same rules over a whole cohort, columnar (polars);
- :func:`render`: an assessment as one of the faces (``FACES``), as text.

Errors are the one tree of :mod:`livermets.errors`: bad input raises an
:class:`~livermets.errors.InputError` holding every problem with its field path. The heavy
modules are imported on first use, so ``import livermets`` stays fast.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

from livermets.errors import CaseInputError, FieldProblem

if TYPE_CHECKING:
    import polars as pl

    from livermets.assessment.model import Assessment
    from livermets.case.model import Case
    from livermets.patient.symptoms import SymptomAnswers, TriageResult

__all__ = [
    "FACES",
    "Face",
    "assess",
    "case_from_data",
    "evaluate_cohort",
    "parse_case",
    "render",
    "triage",
]

Face = Literal["terminal", "json", "report", "letter"]
#: Each face and the formats it renders; the first is the default.
FACES: dict[Face, tuple[str, ...]] = {
    "terminal": ("text",),
    "json": ("json",),
    "report": ("html", "markdown"),
    "letter": ("text", "markdown", "html", "json"),
}


def parse_case(text: str, *, source: str = "") -> Case:
    """JSON or YAML text to a validated case. ``source`` (a file name) prefixes messages.

    Raises :class:`~livermets.errors.CaseInputError` with every problem and its field path."""
    from livermets.importers.case_text import parse_case as parse

    return parse(text, source=source)


def case_from_data(data: Any, *, source: str = "") -> Case:
    """Already-parsed data (a mapping, e.g. from a web form) to a validated case."""
    from livermets.importers.case_text import case_from_data as validate

    return validate(data, source=source)


def assess(case: Case) -> Assessment:
    """Scores, every option with its status and reasons, work-up, direction: for one case."""
    from livermets.assessment.build import assess as assess_case

    return assess_case(case)


def triage(
    answers: SymptomAnswers | Mapping[str, Any],
    *,
    country: str | None = None,
    fever_threshold_c: float | None = None,
) -> TriageResult:
    """The symptom checker: how soon to get help, and why (never a diagnosis).

    ``answers`` is a :class:`~livermets.patient.symptoms.SymptomAnswers` or raw data (a
    mapping as read from JSON/YAML); ``country`` (``GB``, ``US``...) picks the emergency number;
    ``fever_threshold_c`` is a local policy among the values the symptom catalog allows. Raises
    :class:`~livermets.errors.AnswersInputError` with every problem and its field path."""
    from livermets.patient.symptoms import SymptomAnswers, TriageSettings, parse_answers
    from livermets.patient.symptoms import triage as run_triage

    parsed = answers if isinstance(answers, SymptomAnswers) else parse_answers(answers)
    return run_triage(
        parsed, settings=TriageSettings(fever_threshold_c=fever_threshold_c), country=country
    )


def evaluate_cohort(
    cases: pl.LazyFrame | pl.DataFrame | Sequence[Case],
    children: Mapping[str, pl.LazyFrame | pl.DataFrame] | None = None,
    *,
    only: Iterable[str] | None = None,
) -> pl.LazyFrame:
    """Every pipeline step over a cohort, as a lazy polars frame (call ``.collect()``).

    ``cases`` is a case table (one row per case, ``features.catalog`` columns) with its child
    tables in ``children`` (``lesions``, ``markers``...), or a sequence of validated cases,
    flattened here (two cases with one ``case_id`` are a :class:`CaseInputError`). ``only``
    limits the output columns. Same rules as :func:`assess`."""
    import polars as pl

    from livermets.cohort.engine import evaluate_cohort as evaluate
    from livermets.cohort.engine import rows_to_frames
    from livermets.features.flatten import flatten

    if not isinstance(cases, pl.DataFrame | pl.LazyFrame):
        if children is not None:
            raise TypeError("children are given only with a case table, not with Case objects")
        seen: dict[str, int] = {}
        twice = [
            FieldProblem(
                f"[{i}].case_id", f"{c.case_id!r} is also the id of case [{seen[c.case_id]}]"
            )
            for i, c in enumerate(cases)
            if seen.setdefault(c.case_id, i) != i
        ]
        if twice:
            raise CaseInputError(twice, source="cases")
        cases, children = rows_to_frames([{**flatten(c), "case_id": c.case_id} for c in cases])
    return evaluate(cases, children, only=only)


def render(
    assessment: Assessment,
    face: Face = "terminal",
    *,
    format: str | None = None,
    country: str | None = None,
    show_all: bool = False,
    width: int | None = None,
    color: bool = False,
) -> str:
    """``assessment`` as one face, as text. ``face`` and ``format`` (see ``FACES``):

    - ``terminal`` / ``text``: the terminal view (``show_all`` lists every not-suitable option
      in full; ``width`` columns; ``color`` keeps the terminal colours as ANSI codes);
    - ``json`` / ``json``: the assessment JSON (format documented in docs/assessment-json.md);
    - ``report`` / ``html`` or ``markdown``: the one-page MDT summary;
    - ``letter`` / ``text``, ``markdown``, ``html`` or ``json``: the plain-English letter for
      the patient (``country`` picks the emergency number).

    An unknown face or format is a ``ValueError`` (a programming error, not user input)."""
    formats = FACES.get(face)
    if formats is None:
        raise ValueError(f"unknown face {face!r}; use one of {', '.join(FACES)}")
    fmt = format or formats[0]
    if fmt not in formats:
        raise ValueError(f"the {face} face renders {', '.join(formats)}, not {fmt!r}")
    # The one place where the core's API calls the faces' renderers.
    if face == "json":
        from livermets.faces.assessment_json import render_assessment_json

        return render_assessment_json(assessment)
    if face == "terminal":
        from rich.console import Console

        from livermets.faces.terminal import render_terminal

        buffer = io.StringIO()
        console = Console(
            file=buffer,
            width=width,
            force_terminal=color,
            no_color=not color,
            color_system="auto" if color else None,
        )
        render_terminal(assessment, console, show_all=show_all)
        return buffer.getvalue()
    if face == "report":
        from livermets.faces.report import render_report

        return render_report(assessment, fmt, as_of=assessment.case.as_of)
    from livermets.faces.patient_letter import render_patient_letter

    return render_patient_letter(assessment, fmt, country=country)
