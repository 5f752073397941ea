"""Declarations of criteria, options, directions, work-up items and prognostic factors.

They are written in ``knowledge/options/*.yaml`` (and siblings), read here into typed records
with their rule text parsed into :class:`~livermets.engine.expr.Expr`. A criterion is declared
once and used by every option that needs it, for one case or a cohort.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Status = Literal["candidate", "consider_after", "not_suitable", "needs_data"]
STATUSES: tuple[Status, ...] = ("candidate", "consider_after", "needs_data", "not_suitable")

OptionGroup = Literal[
    "surgery",
    "transplant",
    "ablation",
    "embolisation",
    "arterial",
    "radiotherapy",
    "emerging",
    "systemic",
    "supportive",
    "trial",
]


class _Decl(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


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
    """A way to make an unmet requirement met: "consider after ``after``"."""

    after: str
    fixes: list[str] = Field(min_length=1)


class OptionDecl(_Decl):
    """One treatment option and what decides its status.

    * ``applies``: criterion ids that say the option is used for this kind of case at all
      (e.g. the primary site); unmet -> not suitable, "not used for ...".
    * ``requires``: criterion ids that must all be met for "candidate".
    * ``excludes``: criterion ids any of which, when met, make the option not suitable.
    * ``pathways``: unmet requirements that a step could fix -> "consider after X".
    * ``considerations``: criteria shown with the option that do not change its status.

    Status, in order: not suitable (an exclusion met, or a requirement unmet that no pathway
    fixes) > needs data (an applies, exclusion or unfixable requirement unknown: it could still
    make the option not suitable) > consider after X (a fixable requirement unmet; fixable ones
    that are unknown are listed to obtain) > needs data (a fixable requirement unknown) >
    candidate. Unknown never counts as met or unmet, and never gives candidate.
    """

    id: str = Field(pattern=r"^[a-z0-9_]+$")
    name: str
    group: OptionGroup
    summary: str
    applies: list[str] = Field(default_factory=list)
    requires: list[str] = Field(default_factory=list)
    excludes: list[str] = Field(default_factory=list)
    pathways: list[PathwayDecl] = Field(default_factory=list)
    considerations: list[str] = Field(default_factory=list)
    sources: list[str] = Field(min_length=1)
    specialist_centre: bool = False
    rank: int = Field(default=50, ge=0, le=100, description="Lower = shown first among equals.")


class OptionFile(_Decl):
    criteria: list[CriterionDecl] = Field(default_factory=list)
    options: list[OptionDecl] = Field(default_factory=list)


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
    needed); ``done`` is true when it has been done (unknown counts as not done).
    """

    id: str = Field(pattern=r"^[a-z0-9_]+$")
    name: str
    why: str
    needed: str = "True"
    done: str
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
    list_missing: bool = Field(
        default=False, description="Show the unknown data behind the rule as its reasons."
    )
    sources: list[str] = Field(min_length=1)


class GuidanceFile(_Decl):
    prompts: list[PromptDecl] = Field(default_factory=list)
    workup: list[WorkupDecl] = Field(default_factory=list)
    prognosis: list[PrognosticFactorDecl] = Field(default_factory=list)
    directions: list[DirectionDecl] = Field(default_factory=list)
