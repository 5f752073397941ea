"""The livermets case format, version 1: what a liver-metastasis MDT needs for one patient.

Field list from clinical_logic.md D.2 (minimum MDT dataset) and the foundation issue. Every
quantity carries its unit and is converted once, on the way in (``case.units``). Absent
fields mean *unknown*: nothing is assumed normal. ``livermets schema`` prints the JSON Schema
and ``docs/case-format.md`` documents each section.
"""

from __future__ import annotations

import datetime as dt
import typing
from functools import cache
from typing import Annotated, ClassVar, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    JsonValue,
    PrivateAttr,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from livermets.case.units import UnitError, quantity_kinds, to_canonical
from livermets.errors import shown
from livermets.knowledge import load_yaml

SCHEMA_VERSION = "1.0"

PrimarySite = Literal[
    "colorectal",
    "breast",
    "lung_nsclc",
    "lung_sclc",
    "pancreas",
    "stomach",
    "oesophagus",
    "kidney",
    "melanoma_cutaneous",
    "melanoma_uveal",
    "neuroendocrine",
    "gist",
    "ovary",
    "uterus",
    "cervix",
    "bladder",
    "prostate",
    "cholangiocarcinoma",
    "sarcoma",
    "unknown_primary",
]
PRIMARY_SITES: tuple[str, ...] = typing.get_args(PrimarySite)

Mutation = Literal["mutant", "wild_type"]
Expression = Literal["positive", "negative"]


#: Free-text fields that may hold several lines (tabs and line breaks allowed).
MULTILINE_FIELDS = frozenset({"notes", "patient_priorities", "result"})
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _numeric_not_bool(annotation: object) -> bool:
    """Whether a field's type takes numbers but not truth values (``int``, ``float | None``,
    ``list[int]``, ``Literal[1, 2, 3]``)."""
    found: set[str] = set()

    def walk(item: object) -> None:
        if item is bool:
            found.add("bool")
        elif item in (int, float):
            found.add("number")
        elif typing.get_origin(item) is Literal:
            for literal in typing.get_args(item):
                if isinstance(literal, bool):
                    found.add("bool")
                elif isinstance(literal, int | float):
                    found.add("number")
        for arg in typing.get_args(item):
            if not isinstance(arg, str | int | float):
                walk(arg)

    walk(annotation)
    return "number" in found and "bool" not in found


def _text_problem(value: str, multiline: bool) -> str | None:
    allowed = "\t\n\r" if multiline else ""
    for char in value:
        if (ord(char) < 32 and char not in allowed) or 0x7F <= ord(char) <= 0x9F:
            return f"control character {char!r} is not allowed in text (got {shown(value)})"
        if char in _BIDI_CONTROLS:
            return f"text direction control {char!r} is not allowed (got {shown(value)})"
    return None


