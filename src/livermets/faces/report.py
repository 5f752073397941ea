"""The one-page MDT summary, as HTML (to print or show) and Markdown (to file).

A face: it lays out what the :class:`~livermets.assessment.model.Assessment` says and adds no
clinical logic. Status words, headlines, direction reasons and numbers come from
:mod:`livermets.faces.words`; made here are only the layout over them: the numbering of
sources, the grouping of lines, and the suggested questions for the meeting (one per open
option, missing item or unverified deciding criterion). Pure: no I/O beyond reading the
package's own templates, no clock; the same assessment always gives the same text.

The screen view and the Markdown keep everything. The printed page (the HTML's print CSS)
keeps to one A4 page by leaving the details to the screen: the direction with its reasons,
urgent and action prompts, scores with their categories, every open option with its status
and headline, the missing-data checklist and the notice always print; criteria, study
figures, score notes and sources print only in short. The view marks what prints (``printed``
on questions and sources) and carries the short forms (``paper_*``, ``needed_for_short``,
``unused``); print CSS hides the rest.

Templates live in ``livermets/faces/templates`` (package data). HTML is autoescaped; in
Markdown every value is escaped for Markdown by the environment's ``finalize`` hook, so text
from a case (a case id such as ``<b>x</b>``) can never become markup in either document.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Literal

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from livermets.assessment.model import (
    Assessment,
    CriterionResult,
    DirectionResult,
    OptionResult,
    ScoreResult,
    SourceRef,
)
from livermets.faces import words
from livermets.faces.words import OUTCOME_WORD, STATUS_WORD

ReportKind = Literal["html", "markdown"]
KINDS: tuple[ReportKind, ...] = ("html", "markdown")

STATUS_MARK = {"candidate": "✓", "consider_after": "→", "needs_data": "?", "not_suitable": "✗"}
PROMPT_WORD = {"urgent": "URGENT", "action": "ACTION", "info": "NOTE"}
OUTCOME_MARK = {"met": "✓", "not_met": "✗", "unknown": "?"}

# On paper: the most useful suggested questions (see ``_RANK``), at most this many and this
# many characters in all (the first always prints), and for each missing item the first few
# options it is needed for.
PRINT_QUESTIONS = 6
PRINT_QUESTION_CHARS = 600
PRINT_QUESTION_LONG = 160
PRINT_NEEDED_FOR = 1
PRINT_OBTAIN_CHARS = 60

# ---------------------------------------------------------------------------------------------
# The view: what the templates show, already worded and numbered.
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Criterion:
    statement: str
    outcome: str  # "met" | "not_met" | "unknown"
    missing: list[str]
    unverified: bool
    refs: list[int]


@dataclass(frozen=True)
class ReasonLine:
    outcome: str  # "met" | "not_met" | "unknown"
    mark: str
    word: str
    items: list[Criterion]


@dataclass
class OptionView:
    """One open option. The first fields are the compact lines every view shows; ``reasons``
    and ``considerations`` are the full criterion lists (collapsed on screen, not printed)."""

    name: str
    status: str
    word: str
    mark: str
    headline: str
    paper_headline: str  # the headline with a long list to obtain cut to "N items, see ..."
    detail: str  # after what (consider after) or what to obtain (needs data), else ""
    specialist_centre: bool
    unverified: bool  # a deciding criterion has an unverified threshold
    refs: list[int]
    met_count: int
    criteria_count: int
    open_reasons: list[ReasonLine]  # what is not met or unknown
    flagged: list[Criterion]  # met criteria with an unverified threshold
    reasons: list[ReasonLine] = field(default_factory=list)
    considerations: list[Criterion] = field(default_factory=list)


@dataclass(frozen=True)
class ClosedGroup:
    """Not-suitable options that share their deciding reasons, on one line."""

    names: list[str]
    deciding: list[Criterion]
    prefixes: list[str]  # before each deciding criterion: "", "not met: " or "unknown: "
    headline: str
    applicable: bool  # False: not used for this kind of case (printed as names only)


@dataclass(frozen=True)
class DirectionView:
    label: str
    summary: str
    reasons: list[str]
    paper_reasons: str  # the reasons as one run, "missing: a; missing: b" as "missing: a; b"
    refs: list[int]


@dataclass(frozen=True)
class PromptView:
    level: str
    word: str
    text: str
    refs: list[int]


@dataclass(frozen=True)
class ScoreView:
    name: str
    version: str
    computed: bool
    value: str
    category: str
    missing: list[str]
    unverified: list[str]
    refs: list[int]


@dataclass(frozen=True)
class Checklist:
    item: str
    detail: str
    refs: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class MissingGroup:
    """Missing items that are needed for the same things, shown on one line."""

    items: list[str]
    needed_for: list[str]
    only_closed: bool  # needed only for options that are already not suitable
    needed_for_short: str  # on paper: the first few of needed_for, then "and N more"


@dataclass(frozen=True)
class FactorView:
    effect: str
    mark: str
    statement: str
    figures: str | None
    refs: list[int]


@dataclass(frozen=True)
class Question:
    text: str
    paper_text: str  # the printed wording (shorter for a long question on thresholds)
    printed: bool  # among the most useful few that the printed page has room for


@dataclass(frozen=True)
class SourceView:
    number: int
    id: str
    citation: str
    printed: bool  # cited by something on the printed page (not only in collapsed details)


@dataclass(frozen=True)
class ReportView:
    title: str
    case_id: str
    primary: str
    date: str | None
    brief: list[tuple[str, str]]
    warnings: list[str]
    notice: str
    direction: DirectionView | None
    alternatives: list[DirectionView]
    prompts: list[PromptView]
    notes: list[PromptView]
    resectability: list[OptionView]
    options: list[OptionView]
    closed: list[ClosedGroup]  # applicable groups first, then those not used for this case
    closed_word: str  # the status word of the closed options
    closed_count: int
    unused: list[str]  # names of the not-suitable options not used for this kind of case
    scores: list[ScoreView]
    uncomputable: list[ScoreView]
    missing: list[MissingGroup]
    missing_closed: list[MissingGroup]
    workup: list[Checklist]
    prognosis: list[FactorView]
    questions: list[Question]
    questions_unprinted: int
    sources: list[SourceView]
    uncited: int
    unprinted: int  # sources not listed on paper: uncited, or cited only in collapsed details
    version: str
    format: str


class _Citations:
    """Numbers sources in the order they are first cited on the page.

    Everything printed is cited first (in page order); ``detail_phase`` then marks later
    citations as coming only from what the screen shows (and paper leaves out), so the
    printed list of sources can leave them out too.
    """

    def __init__(self, known: Iterable[SourceRef]) -> None:
        self.citation: dict[str, str] = {}
        for ref in known:
            self.citation.setdefault(ref.id, ref.citation)
        self.number: dict[str, int] = {}
        self.printed: set[str] = set()
        self._detail = False

    def detail_phase(self) -> None:
        self._detail = True

    def cite(self, ids: Iterable[str | SourceRef]) -> list[int]:
        numbers: list[int] = []
        for item in ids:
            if isinstance(item, SourceRef):
                self.citation.setdefault(item.id, item.citation)
                key = item.id
            else:
                key = item
            number = self.number.setdefault(key, len(self.number) + 1)
            if not self._detail:
                self.printed.add(key)
            if number not in numbers:
                numbers.append(number)
        return sorted(numbers)

    def listing(self) -> list[SourceView]:
        return [
            SourceView(
                number=n, id=key, citation=self.citation.get(key, key), printed=key in self.printed
            )
            for key, n in sorted(self.number.items(), key=lambda kv: kv[1])
        ]


def _all_refs(assessment: Assessment) -> list[SourceRef]:
    refs = list(assessment.sources)
    for option in assessment.options:
        refs.extend(option.sources)
    for score in assessment.scores:
        refs.extend(score.sources)
    return refs


def _criterion(result: CriterionResult, cites: _Citations) -> Criterion:
    return Criterion(
        statement=result.statement,
        outcome=result.result,
        missing=list(result.missing),
        unverified=result.unverified,
        refs=cites.cite(result.sources),
    )


def _lines(
    groups: Iterable[tuple[str, list[CriterionResult]]], cites: _Citations
) -> list[ReasonLine]:
    return [
        ReasonLine(
            outcome=outcome,
            mark=OUTCOME_MARK[outcome],
            word=OUTCOME_WORD[outcome],
            items=[_criterion(c, cites) for c in results],
        )
        for outcome, results in groups
        if results
    ]


def _paper_headline(option: OptionResult, checklist: AbstractSet[str]) -> str:
    """The headline, with a long list of data to obtain counted instead of spelled out when
    every item of it is on the missing-data checklist (which prints in full)."""
    listed = ", ".join(option.obtain)
    if (
        len(option.obtain) < 2
        or len(listed) <= PRINT_OBTAIN_CHARS
        or not set(option.obtain) <= checklist
    ):
        return words.headline(option)
    return words.headline(option, obtain=f"{len(option.obtain)} items, see missing data")


def _option(
    option: OptionResult, cites: _Citations, checklist: AbstractSet[str] = frozenset()
) -> OptionView:
    """The compact part of an open option; ``checklist`` is what the missing-data checklist
    lists."""
    return OptionView(
        name=option.name,
        status=option.status,
        word=STATUS_WORD[option.status],
        mark=STATUS_MARK[option.status],
        headline=words.headline(option),
        paper_headline=_paper_headline(option, checklist),
        detail=(
            words.join(option.after, "or")
            if option.status == "consider_after"
            else ", ".join(option.obtain)
            if option.status == "needs_data"
            else ""
        ),
        specialist_centre=option.specialist_centre,
        unverified=any(c.unverified for c in option.deciding),
        refs=[],  # the option's own sources are cited with its details
        met_count=len(option.met),
        criteria_count=len(option.met) + len(option.not_met) + len(option.unknown),
        open_reasons=_lines((("not_met", option.not_met), ("unknown", option.unknown)), cites),
        flagged=[_criterion(c, cites) for c in option.met if c.unverified],
    )


def _option_details(view: OptionView, option: OptionResult, cites: _Citations) -> None:
    """The option's sources and full criterion lists (cited as details only)."""
    view.refs = cites.cite(option.sources)
    view.reasons = _lines(
        (("met", option.met), ("not_met", option.not_met), ("unknown", option.unknown)), cites
    )
    view.considerations = [_criterion(c, cites) for c in option.considerations]


