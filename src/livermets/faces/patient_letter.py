"""The plain-English personal summary: a letter written to the patient (``--for patient``).

A face over the :class:`~livermets.assessment.model.Assessment`: it adds no clinical logic and
never states a verdict. It shows, in plain words, where the cancer started, the tests done and
the tests that may come next, the options the assessment left open (``candidate`` and
``consider_after``) as things "your team may talk with you about", palliative and supportive
care (always), follow-up and when to get help, questions to ask and where to find support.
Options that are not suitable are never listed; options that need data are summed up in one
gentle line by kind. When only help with symptoms or a study is open now, the support section
comes before the choices.

Every sentence comes from ``knowledge/patient_letter.yaml`` (keyed by option, work-up item,
primary site and direction code); no text from the case file is shown, so nothing a user typed
can become markup. Medical words are explained where they are first used in the letter, with
:func:`livermets.patient.glossary.explain_terms`. Pure: it renders from the assessment alone
(the date and primary site come from its case brief), and the same assessment always gives the
same letter; the only files read are the package's own knowledge and template. The plain texts
about each option are read through one function, :func:`option_text`.

Formats: ``text`` (wrapped for a terminal), ``markdown``, ``html`` (one standalone page with
print styles, autoescaped, no scripts) and ``json`` (the same sections as data, for other faces).
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Literal

from jinja2 import Environment, PackageLoader, StrictUndefined
from pydantic import BaseModel, ConfigDict, Field

from livermets.assessment.model import Assessment, OptionResult, WorkupResult
from livermets.criteria.model import PatientTexts
from livermets.knowledge import load_yaml
from livermets.patient.glossary import Glossary, TermUse, explain_terms, load_glossary
from livermets.patient.symptoms import load_catalog

LetterFormat = Literal["text", "markdown", "html", "json"]
FORMATS: tuple[LetterFormat, ...] = ("text", "markdown", "html", "json")
LETTER_FORMAT = "1.0"
WIDTH = 78
SUPPORT_OPTION = "palliative_supportive_care"
SHOWN_STATUSES = ("candidate", "consider_after")
SUPPORT_GROUPS = ("symptoms", "research")  # plain groups that are not a treatment of the cancer
MAX_KINDS_NAMED = 3  # more kinds of option waiting for data than this: one general sentence
MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


# ---------------------------------------------------------------------------------------------
# The texts (knowledge/patient_letter.yaml)
# ---------------------------------------------------------------------------------------------


class _Text(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Prose(_Text):
    heading: str
    paragraphs: tuple[str, ...]


class CancerTexts(_Text):
    heading: str
    known: str
    differs: str
    unknown: str
    unknown_differs: str
    team: str


class PrimaryText(_Text):
    started: str
    cells: str
    kind: str
    differs: str | None = None


class TestsTexts(_Text):
    heading: str
    intro: str
    none: str


class WorkupText(_Text):
    name: str
    why: str


class NextSteps(_Text):
    """A sentence about what may come first, by direction code, shown with the tests or before
    the choices."""

    tests: dict[str, str] = Field(default_factory=dict)
    choices: dict[str, str] = Field(default_factory=dict)


class GroupText(_Text):
    id: str
    heading: str
    option_groups: tuple[str, ...] = ()
    some: str


class ChoiceLabels(_Text):
    involves: str
    aim: str
    recovery: str
    later: str


class ChoicesTexts(_Text):
    heading: str
    intro: tuple[str, ...]
    nothing: str
    labels: ChoiceLabels
    later: str
    needs_more: str
    needs_more_many: str
    not_listed: str
    groups: tuple[GroupText, ...]
    other_group: GroupText


# An option's plain words are declared with the option (knowledge/options/<id>.yaml, patient:)
OptionText = PatientTexts


class FallbackText(_Text):
    involves: str
    aim: str
    recovery: str


class FollowUpTexts(_Text):
    heading: str
    paragraphs: tuple[str, ...]
    today_intro: str
    today: tuple[str, ...]
    emergency_intro: str
    emergency: tuple[str, ...]
    soon: str
    number: str


class QuestionTexts(_Text):
    heading: str
    intro: str
    about_yours: str
    also: str
    about_care: str
    general: tuple[str, ...]
    could: str
    tests_next: str
    needs_more: str
    cell_tests: str
    what_matters: str


class ItemsTexts(_Text):
    heading: str
    items: tuple[str, ...]


class ClosingTexts(Prose):
    footer: str


class LetterTexts(_Text):
    """Every text of the letter, as validated from ``knowledge/patient_letter.yaml``."""

    sources: tuple[str, ...]
    title: str
    subtitle: str
    dated: str
    undated: str
    about: Prose
    cancer: CancerTexts
    primary_sites: dict[str, PrimaryText]
    tests_done: TestsTexts
    tests_next: TestsTexts
    workup: dict[str, WorkupText]
    next_steps: NextSteps = Field(default_factory=lambda: NextSteps())
    choices: ChoicesTexts
    after: dict[str, str]
    after_unknown: str
    options: dict[str, OptionText] = Field(default_factory=dict)
    option_fallback: FallbackText
    support_care: Prose
    follow_up: FollowUpTexts
    questions: QuestionTexts
    where_support: ItemsTexts
    closing: ClosingTexts


@cache
def load_texts() -> LetterTexts:
    """The packaged letter texts (read-only package data); each option's texts come from its
    declaration (``knowledge/options/<option_id>.yaml``, ``patient:``)."""
    from livermets.criteria.registry import registry

    raw = load_yaml("patient_letter.yaml")
    texts = LetterTexts.model_validate(raw)
    texts.options.update(
        (option.id, option.decl.patient)
        for option in registry().options.values()
        if option.decl.patient is not None
    )
    return texts


def option_text(option: OptionResult, texts: LetterTexts | None = None) -> OptionText:
    """The plain words about one option (what it involves, its aim, recovery...): the one
    place the letter reads per-option patient texts, with a general fallback."""
    t = texts or load_texts()
    known = t.options.get(option.id)
    if known is not None:
        return known
    fallback = t.option_fallback
    return OptionText(
        name=option.name,
        short=option.name.lower(),
        involves=fallback.involves,
        aim=fallback.aim,
        recovery=fallback.recovery,
    )


@cache
def _plain_primary_names() -> dict[str, str]:
    raw = load_yaml("vocabulary.yaml")["primary_sites"]
    return {site: str(entry["plain"]) for site, entry in raw.items()}


# ---------------------------------------------------------------------------------------------
# The letter as data: what every format shows
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Paragraph:
    text: str


@dataclass(frozen=True)
class Items:
    """A bulleted list, with an optional lead-in sentence."""

    items: tuple[str, ...]
    intro: str = ""


@dataclass(frozen=True)
class Subheading:
    text: str


@dataclass(frozen=True)
class Detail:
    label: str  # "" for a line without a label
    text: str


@dataclass(frozen=True)
class Choice:
    """One option the team may talk about: a plain name and the lines about it."""

    id: str
    name: str
    status: str
    details: tuple[Detail, ...]


Block = Paragraph | Items | Subheading | Choice


@dataclass(frozen=True)
class Section:
    id: str
    heading: str
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class Letter:
    title: str
    subtitle: str
    dated: str
    sections: tuple[Section, ...]
    footer: str
    case_id: str = ""
    version: str = ""

    def section(self, section_id: str) -> Section:
        return next(s for s in self.sections if s.id == section_id)


# ---------------------------------------------------------------------------------------------
# Explaining medical words once, in reading order
# ---------------------------------------------------------------------------------------------


def running_uses(text: str, glossary: Glossary | None = None) -> list[TermUse]:
    """Uses of glossary terms in ``text`` that are not inside brackets (an explanation in
    brackets is not itself running text)."""
    gloss = glossary or load_glossary()
    depth_at: list[int] = []
    depth = 0
    for char in text:
        if char == "(":
            depth += 1
        depth_at.append(depth)
        if char == ")":
            depth = max(0, depth - 1)
    return [u for u in gloss.uses(text) if depth_at[u.start] == 0]


class _Explainer:
    """Explains each glossary term at its first use across the whole letter, text by text."""

    def __init__(self, glossary: Glossary) -> None:
        self.glossary = glossary
        self.seen: set[str] = set()

    def __call__(self, text: str) -> str:
        out = explain_terms(text, self.glossary, skip=self.seen)
        self.seen.update(u.entry.id for u in running_uses(text, self.glossary))
        return out


# ---------------------------------------------------------------------------------------------
# Building the letter
# ---------------------------------------------------------------------------------------------


def _fill(template: str, **values: str) -> str:
    return " ".join(template.format(**values).split())


def _and(items: Sequence[str], word: str = "and") -> str:
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {word} {items[-1]}"


def _unique(items: Iterable[str]) -> list[str]:
    out: list[str] = []
    for item in items:
        if item not in out:
            out.append(item)
    return out


def _date_words(assessment: Assessment) -> str | None:
    as_of = assessment.case.as_of
    if as_of is None:
        return None
    return f"{as_of.day} {MONTHS[as_of.month - 1]} {as_of.year}"


class _Builder:
    def __init__(self, assessment: Assessment, texts: LetterTexts, country: str | None) -> None:
        self.a = assessment
        self.t = texts
        self.country = country
        self.explain = _Explainer(load_glossary())

    # -- helpers -------------------------------------------------------------------------------

    def paragraph(self, text: str) -> Paragraph:
        return Paragraph(self.explain(" ".join(text.split())))

    def items(self, items: Iterable[str], intro: str = "") -> Items:
        lead = self.explain(" ".join(intro.split())) if intro else ""
        return Items(tuple(self.explain(" ".join(i.split())) for i in items), lead)

    def option_text(self, option: OptionResult) -> OptionText:
        return option_text(option, self.t)

    def group_of(self, option: OptionResult) -> tuple[int, str, str]:
        """(order, heading, "some ..." words) of the plain group an option is shown in."""
        wanted = self.option_text(option).group or option.group
        choices = self.t.choices
        for index, group in enumerate(choices.groups):
            if wanted == group.id or wanted in group.option_groups:
                return index, group.heading, group.some
        other = choices.other_group
        return len(choices.groups), other.heading, other.some

    def after_words(self, option: OptionResult) -> str:
        steps = [self.t.after.get(step, self.t.after_unknown) for step in option.after_ids]
        return _and(_unique(steps), "or") or self.t.after_unknown

    def direction(self) -> str:
        return self.a.direction.code if self.a.direction else ""

    def treatment_open_now(self) -> bool:
        """Whether a treatment (not only help with symptoms or a study) is a candidate now."""
        quiet = {g.heading for g in self.t.choices.groups if g.id in SUPPORT_GROUPS}
        return any(
            o.status == "candidate" and self.group_of(o)[1] not in quiet for o in self.shown()
        )

    def shown(self) -> list[OptionResult]:
        return [o for o in self.a.options if o.status in SHOWN_STATUSES and o.id != SUPPORT_OPTION]

    # -- sections ------------------------------------------------------------------------------

    def about(self) -> Section:
        about = self.t.about
        return Section("about", about.heading, tuple(self.paragraph(p) for p in about.paragraphs))

    def cancer(self) -> Section:
        texts = self.t.cancer
        site = self.a.case.primary_site
        blocks: list[Block] = []
        if site == "unknown_primary":
            blocks += [self.paragraph(texts.unknown), self.paragraph(texts.unknown_differs)]
        else:
            primary = self.t.primary_sites.get(site)
            if primary is None:
                plain = _plain_primary_names().get(site, "another part of the body")
                primary = PrimaryText(started=f"as {plain}", cells=f"{plain} cells", kind=plain)
            blocks.append(self.paragraph(_fill(texts.known, started=primary.started)))
            differs = primary.differs or _fill(
                texts.differs, cells=primary.cells, kind=primary.kind
            )
            blocks.append(self.paragraph(differs))
        blocks.append(self.paragraph(texts.team))
        return Section("cancer", texts.heading, tuple(blocks))

    def workup_text(self, item: WorkupResult) -> WorkupText:
        return self.t.workup.get(item.id) or WorkupText(name=item.name, why=item.why)

    def tests_done(self) -> Section:
        texts = self.t.tests_done
        names = _unique(self.workup_text(w).name for w in self.a.workup if w.status == "done")
        blocks: list[Block] = (
            [self.items(names, texts.intro)] if names else [self.paragraph(texts.none)]
        )
        return Section("tests_done", texts.heading, tuple(blocks))

    def tests_next(self) -> Section:
        texts = self.t.tests_next
        lines: list[str] = []
        seen: set[str] = set()
        for item in self.a.workup:
            if item.status != "missing":
                continue
            words = self.workup_text(item)
            if words.name in seen:
                continue
            seen.add(words.name)
            lines.append(f"{words.name}. {words.why}")
        blocks: list[Block] = (
            [self.items(lines, texts.intro)] if lines else [self.paragraph(texts.none)]
        )
        first = self.t.next_steps.tests.get(self.direction())
        if first:
            blocks.append(self.paragraph(first))
        return Section("tests_next", texts.heading, tuple(blocks))

    def choices(self) -> Section:
        texts = self.t.choices
        labels = texts.labels
        blocks: list[Block] = []
        first = self.t.next_steps.choices.get(self.direction())
        if first:
            blocks.append(self.paragraph(first))
        shown = self.shown()
        if shown:
            blocks += [self.paragraph(p) for p in texts.intro]
        else:
            blocks.append(self.paragraph(texts.nothing))
        grouped: dict[tuple[int, str], list[OptionResult]] = {}
        for option in shown:
            order, heading, _ = self.group_of(option)
            grouped.setdefault((order, heading), []).append(option)
        for order, heading in sorted(grouped):
            blocks.append(Subheading(heading))
            for option in grouped[(order, heading)]:
                words = self.option_text(option)
                details = [
                    Detail(labels.involves, self.explain(words.involves)),
                    Detail(labels.aim, self.explain(words.aim)),
                    Detail(labels.recovery, self.explain(words.recovery)),
                ]
                if option.status == "consider_after":
                    later = words.later or _fill(texts.later, after=self.after_words(option))
                    details.append(Detail(labels.later, self.explain(later)))
                blocks.append(Choice(option.id, words.name, option.status, tuple(details)))
        waiting = [o for o in self.a.options if o.status == "needs_data" and o.id != SUPPORT_OPTION]
        if waiting:
            kinds = sorted({(order, some) for order, _, some in map(self.group_of, waiting)})
            if len(kinds) > MAX_KINDS_NAMED:
                blocks.append(self.paragraph(texts.needs_more_many))
            else:
                groups = _and([some for _, some in kinds])
                blocks.append(self.paragraph(_fill(texts.needs_more, groups=groups)))
        if any(o.status == "not_suitable" for o in self.a.options):
            blocks.append(self.paragraph(texts.not_listed))
        return Section("choices", texts.heading, tuple(blocks))

    def support_care(self) -> Section:
        texts = self.t.support_care
        return Section(
            "support_care", texts.heading, tuple(self.paragraph(p) for p in texts.paragraphs)
        )

    def follow_up(self) -> Section:
        texts = self.t.follow_up
        catalog = load_catalog()
        fever = catalog.settings.fever_threshold_c.default
        number = catalog.emergency(self.country).text
        today = catalog.level_text("today").headline
        blocks: list[Block] = [self.paragraph(p) for p in texts.paragraphs]
        blocks.append(
            self.items(
                (_fill(line, fever_c=f"{fever:g}") for line in texts.today),
                _fill(texts.today_intro, headline=today),
            )
        )
        blocks.append(self.items(texts.emergency, _fill(texts.emergency_intro, number=number)))
        blocks += [self.paragraph(texts.soon), self.paragraph(texts.number)]
        return Section("follow_up", texts.heading, tuple(blocks))

    def questions(self) -> Section:
        texts = self.t.questions
        asked: list[str] = []
        by_after: dict[str, list[str]] = {}
        for option in self.shown():
            if option.status != "consider_after":
                continue
            words = self.option_text(option)
            if words.question:
                asked.append(words.question)
            else:
                by_after.setdefault(self.after_words(option), []).append(words.short)
        for after, names in by_after.items():
            asked.append(_fill(texts.could, options=_and(_unique(names), "or"), after=after))
        if any(w.status == "missing" for w in self.a.workup):
            asked.append(texts.tests_next)
        if any(o.status == "needs_data" for o in self.a.options):
            asked.append(texts.needs_more)
        cell_tests = self.t.workup.get("crc_ras")
        if cell_tests and any(
            w.status == "done" and self.workup_text(w).name == cell_tests.name
            for w in self.a.workup
        ):
            asked.append(texts.cell_tests)
        blocks: list[Block] = [self.paragraph(texts.intro)]
        if asked:
            blocks.append(self.items(_unique(asked), texts.about_yours))
        blocks += [
            self.items(texts.general, texts.also if asked else texts.about_care),
            self.paragraph(texts.what_matters),
        ]
        return Section("questions", texts.heading, tuple(blocks))

    def where_support(self) -> Section:
        texts = self.t.where_support
        return Section("where_support", texts.heading, (self.items(texts.items),))

    def closing(self) -> Section:
        texts = self.t.closing
        return Section("closing", texts.heading, tuple(self.paragraph(p) for p in texts.paragraphs))

    def letter(self) -> Letter:
        date = _date_words(self.a)
        # When nothing but help with symptoms or a study is open now, the support comes first.
        # Sections are built in reading order, so each word is explained where it is first read.
        middle = (
            (self.choices, self.support_care)
            if self.treatment_open_now()
            else (self.support_care, self.choices)
        )
        order = (
            self.about,
            self.cancer,
            self.tests_done,
            self.tests_next,
            *middle,
            self.follow_up,
            self.questions,
            self.where_support,
            self.closing,
        )
        sections = tuple(build() for build in order)
        return Letter(
            title=self.t.title,
            subtitle=self.t.subtitle,
            dated=_fill(self.t.dated, date=date) if date else self.t.undated,
            sections=sections,
            footer=_fill(self.t.closing.footer, version=self.a.livermets_version),
            case_id=self.a.case.case_id,
            version=self.a.livermets_version,
        )


def build_letter(assessment: Assessment, *, country: str | None = None) -> Letter:
    """The letter as data (sections and blocks), every medical word explained at first use.

    ``country`` (a code such as ``GB``) picks the emergency number, as in the symptom checker;
    without it the letter gives the general "112 or your local emergency number" wording."""
    return _Builder(assessment, load_texts(), country).letter()


# ---------------------------------------------------------------------------------------------
# Formats
# ---------------------------------------------------------------------------------------------


def render_patient_letter(
    assessment: Assessment, fmt: str = "text", *, country: str | None = None
) -> str:
    """The personal summary for the patient, as ``text``, ``markdown``, ``html`` or ``json``."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown letter format {fmt!r}; use one of {', '.join(FORMATS)}")
    letter = build_letter(assessment, country=country)
    if fmt == "markdown":
        return render_markdown(letter)
    if fmt == "html":
        return render_html(letter)
    if fmt == "json":
        return render_json(letter)
    return render_text(letter)


