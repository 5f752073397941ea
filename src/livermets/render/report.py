"""The one-page MDT summary, as HTML (to print or show) and Markdown (to file).

A face: it lays out what the :class:`~livermets.assessment.model.Assessment` says and adds no
clinical logic. The only things made here are wording over the record: status words, the
numbering of sources, and the suggested questions for the meeting (one per open option,
missing item or unverified deciding criterion). Pure: no I/O beyond reading the package's own
templates, no clock; the same assessment always gives the same text.

Templates live in ``livermets/render/templates`` (package data). HTML is autoescaped; in
Markdown every value is escaped for Markdown by the environment's ``finalize`` hook, so text
from a case (a case id such as ``<b>x</b>``) can never become markup in either document.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
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

ReportKind = Literal["html", "markdown"]
KINDS: tuple[ReportKind, ...] = ("html", "markdown")

STATUS_WORD = {
    "candidate": "CANDIDATE",
    "consider_after": "CONSIDER AFTER",
    "needs_data": "NEEDS DATA",
    "not_suitable": "NOT SUITABLE",
}
STATUS_MARK = {"candidate": "✓", "consider_after": "→", "needs_data": "?", "not_suitable": "✗"}
PROMPT_WORD = {"urgent": "URGENT", "action": "ACTION", "info": "NOTE"}
OUTCOME_MARK = {"met": "✓", "not_met": "✗", "unknown": "?"}
OUTCOME_WORD = {"met": "met", "not_met": "not met", "unknown": "unknown"}

# ---------------------------------------------------------------------------------------------
# The view: what the templates show, already worded and numbered.
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Criterion:
    statement: str
    missing: list[str]
    unverified: bool
    refs: list[int]


@dataclass(frozen=True)
class ReasonLine:
    outcome: str  # "met" | "not_met" | "unknown"
    mark: str
    word: str
    items: list[Criterion]


@dataclass(frozen=True)
class OptionView:
    name: str
    status: str
    word: str
    mark: str
    headline: str
    detail: str  # after what (consider after) or what to obtain (needs data), else ""
    specialist_centre: bool
    reasons: list[ReasonLine]
    considerations: list[Criterion]
    refs: list[int]


@dataclass(frozen=True)
class ClosedOption:
    name: str
    deciding: list[Criterion]
    headline: str
    refs: list[int]


@dataclass(frozen=True)
class DirectionView:
    label: str
    summary: str
    reasons: list[str]
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


@dataclass(frozen=True)
class FactorView:
    effect: str
    mark: str
    statement: str
    figures: str | None
    refs: list[int]


@dataclass(frozen=True)
class SourceView:
    number: int
    id: str
    citation: str


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
    resectability: list[OptionView]
    options: list[OptionView]
    closed: list[ClosedOption]
    scores: list[ScoreView]
    uncomputable: list[ScoreView]
    missing: list[MissingGroup]
    workup: list[Checklist]
    prognosis: list[FactorView]
    questions: list[str]
    sources: list[SourceView]
    uncited: int
    version: str
    format: str


class _Citations:
    """Numbers sources in the order they are first cited on the page."""

    def __init__(self, known: Iterable[SourceRef]) -> None:
        self.citation: dict[str, str] = {}
        for ref in known:
            self.citation.setdefault(ref.id, ref.citation)
        self.number: dict[str, int] = {}

    def cite(self, ids: Iterable[str | SourceRef]) -> list[int]:
        numbers: list[int] = []
        for item in ids:
            if isinstance(item, SourceRef):
                self.citation.setdefault(item.id, item.citation)
                key = item.id
            else:
                key = item
            number = self.number.setdefault(key, len(self.number) + 1)
            if number not in numbers:
                numbers.append(number)
        return sorted(numbers)

    def listing(self) -> list[SourceView]:
        return [
            SourceView(number=n, id=key, citation=self.citation.get(key, key))
            for key, n in sorted(self.number.items(), key=lambda kv: kv[1])
        ]


def _all_refs(assessment: Assessment) -> list[SourceRef]:
    refs = list(assessment.sources)
    for option in assessment.options:
        refs.extend(option.sources)
    for score in assessment.scores:
        refs.extend(score.sources)
    return refs


def _number(value: Any) -> str:
    """A value for display; floats to at most two decimals (three significant digits below 1)."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if value == 0 or abs(value) >= 1:
            text = f"{value:.2f}".rstrip("0").rstrip(".")
        else:
            text = f"{value:.3g}"
        return "0" if text == "-0" else text
    return "" if value is None else str(value)


def _criterion(result: CriterionResult, cites: _Citations) -> Criterion:
    return Criterion(
        statement=result.statement,
        missing=list(result.missing),
        unverified=result.unverified,
        refs=cites.cite(result.sources),
    )


def _option(option: OptionResult, cites: _Citations) -> OptionView:
    refs = cites.cite(option.sources)
    reasons = [
        ReasonLine(
            outcome=outcome,
            mark=OUTCOME_MARK[outcome],
            word=OUTCOME_WORD[outcome],
            items=[_criterion(c, cites) for c in results],
        )
        for outcome, results in (
            ("met", option.met),
            ("not_met", option.not_met),
            ("unknown", option.unknown),
        )
        if results
    ]
    return OptionView(
        name=option.name,
        status=option.status,
        word=STATUS_WORD[option.status],
        mark=STATUS_MARK[option.status],
        headline=option.headline,
        detail=(
            _join(option.after, "or")
            if option.status == "consider_after"
            else ", ".join(option.obtain)
            if option.status == "needs_data"
            else ""
        ),
        specialist_centre=option.specialist_centre,
        reasons=reasons,
        considerations=[_criterion(c, cites) for c in option.considerations],
        refs=refs,
    )