def _closed_groups(options: list[OptionResult], cites: _Citations) -> list[ClosedGroup]:
    """Not-suitable options grouped by identical deciding reasons, in the record's order;
    the options not used for this kind of case (``applicable`` False) after the others."""
    groups: dict[tuple[bool, tuple[tuple[str, str], ...]], tuple[list[str], OptionResult]] = {}
    ordered = [o for o in options if o.applicable] + [o for o in options if not o.applicable]
    for option in ordered:
        reasons = tuple((c.id, c.result) for c in option.deciding) or (
            ("", words.headline(option)),
        )
        key = (option.applicable, reasons)
        if key in groups:
            groups[key][0].append(option.name)
        else:
            groups[key] = ([option.name], option)
    return [
        ClosedGroup(
            names=names,
            deciding=[_criterion(c, cites) for c in first.deciding],
            prefixes=[words.outcome_prefix(c.result) for c in first.deciding],
            headline=words.headline(first),
            applicable=first.applicable,
        )
        for names, first in groups.values()
    ]


def _run_in(reasons: list[str]) -> str:
    """Reasons as one run of text; neighbours that start with the same "word: " share it."""
    parts: list[str] = []
    previous = None
    for reason in reasons:
        head, sep, rest = reason.partition(": ")
        if sep and head == previous:
            parts[-1] += f"; {rest}"
        else:
            parts.append(reason)
            previous = head if sep else None
    return "; ".join(parts)


