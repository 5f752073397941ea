"""The assessment: everything the faces render, as one typed, documented record.

``livermets assess --format json`` prints this model (output format ``ASSESSMENT_FORMAT``);
``docs/assessment-json.md`` documents it. Fields are only ever added within a format version.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from livermets.criteria.model import Status

ASSESSMENT_FORMAT = "1.0"
NOTICE = (
    "Decision support for the multidisciplinary team, not a prescription. Every option is "
    "something the team may consider; the team decides with the patient. Thresholds are "
    "flags for discussion, not automatic exclusions."
)

Value = float | int | str | bool | None


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SourceRef(_Out):
    model_config = ConfigDict(extra="forbid", frozen=True)  # shared between assessments

    id: str
    citation: str


class ScoreResult(_Out):
    id: str
    name: str
    version: str
    computed: bool
    value: Value
    unit: str
    category: str | None
    details: dict[str, Value] = Field(default_factory=dict)
    inputs: dict[str, Value] = Field(description="Input feature -> value used (canonical unit).")
    missing: list[str] = Field(default_factory=list, description="What to obtain to compute it.")
    notes: list[str] = Field(default_factory=list)
    unverified: list[str] = Field(default_factory=list)
    sources: list[SourceRef]


CriterionOutcome = Literal["met", "not_met", "unknown"]


class CriterionResult(_Out):
    model_config = ConfigDict(extra="forbid", frozen=True)  # shared by the options citing it

    id: str
    statement: str
    result: CriterionOutcome
    missing: list[str] = Field(default_factory=list)
    unverified: bool = False
    sources: list[str]


class OptionResult(_Out):
    id: str
    name: str
    group: str
    status: Status
    headline: str = Field(
        description="Status in words, e.g. 'consider after portal vein "
        "embolisation' or 'needs data: albumin, INR'."
    )
    summary: str
    after: list[str] = Field(default_factory=list, description="Steps that could make it open.")
    deciding: list[CriterionResult] = Field(
        default_factory=list, description="The criteria that decided the status."
    )
    met: list[CriterionResult] = Field(default_factory=list)
    not_met: list[CriterionResult] = Field(default_factory=list)
    unknown: list[CriterionResult] = Field(default_factory=list)
    considerations: list[CriterionResult] = Field(default_factory=list)
    obtain: list[str] = Field(default_factory=list)
    specialist_centre: bool = False
    applicable: bool = Field(
        default=True,
        description="False when the option is not used for this kind of case at all "
        "(e.g. this primary), so faces can collapse it.",
    )
    sources: list[SourceRef]


class WorkupResult(_Out):
    id: str
    name: str
    status: Literal["done", "missing", "not_needed"]
    why: str
    sources: list[str]


class PrognosticFactorResult(_Out):
    id: str
    statement: str
    effect: Literal["favourable", "unfavourable"]
    figures: str | None
    sources: list[str]


class PromptResult(_Out):
    id: str
    text: str
    level: Literal["info", "action", "urgent"]
    sources: list[str]


class DirectionResult(_Out):
    code: str
    label: str
    summary: str
    reasons: list[str]
    sources: list[str]


class MissingItem(_Out):
    item: str
    needed_for: list[str]


class CaseBrief(_Out):
    case_id: str
    as_of: dt.date | None = Field(default=None, description="Date the case data describe.")
    primary: str
    primary_site: str
    age_years: float | None
    sex: str | None
    lesions: str
    extrahepatic: str
    performance: str
    liver_function: str


class Assessment(_Out):
    format: str = ASSESSMENT_FORMAT
    livermets_version: str
    notice: str = NOTICE
    case: CaseBrief
    warnings: list[str] = Field(default_factory=list)
    direction: DirectionResult | None
    alternatives: list[DirectionResult] = Field(default_factory=list)
    prompts: list[PromptResult] = Field(default_factory=list)
    scores: list[ScoreResult]
    options: list[OptionResult]
    workup: list[WorkupResult] = Field(default_factory=list)
    prognosis: list[PrognosticFactorResult] = Field(default_factory=list)
    missing_data: list[MissingItem] = Field(default_factory=list)
    sources: list[SourceRef] = Field(default_factory=list)