def _wrap(text: str, first: str = "", rest: str = "") -> list[str]:
    return textwrap.wrap(
        text,
        WIDTH,
        initial_indent=first,
        subsequent_indent=rest,
        break_long_words=False,
        break_on_hyphens=False,
    ) or [first.rstrip()]


def render_text(letter: Letter) -> str:
    """Plain text for a terminal or e-mail: underlined headings, wrapped at 78 characters."""
    out: list[str] = [letter.title, "=" * len(letter.title)]
    out += _wrap(letter.subtitle)
    out += ["", *_wrap(letter.dated)]
    for section in letter.sections:
        out += ["", "", section.heading, "-" * len(section.heading)]
        for block in section.blocks:
            out.append("")
            if isinstance(block, Paragraph):
                out += _wrap(block.text)
            elif isinstance(block, Items):
                if block.intro:
                    out += [*_wrap(block.intro), ""]
                for item in block.items:
                    out += _wrap(item, "  - ", "    ")
            elif isinstance(block, Subheading):
                out += [block.text, "~" * len(block.text)]
            else:
                out.append(f"* {block.name}")
                for detail in block.details:
                    lead = f"{detail.label}: " if detail.label else ""
                    out += _wrap(lead + detail.text, "  - ", "    ")
    out += ["", "", *_wrap(letter.footer)]
    return "\n".join(out) + "\n"