def _direction(
    direction: DirectionResult, assessment: Assessment, cites: _Citations
) -> DirectionView:
    reasons = words.direction_reasons(direction, assessment)
    return DirectionView(
        label=direction.label,
        summary=direction.summary,
        reasons=reasons,
        paper_reasons=_run_in(reasons),
        refs=cites.cite(direction.sources),
    )


def _score(score: ScoreResult, cites: _Citations) -> ScoreView:
    return ScoreView(
        name=score.name,
        version=score.version,
        computed=score.computed,
        value=words.score_value(score),
        category=score.category or "",
        missing=list(score.missing),
        unverified=list(score.unverified),
        refs=cites.cite(score.sources),
    )


# How useful each kind of question is when the printed page has room for only a few: the
# direction first, then the steps that could open options, the unverified thresholds behind a
# status and specialist review; asking for data last (the missing-data checklist prints anyway).
_RANK = {"direction": 0, "after": 1, "unverified": 2, "specialist": 3, "needs": 4}


def _ranked_questions(assessment: Assessment) -> list[tuple[str, str]]:
    """(kind, question) in page order; see :func:`suggested_questions`."""
    questions: list[tuple[str, str]] = []
    if assessment.direction is not None and assessment.alternatives:
        others = words.join([a.label for a in assessment.alternatives], "or")
        questions.append(
            (
                "direction",
                f"Does the team agree with the proposed direction "
                f"({assessment.direction.label}) rather than {others}?",
            )
        )
    after: dict[tuple[str, ...], list[str]] = {}
    for option in assessment.options:
        if option.status == "consider_after" and option.after:
            after.setdefault(tuple(option.after), []).append(option.name)
    for steps, names in after.items():
        questions.append(
            (
                "after",
                f"Is {words.join(names, 'or')} achievable after {words.join(list(steps), 'or')}?",
            )
        )
    needs: dict[tuple[str, ...], list[str]] = {}
    for option in assessment.options:
        if option.status == "needs_data" and option.obtain:
            needs.setdefault(tuple(option.obtain), []).append(option.name)
    for obtain, names in needs.items():
        questions.append(
            (
                "needs",
                f"Can we obtain {words.join(list(obtain))} before deciding on {words.join(names)}?",
            )
        )
    specialist = [
        o.name
        for o in assessment.options
        if o.specialist_centre and o.status in {"candidate", "consider_after", "needs_data"}
    ]
    if specialist:
        questions.append(
            (
                "specialist",
                f"Should a specialist centre review the case for {words.join(specialist)}?",
            )
        )
    unverified: dict[str, tuple[str, list[str]]] = {}
    for option in assessment.options:
        for criterion in option.deciding:
            if criterion.unverified:
                entry = unverified.setdefault(criterion.id, (criterion.statement, []))
                if option.name not in entry[1]:
                    entry[1].append(option.name)
    if len(unverified) == 1:
        ((statement, names),) = unverified.values()
        questions.append(
            (
                "unverified",
                f"Does the team accept the unverified threshold for “{statement}” "
                f"({words.join(names)})?",
            )
        )
    elif unverified:
        listed = "; ".join(f"“{statement}”" for statement, _ in unverified.values())
        questions.append(
            (
                "unverified",
                f"Does the team accept the unverified thresholds (marked ⚑ above) for: {listed}?",
            )
        )
    return questions