class _Strict(BaseModel):
    """Every model of the case: unknown fields refused, NaN and infinity refused, a truth value
    never read as a number, no control characters in text (they would reach a terminal)."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    @field_validator("*", mode="before")
    @classmethod
    def _boundary(cls, value: object, info: ValidationInfo) -> object:
        name = info.field_name or ""
        numeric = _numeric_not_bool(cls.model_fields[name].annotation) if name else False
        items = value if isinstance(value, list | tuple) else [value]
        for item in items:
            if numeric and isinstance(item, bool):
                raise ValueError(f"{str(item).lower()} is not a number; give a number")
            if isinstance(item, str):
                problem = _text_problem(item, name in MULTILINE_FIELDS)
                if problem:
                    raise ValueError(problem)
        return value


def _sub_field_error(kind: str, field: str, message: str) -> PydanticCustomError:
    """A model-level error about one sub-field (``unit``, ``value``): the importer reads the
    field from ``ctx["field"]`` to make the path (``labs.bilirubin.unit``)."""
    return PydanticCustomError(kind, "{message}", {"message": message, "field": field})


class Measured(_Strict):
    """A measured quantity with its unit, e.g. ``{"value": 1.2, "unit": "mg/dL"}``.

    ``uln`` is the reporting laboratory's upper limit of normal, in the same unit.
    """

    KIND: ClassVar[str] = ""

    value: float
    unit: str
    date: dt.date | None = None
    uln: float | None = Field(default=None, gt=0)

    _canonical: float = PrivateAttr(default=0.0)
    _canonical_uln: float | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _convert(self) -> Measured:
        kind = quantity_kinds()[self.KIND]
        try:
            canonical = to_canonical(self.KIND, self.value, self.unit)
        except UnitError as error:
            raise _sub_field_error("unit_not_accepted", "unit", error.problem) from None
        low, high = kind.hard
        if not low <= canonical <= high:
            raise _sub_field_error(
                "value_not_possible",
                "value",
                f"{self.value} {self.unit} is not a possible {self.KIND.replace('_', ' ')} "
                f"(accepted range {low:g}-{high:g} {kind.canonical})",
            )
        self._canonical = canonical
        if self.uln is not None:
            uln = to_canonical(self.KIND, self.uln, self.unit)
            if not kind.plausible_uln(uln):
                low, high = kind.uln if kind.uln is not None else kind.usual
                raise _sub_field_error(
                    "uln_not_plausible",
                    "uln",
                    f"an upper limit of normal of {shown(self.uln)} {self.unit} is not plausible "
                    f"for {self.KIND.replace('_', ' ')} (accepted {low:g}-{high:g} "
                    f"{kind.canonical}); check the unit and the digits",
                )
            self._canonical_uln = uln
        return self

    @property
    def canonical(self) -> float:
        """The value in the canonical unit of its kind (see ``knowledge/units.yaml``)."""
        return self._canonical

    @property
    def canonical_uln(self) -> float | None:
        return self._canonical_uln


def _measured(kind: str, doc: str) -> type[Measured]:
    accepted = sorted({u for u in quantity_kinds()[kind].factors if u})
    namespace = {
        "KIND": kind,
        "__doc__": doc,
        "__module__": __name__,
        "model_config": ConfigDict(
            extra="forbid",
            frozen=True,
            title=kind.title().replace("_", ""),
            json_schema_extra={"x-accepted-units": list[JsonValue](accepted)},
        ),
    }
    return type(kind.title().replace("_", ""), (Measured,), namespace)


Bilirubin = _measured("bilirubin", "Total bilirubin (mg/dL or µmol/L).")
Albumin = _measured("albumin", "Serum albumin (g/dL or g/L).")
Inr = _measured("inr", "International normalised ratio (unit 'ratio').")
Creatinine = _measured("creatinine", "Serum creatinine (mg/dL or µmol/L).")
Sodium = _measured("sodium", "Serum sodium (mmol/L).")
Platelets = _measured("platelets", "Platelet count (10^9/L).")
Alt = _measured("alt", "Alanine aminotransferase (U/L).")
Ast = _measured("ast", "Aspartate aminotransferase (U/L).")
Alp = _measured("alp", "Alkaline phosphatase (U/L).")
Height = _measured("height", "Height (cm, m or in).")
Weight = _measured("weight", "Weight (kg or lb).")
Diameter = _measured("lesion_diameter", "Longest diameter of a lesion (mm or cm).")
LiverVolume = _measured("liver_volume", "A liver volume (mL or cm3).")

MARKER_KINDS: dict[str, type[Measured]] = {
    name: _measured(name, f"Tumour marker {name}.")
    for name in ("cea", "ca19_9", "ca15_3", "ca125", "afp", "chromogranin_a", "psa")
}
MarkerName = Literal["cea", "ca19_9", "ca15_3", "ca125", "afp", "chromogranin_a", "psa"]


class Patient(_Strict):
    age_years: float | None = Field(default=None, ge=0, le=120)
    sex: Literal["female", "male"] | None = None
    height: Height | None = None  # type: ignore[valid-type]
    weight: Weight | None = None  # type: ignore[valid-type]


class Primary(_Strict):
    """The cancer the liver metastases came from."""

    site: PrimarySite
    histology: str | None = None
    histology_confirmed: bool | None = Field(
        default=None, description="A tissue diagnosis of the primary (or of a metastasis) exists."
    )
    side: Literal["left", "right"] | None = Field(
        default=None,
        description="Colorectal only: right = caecum to transverse colon; left = splenic "
        "flexure to rectum (Boeckx 2017).",
    )
    node_positive: bool | None = Field(default=None, description="Nodal status of the primary.")
    grade: Literal[1, 2, 3] | None = Field(default=None, description="Neuroendocrine grade G1-G3.")
    ki67_percent: float | None = Field(default=None, ge=0, le=100)
    diagnosis_date: dt.date | None = None
    treatment_date: dt.date | None = Field(
        default=None, description="Date the primary was resected or first treated."
    )
    resected: bool | None = None
    controlled: bool | None = Field(
        default=None, description="Whether the primary is controlled (resected or responding)."
    )
    symptomatic: bool | None = Field(
        default=None, description="Bleeding, obstruction or perforation from the primary."
    )
    hormone_syndrome: bool | None = Field(
        default=None, description="Neuroendocrine: symptoms from hormones (functional tumour)."
    )

    @model_validator(mode="after")
    def _site_specific(self) -> Primary:
        if self.side is not None and self.site != "colorectal":
            raise ValueError("side is only recorded for colorectal primaries")
        return self


Segment = Annotated[int, Field(ge=1, le=8)]


class Lesion(_Strict):
    """One liver lesion on the most recent cross-sectional imaging."""

    id: str | None = None
    segments: list[Segment] = Field(
        default_factory=list, description="Couinaud segments 1-8 the lesion occupies."
    )
    diameter: Diameter | None = None  # type: ignore[valid-type]
    vessel_relation: Literal["clear", "abutting", "involving"] | None = Field(
        default=None,
        description="Relation to hepatic veins, portal pedicles, IVC or hepatic artery: "
        "clear; abutting (contact without invasion); involving (encased, invaded or needing "
        "reconstruction).",
    )
    near_large_vessel: bool | None = Field(
        default=None, description="Within about 1 cm of a vessel over 3 mm (heat-sink risk)."
    )
    bile_duct_relation: Literal["clear", "near", "involving"] | None = Field(
        default=None, description="Relation to the main or central bile ducts."
    )
    near_diaphragm: bool | None = None
    near_bowel_or_gallbladder: bool | None = None
    ablation_margin_achievable: bool | None = Field(
        default=None, description="Radiologist's view: a 5-10 mm ablation margin is achievable."
    )


class Liver(_Strict):
    lesions: list[Lesion] = Field(default_factory=list)
    lesion_count: int | None = Field(
        default=None,
        ge=1,
        le=500,
        description="Number of lesions, when they are not each listed (e.g. 'more than 20').",
    )
    distribution: Literal["unilobar", "bilobar"] | None = None
    tumour_liver_percent: float | None = Field(
        default=None, ge=0, le=100, description="Percentage of the liver replaced by tumour."
    )
    liver_dominant: bool | None = Field(
        default=None,
        description="MDT view: disease mainly in the liver (any elsewhere limited).",
    )
    detection_date: dt.date | None = None
    timing: Literal["synchronous", "metachronous"] | None = None
    biopsy_confirmed: bool | None = None

    @model_validator(mode="after")
    def _count_consistent(self) -> Liver:
        if self.lesion_count is not None and self.lesions and self.lesion_count < len(self.lesions):
            raise ValueError(
                f"lesion_count {self.lesion_count} is smaller than the {len(self.lesions)} "
                "lesions listed"
            )
        return self


ExtrahepaticSiteName = Literal[
    "lung",
    "lymph_nodes",
    "peritoneum",
    "bone",
    "brain",
    "adrenal",
    "primary_site_recurrence",
    "other",
]


class ExtrahepaticSite(_Strict):
    site: ExtrahepaticSiteName
    count: int | None = Field(
        default=None,
        ge=1,
        le=500,
        description="Number of lesions at the site (at most 500, like liver.lesion_count).",
    )
    controllable: bool | None = Field(
        default=None, description="Resectable, ablatable or otherwise controllable."
    )


class Extrahepatic(_Strict):
    present: bool | None = None
    sites: list[ExtrahepaticSite] = Field(default_factory=list)
    controllable: bool | None = Field(
        default=None, description="Whether all extrahepatic disease is controllable."
    )

    @model_validator(mode="after")
    def _consistent(self) -> Extrahepatic:
        if self.present is False and self.sites:
            raise ValueError("present is false but sites are listed")
        return self


class Labs(_Strict):
    bilirubin: Bilirubin | None = None  # type: ignore[valid-type]
    albumin: Albumin | None = None  # type: ignore[valid-type]
    inr: Inr | None = None  # type: ignore[valid-type]
    creatinine: Creatinine | None = None  # type: ignore[valid-type]
    sodium: Sodium | None = None  # type: ignore[valid-type]
    platelets: Platelets | None = None  # type: ignore[valid-type]
    alt: Alt | None = None  # type: ignore[valid-type]
    ast: Ast | None = None  # type: ignore[valid-type]
    alp: Alp | None = None  # type: ignore[valid-type]


class LiverFunction(_Strict):
    ascites: Literal["none", "mild", "moderate_severe"] | None = Field(
        default=None, description="Clinical grade as used by Child-Pugh (slight = mild)."
    )
    encephalopathy_grade: int | None = Field(
        default=None, ge=0, le=4, description="West Haven grade 0-4."
    )
    dialysis: bool | None = Field(
        default=None,
        description="Dialysis at least twice, or 24 h of CVVHD, in the past 7 days (MELD).",
    )


class TumourMarker(_Strict):
    marker: MarkerName
    value: float = Field(ge=0)
    unit: str
    date: dt.date | None = None
    uln: float | None = Field(default=None, gt=0, description="Laboratory ULN, same unit.")

    _canonical: float = PrivateAttr(default=0.0)
    _canonical_uln: float | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _convert(self) -> TumourMarker:
        measured = MARKER_KINDS[self.marker].model_validate(
            {"value": self.value, "unit": self.unit, "uln": self.uln}
        )
        self._canonical = measured.canonical
        self._canonical_uln = measured.canonical_uln
        return self

    @property
    def canonical(self) -> float:
        return self._canonical

    @property
    def canonical_uln(self) -> float | None:
        return self._canonical_uln


class Biomarkers(_Strict):
    """Tumour biomarkers. Absent means not tested or not known."""

    kras: Mutation | None = None
    nras: Mutation | None = None
    braf_v600e: Mutation | None = None
    mmr: Literal["dmmr_msi_high", "pmmr_mss"] | None = Field(
        default=None, description="Mismatch repair / microsatellite status."
    )
    her2: Literal["positive", "low", "negative"] | None = None
    er: Expression | None = None
    pr: Expression | None = None
    brca: Mutation | None = None
    egfr: Mutation | None = None
    alk: Expression | None = Field(default=None, description="ALK rearrangement.")
    ros1: Expression | None = Field(default=None, description="ROS1 rearrangement.")
    kras_g12c: Mutation | None = None
    pd_l1_percent: float | None = Field(default=None, ge=0, le=100)
    kit_pdgfra: Mutation | None = None
    sstr: Expression | None = Field(
        default=None, description="Somatostatin-receptor imaging uptake (e.g. Ga-68 DOTATATE)."
    )
    hla_a0201: Expression | None = Field(
        default=None, description="HLA-A*02:01 type (uveal melanoma: selects tebentafusp)."
    )


class Performance(_Strict):
    ecog: int | None = Field(default=None, ge=0, le=4, description="ECOG/WHO 0-4.")
    karnofsky: int | None = Field(default=None, ge=10, le=100, multiple_of=10)
    fit_for_major_surgery: bool | None = Field(
        default=None, description="Anaesthetic / surgical fitness view (comorbidity, frailty)."
    )


class BackgroundLiver(_Strict):
    cirrhosis: bool | None = None
    fibrosis: bool | None = Field(default=None, description="Chronic hepatitis or fibrosis.")
    steatosis: bool | None = None
    portal_hypertension: bool | None = None
    cholestatic_disease: bool | None = Field(
        default=None, description="PBC/PSC: switches Child-Pugh to its cholestatic variant."
    )
    prior_hepatectomy: bool | None = None
    extensive_chemotherapy: bool | None = Field(
        default=None,
        description="More than 12 weeks (3 months) of chemotherapy before liver surgery; "
        "raises the future-liver-remnant threshold to 30%.",
    )


class SystemicLine(_Strict):
    regimen_class: str = Field(description="e.g. 'FOLFOX + anti-EGFR'; no doses.")
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    cycles: int | None = Field(default=None, ge=0, le=200)
    best_response: Literal["complete", "partial", "stable", "progression"] | None = None


LiverDirected = Literal[
    "resection",
    "ablation",
    "tace",
    "tae",
    "sirt",
    "hai",
    "sabr",
    "ire",
    "pve",
    "transplant",
    "other",
]


class LocalTreatment(_Strict):
    type: LiverDirected
    date: dt.date | None = None


class Radiotherapy(_Strict):
    site: str
    date: dt.date | None = None


class PriorTreatments(_Strict):
    systemic: list[SystemicLine] = Field(
        default_factory=list,
        description="Previous lines of systemic therapy. Leave out when unknown; give [] for none.",
    )
    liver_directed: list[LocalTreatment] = Field(default_factory=list)
    radiotherapy: list[Radiotherapy] = Field(default_factory=list)


class Response(_Strict):
    status: Literal["complete", "partial", "stable", "progression"] | None = None
    disease_control_months: float | None = Field(
        default=None, ge=0, le=600, description="Months of stable or responding disease."
    )


class Volumetry(_Strict):
    flr_volume: LiverVolume | None = None  # type: ignore[valid-type]
    total_liver_volume: LiverVolume | None = None  # type: ignore[valid-type]
    sflr_percent: float | None = Field(
        default=None, gt=0, le=100, description="Standardised FLR given directly (%)."
    )
    pve_done: bool | None = None
    pve_date: dt.date | None = None
    sflr_pre_pve_percent: float | None = Field(default=None, gt=0, le=100)
    sflr_post_pve_percent: float | None = Field(default=None, gt=0, le=100)
    post_pve_scan_date: dt.date | None = None


class SirtWorkup(_Strict):
    lung_shunt_percent: float | None = Field(default=None, ge=0, le=100)
    nontarget_flow_excluded: bool | None = None


InvestigationType = Literal[
    "liver_blood_tests",
    "tumour_markers",
    "ct_chest_abdomen_pelvis",
    "liver_mri",
    "pet_ct",
    "ssr_imaging",
    "liver_biopsy",
    "primary_biopsy",
    "colonoscopy",
    "endoscopy",
    "mammogram",
    "brain_imaging",
    "angiography",
    "laparoscopy",
    "ultrasound",
    "biomarker_panel",
]


class Investigation(_Strict):
    type: InvestigationType
    date: dt.date | None = None
    result: str | None = None


AcuteProblem = Literal[
    "sepsis",
    "cholangitis",
    "bleeding",
    "visceral_crisis",
    "bowel_obstruction",
    "liver_failure",
    "spinal_cord_compression",
]


Programme = Literal[
    "clinical_trial",
    "histotripsy",
    "electrochemotherapy",
    "ethanol_injection",
    "hai_pump",
    "irreversible_electroporation",
    "percutaneous_hepatic_perfusion",
]


class Care(_Strict):
    programmes: list[Programme] = Field(
        default_factory=list,
        description="Trials or specialist programmes arranged or open to this patient "
        "(emerging or niche treatments are candidates only within one).",
    )
    discussed_at_hpb_mdt: bool | None = Field(
        default=None, description="A specialist liver (HPB) MDT or liver surgeon has reviewed it."
    )
    wants_active_treatment: bool | None = None
    patient_priorities: str | None = Field(default=None, description="What matters to the patient.")
    hospital: str | None = None


class Case(_Strict):
    """One patient with liver metastases, as brought to the MDT."""

    model_config = ConfigDict(extra="forbid", frozen=True, title="livermets case")

    schema_version: Literal["1.0"] = Field(description="Case format version; currently '1.0'.")
    case_id: str = Field(min_length=1, max_length=128)
    as_of: dt.date | None = Field(
        default=None, description="Date the data describe (for intervals); defaults to none."
    )
    patient: Patient = Field(default_factory=Patient)
    primary: Primary
    liver: Liver = Field(default_factory=Liver)
    extrahepatic: Extrahepatic = Field(default_factory=Extrahepatic)
    labs: Labs = Field(default_factory=Labs)
    liver_function: LiverFunction = Field(default_factory=LiverFunction)
    tumour_markers: list[TumourMarker] = Field(default_factory=list)
    biomarkers: Biomarkers = Field(default_factory=Biomarkers)
    performance: Performance = Field(default_factory=Performance)
    background_liver: BackgroundLiver = Field(default_factory=BackgroundLiver)
    prior_treatments: PriorTreatments = Field(default_factory=PriorTreatments)
    response: Response = Field(default_factory=Response)
    volumetry: Volumetry = Field(default_factory=Volumetry)
    sirt_workup: SirtWorkup = Field(default_factory=SirtWorkup)
    investigations: list[Investigation] = Field(default_factory=list)
    symptoms: list[str] = Field(
        default_factory=list,
        description="Symptom ids, as in the symptom checker (knowledge/symptoms.yaml), "
        "e.g. jaundice, itching, right_upper_pain, swollen_tummy.",
    )
    acute_problems: list[AcuteProblem] = Field(default_factory=list)
    care: Care = Field(default_factory=Care)
    notes: str | None = None

    @field_validator("schema_version", mode="before")
    @classmethod
    def _version_as_number(cls, value: object) -> object:
        # ``schema_version: 1.0`` unquoted in YAML is the number 1.0: the same version
        if isinstance(value, float | int) and not isinstance(value, bool) and value == 1.0:
            return SCHEMA_VERSION
        return value

    @field_validator("symptoms")
    @classmethod
    def _known_symptoms(cls, value: list[str]) -> list[str]:
        known = symptom_ids()
        for symptom in value:
            if symptom not in known:
                raise ValueError(
                    f"{shown(symptom)} is not a known symptom id; expected one of: "
                    + ", ".join(sorted(known))
                )
        return value


@cache
def symptom_ids() -> frozenset[str]:
    """The symptom vocabulary shared with the symptom checker (``knowledge/symptoms.yaml``)."""
    return frozenset(str(s["id"]) for s in load_yaml("symptoms.yaml")["symptoms"])
