"""The assessment: everything the faces render, as one typed, documented record.

``livermets assess --format json`` prints this model (output format ``ASSESSMENT_FORMAT``);
``docs/assessment-json.md`` documents it. Fields are only ever added within a format version.

The record is structure, not prose: what decided each option (criterion ids), the steps that
could open it and the data to obtain are carried by id, and the words made from them (an
option's headline, a direction's reasons, numbers at each score's precision) are made by the
faces, in one module (``livermets.faces.words``); the JSON face adds them when serialising.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from livermets.criteria.model import Status

ASSESSMENT_FORMAT = "1.1"
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
    decimals: int | None = Field(
        default=None, description="Declared precision of `value` when shown (None: as is)."
    )


CriterionOutcome = Literal["met", "not_met", "unknown"]


class CriterionResult(_Out):
    model_config = ConfigDict(extra="forbid", frozen=True)  # shared by the options citing it

    id: str
    statement: str
    result: CriterionOutcome
    missing: list[str] = Field(default_factory=list)
    unverified: bool = False
    sources: list[str]
    missing_ids: list[str] = Field(
        default_factory=list,
        description="Where each `missing` item comes from: a feature column, a child table "
        "(`lesions`) or child column (`lesions.diameter_cm`), or this criterion's id when it "
        "declares what to obtain.",
    )


class OptionResult(_Out):
    id: str
    name: str
    group: str
    status: Status
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
    deciding_ids: list[str] = Field(
        default_factory=list, description="Ids of the criteria in `deciding`."
    )
    after_ids: list[str] = Field(
        default_factory=list, description="Pathway step ids behind `after`, in the same order."
    )
    obtain_ids: list[str] = Field(
        default_factory=list,
        description="Where each `obtain` item comes from, in the same order (see "
        "`CriterionResult.missing_ids`).",
    )


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


ReasonKind = Literal["criterion", "option", "missing"]


class DirectionReason(_Out):
    """One thing a direction is explained by, by id; the faces put it into words.

    * ``criterion``: ``criterion`` holds its result;
    * ``option``: an option (``id``) that supports the direction (its status in ``result``);
    * ``missing``: data to obtain, ``item`` (its label) from ``id`` (as ``obtain_ids``).
    """

    kind: ReasonKind
    id: str
    result: str | None = None
    criterion: CriterionResult | None = None
    item: str | None = None


class DirectionResult(_Out):
    code: str
    label: str
    summary: str
    because: list[DirectionReason] = Field(default_factory=list)
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
    lesion_count: int | None = None
    largest_lesion_cm: float | None = None
    bilobar: bool | None = None
    extrahepatic_disease: bool | None = None
    extrahepatic_sites: list[str] = Field(
        default_factory=list, description="Extrahepatic sites recorded (vocabulary ids)."
    )
    ecog: int | None = Field(default=None, description="ECOG as recorded, or from Karnofsky.")
    ecog_converted: bool = Field(default=False, description="ECOG converted from Karnofsky.")
    child_pugh_class: str | None = None
    child_pugh_points: int | None = None


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