def _paper_question(kind: str, text: str) -> str:
    """The printed wording: a long question on unverified thresholds points at the ⚑ marks
    instead of quoting the criteria (paper prints the options, not their criteria)."""
    if kind != "unverified" or len(text) <= PRINT_QUESTION_LONG:
        return text
    what = "thresholds" if "thresholds" in text else "threshold"
    return (
        f"Does the team accept the unverified {what} behind the options marked ⚑ "
        "(criteria on screen and in the Markdown version)?"
    )


def suggested_questions(assessment: Assessment) -> list[str]:
    """Questions for the meeting, worded from the record (no clinical rules).

    One for the proposed direction against its alternatives; one per step that could open
    consider-after options; one per set of data to obtain (options needing the same steps or
    data share a question); one for the open options a specialist centre provides; one for the
    unverified thresholds that decided a status.
    """
    return [text for _, text in _ranked_questions(assessment)]


def _questions(assessment: Assessment) -> list[Question]:
    """All questions in page order; the most useful that fit the printed page marked printed.

    In order of usefulness, a question prints while fewer than ``PRINT_QUESTIONS`` do and it
    fits in what is left of ``PRINT_QUESTION_CHARS``; a long one is passed over for a shorter,
    less useful one.
    """
    ranked = [
        (kind, text, _paper_question(kind, text)) for kind, text in _ranked_questions(assessment)
    ]
    printed: set[int] = set()
    room = PRINT_QUESTION_CHARS
    for i in sorted(range(len(ranked)), key=lambda i: (_RANK[ranked[i][0]], i)):
        length = len(ranked[i][2])
        if len(printed) < PRINT_QUESTIONS and (not printed or length <= room):
            printed.add(i)
            room -= length
    return [
        Question(text=text, paper_text=paper, printed=i in printed)
        for i, (_, text, paper) in enumerate(ranked)
    ]