def _closed(option: OptionResult, cites: _Citations) -> ClosedOption:
    return ClosedOption(
        name=option.name,
        deciding=[_criterion(c, cites) for c in option.deciding],
        headline=option.headline,
        refs=cites.cite(option.sources),
    )


def _direction(direction: DirectionResult, cites: _Citations) -> DirectionView:
    return DirectionView(
        label=direction.label,
        summary=direction.summary,
        reasons=list(direction.reasons),
        refs=cites.cite(direction.sources),
    )


def _score(score: ScoreResult, cites: _Citations) -> ScoreView:
    value = _number(score.value) if score.computed else ""
    if value and score.unit not in {"", "points", "score"}:
        value = f"{value} {score.unit}"
    return ScoreView(
        name=score.name,
        version=score.version,
        computed=score.computed,
        value=value,
        category=score.category or "",
        missing=list(score.missing),
        unverified=list(score.unverified),
        refs=cites.cite(score.sources),
    )


def _join(items: list[str], word: str = "and") -> str:
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {word} {items[-1]}"


def suggested_questions(assessment: Assessment) -> list[str]:
    """Questions for the meeting, worded from the record (no clinical rules)."""
    questions: list[str] = []
    if assessment.direction is not None and assessment.alternatives:
        others = _join([a.label for a in assessment.alternatives], "or")
        questions.append(
            f"Does the team agree with the proposed direction ({assessment.direction.label}) "
            f"rather than {others}?"
        )
    for option in assessment.options:
        if option.status == "consider_after" and option.after:
            questions.append(f"Is {option.name} achievable after {_join(option.after, 'or')}?")
    for option in assessment.options:
        if option.status == "needs_data" and option.obtain:
            questions.append(
                f"Can we obtain {_join(option.obtain)} before deciding on {option.name}?"
            )
    for option in assessment.options:
        if option.specialist_centre and option.status in {"candidate", "consider_after"}:
            questions.append(f"Should a specialist centre review the case for {option.name}?")
    seen: set[str] = set()
    for option in assessment.options:
        for criterion in option.deciding:
            if criterion.unverified and criterion.id not in seen:
                seen.add(criterion.id)
                questions.append(
                    f"Does the team accept the unverified threshold for “{criterion.statement}”?"
                )
    return questions


def _brief(assessment: Assessment) -> list[tuple[str, str]]:
    c = assessment.case
    patient = ", ".join(
        part
        for part in (
            f"{_number(c.age_years)} years" if c.age_years is not None else "",
            c.sex or "",
        )
        if part
    )
    rows = [
        ("Patient", patient or "age and sex not recorded"),
        ("Liver", c.lesions),
        ("Extrahepatic disease", c.extrahepatic),
        ("Performance", c.performance),
        ("Liver function", c.liver_function),
    ]
    return rows


def _missing_groups(assessment: Assessment) -> list[MissingGroup]:
    """Missing items grouped by what they are needed for, in the record's order."""
    groups: dict[tuple[str, ...], list[str]] = {}
    for m in assessment.missing_data:
        groups.setdefault(tuple(m.needed_for), []).append(m.item)
    return [MissingGroup(items=items, needed_for=list(key)) for key, items in groups.items()]


def _date(assessment: Assessment, as_of: dt.date | None) -> str | None:
    found = as_of if as_of is not None else getattr(assessment.case, "as_of", None)
    if found is None:
        return None
    return found.isoformat() if isinstance(found, dt.date) else str(found)


def build_view(assessment: Assessment, *, as_of: dt.date | None = None) -> ReportView:
    """Word and number everything the templates show, in page order."""
    cites = _Citations(_all_refs(assessment))
    case = assessment.case
    date = _date(assessment, as_of)
    direction = (
        _direction(assessment.direction, cites) if assessment.direction is not None else None
    )
    alternatives = [_direction(a, cites) for a in assessment.alternatives]
    prompts = [
        PromptView(
            level=p.level, word=PROMPT_WORD[p.level], text=p.text, refs=cites.cite(p.sources)
        )
        for p in sorted(
            assessment.prompts, key=lambda p: ("urgent", "action", "info").index(p.level)
        )
    ]
    open_options = [o for o in assessment.options if o.status != "not_suitable"]
    options = [_option(o, cites) for o in open_options]
    by_name = {view.name: view for view in options}
    closed = [_closed(o, cites) for o in assessment.options if o.status == "not_suitable"]
    resectability = [
        by_name.get(o.name) or _option(o, cites) for o in assessment.options if o.group == "surgery"
    ]
    # Scores that cannot be computed are listed compactly, without citations: the page has no
    # value of theirs to support, and the missing-data list already says what they need.
    scores = [_score(s, cites) for s in assessment.scores if s.computed]
    uncomputable = [_score(s, _Citations(())) for s in assessment.scores if not s.computed]
    missing = _missing_groups(assessment)
    workup = [
        Checklist(item=w.name, detail=w.why, refs=cites.cite(w.sources))
        for w in assessment.workup
        if w.status == "missing"
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
    listed = cites.listing()
    shown = {s.id for s in listed}
    uncited = len({r.id for r in assessment.sources} - shown)
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
        prompts=prompts,
        resectability=resectability,
        options=options,
        closed=closed,
        scores=scores,
        uncomputable=uncomputable,
        missing=missing,
        workup=workup,
        prognosis=prognosis,
        questions=suggested_questions(assessment),
        sources=listed,
        uncited=uncited,
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
    loader = PackageLoader("livermets", "render/templates")
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
    env.filters["join_and"] = _join
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