def render_markdown(letter: Letter) -> str:
    """Markdown: one ``#`` title, ``##`` sections, ``###`` groups, ``####`` options."""
    out: list[str] = [f"# {letter.title}", "", f"*{letter.subtitle}*", "", letter.dated]
    for section in letter.sections:
        out += ["", f"## {section.heading}"]
        for block in section.blocks:
            out.append("")
            if isinstance(block, Paragraph):
                out.append(block.text)
            elif isinstance(block, Items):
                if block.intro:
                    out += [block.intro, ""]
                out += [f"- {item}" for item in block.items]
            elif isinstance(block, Subheading):
                out.append(f"### {block.text}")
            else:
                out += [f"#### {block.name}", ""]
                out += [
                    f"- **{d.label}:** {d.text}" if d.label else f"- {d.text}"
                    for d in block.details
                ]
    out += ["", "---", "", f"*{letter.footer}*"]
    return "\n".join(out) + "\n"


@cache
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("livermets.faces", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render_html(letter: Letter) -> str:
    """One standalone, printable HTML page (autoescaped; no scripts, no external files)."""
    template = _environment().get_template("patient_letter.html")
    return template.render(letter=letter, kind=_kind)


def _kind(block: Block) -> str:
    return type(block).__name__.lower()


def _block_data(block: Block) -> dict[str, object]:
    if isinstance(block, Paragraph):
        return {"type": "paragraph", "text": block.text}
    if isinstance(block, Items):
        return {"type": "list", "intro": block.intro, "items": list(block.items)}
    if isinstance(block, Subheading):
        return {"type": "subheading", "text": block.text}
    return {
        "type": "choice",
        "id": block.id,
        "name": block.name,
        "status": block.status,
        "details": [{"label": d.label, "text": d.text} for d in block.details],
    }


def letter_data(letter: Letter) -> dict[str, object]:
    """The letter as plain data (the ``json`` format)."""
    return {
        "format": LETTER_FORMAT,
        "kind": "patient_letter",
        "livermets_version": letter.version,
        "case_id": letter.case_id,
        "title": letter.title,
        "subtitle": letter.subtitle,
        "dated": letter.dated,
        "sections": [
            {
                "id": s.id,
                "heading": s.heading,
                "blocks": [_block_data(b) for b in s.blocks],
            }
            for s in letter.sections
        ],
        "footer": letter.footer,
    }


def render_json(letter: Letter) -> str:
    return json.dumps(letter_data(letter), indent=2, ensure_ascii=False) + "\n"