def _brief(assessment: Assessment) -> list[tuple[str, str]]:
    c = assessment.case
    patient = ", ".join(
        part
        for part in (
            f"{words.number(c.age_years)} years" if c.age_years is not None else "",
            c.sex or "",
        )
        if part
    )
    return [
        ("Patient", patient or "age and sex not recorded"),
        ("Liver", words.brief_lesions(c)),
        ("Extrahepatic disease", words.brief_extrahepatic(c)),
        ("Performance", words.brief_performance(c)),
        ("Liver function", words.brief_liver_function(c)),
    ]


def _missing_groups(assessment: Assessment) -> list[MissingGroup]:
    """Missing items grouped by what they are needed for, in the record's order.

    Items needed only for options whose status is already "not suitable" are marked, so the
    page can list them after the checklist of what the open decisions need.
    """
    closed = {o.name for o in assessment.options if o.status == "not_suitable"}
    groups: dict[tuple[str, ...], list[str]] = {}
    for m in assessment.missing_data:
        groups.setdefault(tuple(m.needed_for), []).append(m.item)
    return [
        MissingGroup(
            items=items,
            needed_for=list(key),
            only_closed=bool(key) and set(key) <= closed,
            needed_for_short=_first_few(list(key), PRINT_NEEDED_FOR),
        )
        for key, items in groups.items()
    ]


def _first_few(names: list[str], limit: int) -> str:
    """``names`` joined with "and", or the first ``limit`` of them and "N more"."""
    if len(names) <= limit + 1:
        return words.join(names)
    return f"{', '.join(names[:limit])} and {len(names) - limit} more"


def _date(assessment: Assessment, as_of: dt.date | None) -> str | None:
    found = as_of if as_of is not None else getattr(assessment.case, "as_of", None)
    if found is None:
        return None
    return found.isoformat() if isinstance(found, dt.date) else str(found)


def build_view(assessment: Assessment, *, as_of: dt.date | None = None) -> ReportView:
    """Word and number everything the templates show.

    Sources are numbered as they are first cited: first by what the printed page cites (the
    direction, alternatives, prompts and prognostic factors, in page order), then by what
    only the screen and the Markdown show (the scores' sources, every option's criteria, the
    reasons for the work-up). The printed list of sources is so 1 to n, exactly what the
    printed page cites.
    """
    cites = _Citations(_all_refs(assessment))
    case = assessment.case
    date = _date(assessment, as_of)
    direction = (
        _direction(assessment.direction, assessment, cites)
        if assessment.direction is not None
        else None
    )
    alternatives = [_direction(a, assessment, cites) for a in assessment.alternatives]
    prompts = [
        PromptView(
            level=p.level, word=PROMPT_WORD[p.level], text=p.text, refs=cites.cite(p.sources)
        )
        for p in sorted(
            assessment.prompts, key=lambda p: ("urgent", "action", "info").index(p.level)
        )
    ]
    prognosis = [
        FactorView(
            effect=f.effect,
            mark="+" if f.effect == "favourable" else "−",
            statement=f.statement,
            figures=f.figures,
            refs=cites.cite(f.sources),
        )
        for f in assessment.prognosis
    ]
    missing = _missing_groups(assessment)
    # Cited on screen only. Paper prints the scores with their version (author and year), the
    # open options as status lines, the not-suitable ones one line each and the work-up as
    # names, all without source numbers. Scores that cannot be computed are listed without
    # citations anywhere: the page has no value of theirs to support, and the missing-data
    # list says what they need.
    cites.detail_phase()
    scores = [_score(s, cites) for s in assessment.scores if s.computed]
    uncomputable = [_score(s, _Citations(())) for s in assessment.scores if not s.computed]
    open_options = [o for o in assessment.options if o.status != "not_suitable"]
    closed_options = [o for o in assessment.options if o.status == "not_suitable"]
    checklist = {item for group in missing if not group.only_closed for item in group.items}
    options = [_option(o, cites, checklist) for o in open_options]
    by_id = {o.id: view for o, view in zip(open_options, options, strict=True)}
    resectability = [
        by_id.get(o.id) or _option(o, _Citations(()))
        for o in assessment.options
        if o.group == "surgery"
    ]
    closed = _closed_groups(closed_options, cites)
    workup = [
        Checklist(item=w.name, detail=w.why, refs=cites.cite(w.sources))
        for w in assessment.workup
        if w.status == "missing"
    ]
    for option, view in zip(open_options, options, strict=True):
        _option_details(view, option, cites)
    listed = cites.listing()
    uncited = len({r.id for r in assessment.sources} - {s.id for s in listed})
    questions = _questions(assessment)
    title_parts = [f"MDT summary: {case.case_id}", case.primary]
    if date:
        title_parts.append(date)
    return ReportView(
        title=" · ".join(title_parts),
        case_id=case.case_id,
        primary=case.primary,
        date=date,
        brief=_brief(assessment),
        warnings=list(assessment.warnings),
        notice=assessment.notice,
        direction=direction,
        alternatives=alternatives,
        prompts=[p for p in prompts if p.level != "info"],
        notes=[p for p in prompts if p.level == "info"],
        resectability=resectability,
        options=options,
        closed=closed,
        closed_word=STATUS_WORD["not_suitable"],
        closed_count=len(closed_options),
        unused=[o.name for o in closed_options if not o.applicable],
        scores=scores,
        uncomputable=uncomputable,
        missing=[g for g in missing if not g.only_closed],
        missing_closed=[g for g in missing if g.only_closed],
        workup=workup,
        prognosis=prognosis,
        questions=questions,
        questions_unprinted=sum(1 for q in questions if not q.printed),
        sources=listed,
        uncited=uncited,
        unprinted=uncited + sum(1 for source in listed if not source.printed),
        version=assessment.livermets_version,
        format=assessment.format,
    )


