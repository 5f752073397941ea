"""Declarations of definitions, criteria, options, directions, work-up items and prognostic
factors.

They are written in ``knowledge/`` (``definitions.yaml``, ``criteria/*.yaml``, one
``options/<option_id>.yaml`` per option, ``groups.yaml``, ``pathways.yaml``, ``guidance/``),
read here into typed records; ``criteria.registry`` parses their rule text into
:class:`~livermets.engine.expr.Expr` and checks every reference. A rule is declared once and
used by name (a definition) or by id (a criterion) everywhere else, for one case or a cohort.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Status = Literal["candidate", "consider_after", "not_suitable", "needs_data"]
STATUSES: tuple[Status, ...] = ("candidate", "consider_after", "needs_data", "not_suitable")


class _Decl(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DefinitionDecl(_Decl):
    """A named clinical concept (``liver_dominant``, ``bilirubin_raised``...): one rule, written
    once, that any other rule uses by its bare name. It becomes the column ``id``."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    statement: str
    rule: str
    sources: list[str] = Field(min_length=1)
    unverified: bool = False
    note: str | None = None


class DefinitionsFile(_Decl):
    definitions: list[DefinitionDecl] = Field(default_factory=list)


class GroupDecl(_Decl):
    """An option group (``systemic``, ``surgery``...): its label and display order."""

    id: str = Field(pattern=r"^[a-z0-9_]+$")
    label: str
    order: int


class StepDecl(_Decl):
    """A step a pathway can name in ``after:`` that is not itself an option, with its words
    ("consider after <label>")."""

    id: str = Field(pattern=r"^[a-z0-9_]+$")
    label: str


class GroupsFile(_Decl):
    groups: list[GroupDecl] = Field(default_factory=list)


class PathwaysFile(_Decl):
    steps: list[StepDecl] = Field(default_factory=list)


class CriterionDecl(_Decl):
    """One eligibility criterion: a plain statement, a rule, and its evidence.

    ``rule`` is rule text (see ``engine.parse``) that is true when the statement holds.
    ``unverified`` marks a threshold the reference tags [U]/[S]: shown as such, not hidden.
    ``obtain`` says what to get when it is unknown (defaults to the missing features' labels).
    """

    id: str = Field(pattern=r"^[a-z0-9_.]+$")
    statement: str
    rule: str
    sources: list[str] = Field(min_length=1)
    unverified: bool = False
    obtain: str | None = None
    note: str | None = None


class PathwayDecl(_Decl):
    """A way to make an unmet requirement met: "consider after ``after``". ``after`` is a step
    id: an option id (``portal_vein_embolisation``) or a step of ``knowledge/pathways.yaml``."""

    after: str = Field(pattern=r"^[a-z0-9_]+$")
    fixes: list[str] = Field(min_length=1)


class PatientTexts(_Decl):
    """The option in plain words for the patient letter: ``name`` (a heading), ``short`` (for
    questions and lists), ``involves``, ``aim``, ``recovery``. ``group`` overrides the plain
    group; ``question`` replaces the "Could ... become possible ...?" question and ``later`` the
    "This could become possible later" line."""

    name: str
    short: str
    involves: str
    aim: str
    recovery: str
    group: str | None = None
    question: str | None = None
    later: str | None = None


class OptionDecl(_Decl):
    """One treatment option and what decides its status.

    * ``applies``: criterion ids that say the option is used for this kind of case at all
      (e.g. the primary site); unmet -> not suitable, "not used for ...".
    * ``requires``: criterion ids that must all be met for "candidate".
    * ``excludes``: criterion ids any of which, when met, make the option not suitable.
    * ``pathways``: unmet requirements that a step could fix -> "consider after X".
    * ``considerations``: criteria shown with the option that do not change its status.
    * ``criteria``: the option's own criteria (criteria shared by several options live in
      ``knowledge/criteria/*.yaml`` and are named by id).
    * ``as_step``: the words for this option when a pathway of another option names it in
      ``after:`` (defaults to the name).
    * ``patient``: its texts for the patient letter.

    Status, in order: not suitable (an exclusion met, or a requirement unmet that no pathway
    fixes) > needs data (an applies, exclusion or unfixable requirement unknown: it could still
    make the option not suitable) > consider after X (a fixable requirement unmet; fixable ones
    that are unknown are listed to obtain) > needs data (a fixable requirement unknown) >
    candidate. Unknown never counts as met or unmet, and never gives candidate.
    """

    id: str = Field(pattern=r"^[a-z0-9_]+$")
    name: str
    group: str
    summary: str
    applies: list[str] = Field(default_factory=list)
    requires: list[str] = Field(default_factory=list)
    excludes: list[str] = Field(default_factory=list)
    pathways: list[PathwayDecl] = Field(default_factory=list)
    considerations: list[str] = Field(default_factory=list)
    sources: list[str] = Field(min_length=1)
    specialist_centre: bool = False
    rank: int = Field(default=500, ge=0, le=1000, description="Lower = shown first among equals.")
    as_step: str | None = None
    patient: PatientTexts | None = None
    criteria: list[CriterionDecl] = Field(default_factory=list)


class CriteriaFile(_Decl):
    """``knowledge/criteria/*.yaml``: criteria shared by several options."""

    criteria: list[CriterionDecl] = Field(default_factory=list)


class PromptDecl(_Decl):
    """A note the MDT should always see when its rule holds (e.g. "discuss with an HPB MDT",
    "test RAS first"). ``level``: info, action (something to do) or urgent."""

    id: str = Field(pattern=r"^[a-z0-9_]+$")
    text: str
    rule: str
    level: Literal["info", "action", "urgent"] = "action"
    sources: list[str] = Field(min_length=1)


class WorkupDecl(_Decl):
    """A test the MDT expects before deciding. Status: done / missing / not needed.

    ``needed`` is rule text true when the test is expected for this case (unknown counts as
    needed); ``done`` is true when it has been done (unknown counts as not done). A test counts
    as done only where it is needed (a biomarker known for a primary that does not call for it
    is "not needed"), unless ``done_if_not_needed`` (a marker or scan already done shows as
    done whatever the primary).
    """

    id: str = Field(pattern=r"^[a-z0-9_]+$")
    name: str
    why: str
    needed: str = "True"
    done: str
    done_if_not_needed: bool = False
    sources: list[str] = Field(min_length=1)


class PrognosticFactorDecl(_Decl):
    """A favourable or unfavourable factor, with the published figures as study figures."""

    id: str = Field(pattern=r"^[a-z0-9_]+$")
    statement: str
    rule: str
    effect: Literal["favourable", "unfavourable"]
    figures: str | None = Field(
        default=None, description="Published ranges, labelled as figures from studies."
    )
    sources: list[str] = Field(min_length=1)


class DirectionDecl(_Decl):
    """One entry of the fixed vocabulary of proposed overall directions, in priority order."""

    code: str = Field(pattern=r"^[a-z0-9_]+$")
    label: str
    rule: str
    summary: str
    explain: list[str] = Field(
        default_factory=list, description="Criterion ids / option ids shown as its reasons."
    )
    explain_groups: list[str] = Field(
        default_factory=list,
        description="Option groups whose options are shown as its reasons, after ``explain``.",
    )
    list_missing: bool = Field(
        default=False, description="Show the unknown data behind the rule as its reasons."
    )
    sources: list[str] = Field(min_length=1)


class GuidanceFile(_Decl):
    prompts: list[PromptDecl] = Field(default_factory=list)
    workup: list[WorkupDecl] = Field(default_factory=list)
    prognosis: list[PrognosticFactorDecl] = Field(default_factory=list)
    directions: list[DirectionDecl] = Field(default_factory=list)