# ---------------------------------------------------------------------------------------------
# Templates
# ---------------------------------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*\[\]<>|#])|(?<![0-9A-Za-z])_|_(?![0-9A-Za-z])")


def markdown_escape(value: Any) -> str:
    """Escape text so Markdown shows it literally (intraword underscores are left alone).

    Line breaks inside a value become spaces so that a value cannot end a list item or a
    table row.
    """
    text = "" if value is None else str(value)
    text = _MD_SPECIAL.sub(lambda m: "\\" + m.group(0), text)
    return re.sub(r"[ \t]*[\r\n]+[ \t]*", " ", text)


def _markdown_finalize(value: Any) -> Markup:
    """Every ``{{ value }}`` in a Markdown template: escaped once, then marked safe so the
    environment's (HTML) autoescape leaves it alone; macro output is already Markup."""
    if isinstance(value, Markup):
        return value
    return Markup(markdown_escape(value))


def _refs_filter(numbers: list[int]) -> Markup:
    """Source numbers as ``[1, 4]`` (digits only, so safe in either document)."""
    return Markup("[" + ", ".join(str(int(n)) for n in numbers) + "]" if numbers else "")


@cache
def _environment(kind: ReportKind) -> Environment:
    loader = PackageLoader("livermets", "faces/templates")
    if kind == "html":
        env = Environment(
            loader=loader,
            autoescape=True,
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
    else:
        # autoescape on so macros return Markup; the escaping itself is Markdown's, done
        # by finalize (which returns Markup, so HTML escaping never runs).
        env = Environment(
            loader=loader,
            autoescape=True,
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
            finalize=_markdown_finalize,
        )
    env.filters["refs"] = _refs_filter
    env.filters["join_and"] = words.join
    return env


def render_report(
    assessment: Assessment, kind: str = "html", *, as_of: dt.date | None = None
) -> str:
    """The one-page MDT summary of ``assessment`` as ``"html"`` or ``"markdown"`` text.

    ``as_of`` is the date the case data describe (shown in the title); pass the case's
    ``as_of``. No date is shown when it is ``None``; the clock is never read.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown report kind {kind!r}; use one of {', '.join(KINDS)}")
    report_kind: ReportKind = "html" if kind == "html" else "markdown"
    view = build_view(assessment, as_of=as_of)
    name = "report.html" if report_kind == "html" else "report.md"
    text = _environment(report_kind).get_template(name).render(r=view)
    return re.sub(r"\n{3,}", "\n\n", text).rstrip("\n") + "\n"
