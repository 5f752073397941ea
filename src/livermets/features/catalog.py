"""The base feature columns: the flat, unit-explicit view of a case that every rule reads.

Each validated case is flattened (``features.flatten``) into one row of these columns plus
child tables (lesions, markers, extrahepatic sites, treatments). A cohort is the same columns,
a row per case. Every quantity is in the unit its name states; dates are day numbers
(days since 1970-01-01) so that intervals are plain subtraction in both backends.

``label`` is what a clinician is asked for when the feature is missing ("needs data: ...").
``values`` is a text feature's vocabulary (every value it can take), derived from the case
model's ``Literal`` types along the feature's ``case_path`` (:func:`vocabulary`); the rule
type checker (``engine.types``) refuses a rule literal outside it.
"""

from __future__ import annotations

import types
import typing
from dataclasses import dataclass, replace
from typing import Any, Literal

from pydantic import BaseModel

from livermets.case.model import Case, symptom_ids

DType = Literal["float", "int", "bool", "str"]


@dataclass(frozen=True)
class Feature:
    name: str
    dtype: DType
    label: str
    case_path: str
    values: tuple[str, ...] | None = None


def _f(name: str, dtype: DType, label: str, case_path: str) -> Feature:
    return Feature(name, dtype, label, case_path)


CASE_FEATURES: tuple[Feature, ...] = (
    # demographics
    _f("age_years", "float", "age", "patient.age_years"),
    _f("sex", "str", "sex", "patient.sex"),
    _f("female", "bool", "sex", "patient.sex"),
    _f("height_cm", "float", "height", "patient.height"),
    _f("weight_kg", "float", "weight", "patient.weight"),
    # primary cancer
    _f("primary_site", "str", "site of the primary cancer", "primary.site"),
    _f("colorectal_side", "str", "side of the colorectal primary (left/right)", "primary.side"),
    _f("node_positive_primary", "bool", "nodal status of the primary", "primary.node_positive"),
    _f("net_grade", "int", "neuroendocrine grade", "primary.grade"),
    _f("ki67_percent", "float", "Ki-67 index", "primary.ki67_percent"),
    _f("primary_controlled", "bool", "whether the primary is controlled", "primary.controlled"),
    _f("primary_resected", "bool", "whether the primary has been removed", "primary.resected"),
    _f("primary_symptomatic", "bool", "whether the primary causes symptoms", "primary.symptomatic"),
    _f("hormone_syndrome", "bool", "hormone (functional) symptoms", "primary.hormone_syndrome"),
    _f("histology_confirmed", "bool", "tissue diagnosis", "primary.histology_confirmed"),
    _f("primary_diagnosis_day", "int", "date of primary diagnosis", "primary.diagnosis_date"),
    _f("primary_treatment_day", "int", "date of primary treatment", "primary.treatment_date"),
    # liver disease (case level; per-lesion detail is in the lesions table)
    _f("liver_detection_day", "int", "date liver metastases were found", "liver.detection_date"),
    _f("timing_reported", "str", "synchronous or metachronous", "liver.timing"),
    _f("lesion_count_reported", "int", "number of liver lesions", "liver.lesion_count"),
    _f("distribution_reported", "str", "unilobar or bilobar", "liver.distribution"),
    _f(
        "liver_dominant_reported",
        "bool",
        "whether disease is liver-dominant",
        "liver.liver_dominant",
    ),
    _f(
        "tumour_liver_percent",
        "float",
        "% of liver replaced by tumour",
        "liver.tumour_liver_percent",
    ),
    _f("liver_biopsy_confirmed", "bool", "liver biopsy", "liver.biopsy_confirmed"),
    # extrahepatic disease (per-site detail is in the extrahepatic table)
    _f("extrahepatic_disease", "bool", "extrahepatic disease status", "extrahepatic.present"),
    _f(
        "extrahepatic_controllable",
        "bool",
        "whether extrahepatic disease is controllable",
        "extrahepatic.controllable",
    ),
    # labs (canonical units; some analytes in two units because scores need both)
    _f("bilirubin_mg_dl", "float", "bilirubin", "labs.bilirubin"),
    _f("bilirubin_umol_l", "float", "bilirubin", "labs.bilirubin"),
    _f("bilirubin_uln_mg_dl", "float", "bilirubin upper limit of normal", "labs.bilirubin.uln"),
    _f("albumin_g_dl", "float", "albumin", "labs.albumin"),
    _f("albumin_g_l", "float", "albumin", "labs.albumin"),
    _f("inr", "float", "INR", "labs.inr"),
    _f("creatinine_mg_dl", "float", "creatinine", "labs.creatinine"),
    _f("sodium_mmol_l", "float", "sodium", "labs.sodium"),
    _f("platelets_10e9_l", "float", "platelets", "labs.platelets"),
    _f("alt_u_l", "float", "ALT", "labs.alt"),
    _f("ast_u_l", "float", "AST", "labs.ast"),
    _f("alp_u_l", "float", "ALP", "labs.alp"),
    _f("ast_uln_u_l", "float", "AST upper limit of normal", "labs.ast.uln"),
    # liver function (clinical)
    _f("ascites", "str", "ascites grade", "liver_function.ascites"),
    _f(
        "encephalopathy_grade", "int", "encephalopathy grade", "liver_function.encephalopathy_grade"
    ),
    _f("dialysis", "bool", "dialysis in the past week", "liver_function.dialysis"),
    # performance status (as recorded; ecog_effective converts Karnofsky if ECOG is absent)
    _f("ecog", "int", "ECOG performance status", "performance.ecog"),
    _f("karnofsky", "int", "Karnofsky performance status", "performance.karnofsky"),
    _f(
        "fit_for_major_surgery",
        "bool",
        "fitness for major surgery",
        "performance.fit_for_major_surgery",
    ),
    # background liver
    _f("cirrhosis", "bool", "cirrhosis status", "background_liver.cirrhosis"),
    _f("fibrosis", "bool", "fibrosis / chronic hepatitis status", "background_liver.fibrosis"),
    _f("steatosis", "bool", "steatosis status", "background_liver.steatosis"),
    _f(
        "portal_hypertension",
        "bool",
        "portal hypertension status",
        "background_liver.portal_hypertension",
    ),
    _f(
        "cholestatic_liver_disease",
        "bool",
        "cholestatic liver disease (PBC/PSC)",
        "background_liver.cholestatic_disease",
    ),
    _f("prior_hepatectomy", "bool", "previous liver surgery", "background_liver.prior_hepatectomy"),
    _f(
        "extensive_chemotherapy",
        "bool",
        "more than 12 weeks of chemotherapy",
        "background_liver.extensive_chemotherapy",
    ),
    # latest tumour markers (canonical units); full series in the markers table
    _f("cea_ng_ml", "float", "CEA", "tumour_markers[cea]"),
    _f("ca19_9_u_ml", "float", "CA 19-9", "tumour_markers[ca19_9]"),
    _f("cea_uln_ng_ml", "float", "CEA upper limit of normal", "tumour_markers[cea].uln"),
    # biomarkers: each is a status string (e.g. "mutant"/"wild_type", "positive"/"negative")
    _f("kras", "str", "KRAS status", "biomarkers.kras"),
    _f("nras", "str", "NRAS status", "biomarkers.nras"),
    _f("braf_v600e", "str", "BRAF V600E status", "biomarkers.braf_v600e"),
    _f("mmr", "str", "MSI/MMR status", "biomarkers.mmr"),
    _f("her2", "str", "HER2 status", "biomarkers.her2"),
    _f("er", "str", "oestrogen receptor status", "biomarkers.er"),
    _f("pr", "str", "progesterone receptor status", "biomarkers.pr"),
    _f("brca", "str", "BRCA status", "biomarkers.brca"),
    _f("egfr", "str", "EGFR status", "biomarkers.egfr"),
    _f("alk", "str", "ALK status", "biomarkers.alk"),
    _f("ros1", "str", "ROS1 status", "biomarkers.ros1"),
    _f("kras_g12c", "str", "KRAS G12C status", "biomarkers.kras_g12c"),
    _f("pd_l1_percent", "float", "PD-L1 score", "biomarkers.pd_l1_percent"),
    _f("kit_pdgfra", "str", "KIT/PDGFRA status", "biomarkers.kit_pdgfra"),
    _f("sstr", "str", "somatostatin-receptor status", "biomarkers.sstr"),
    _f("hla_a0201", "str", "HLA-A*02:01 type", "biomarkers.hla_a0201"),
    # volumetry
    _f("flr_volume_ml", "float", "future liver remnant volume", "volumetry.flr_volume"),
    _f("tlv_measured_ml", "float", "measured total liver volume", "volumetry.total_liver_volume"),
    _f(
        "sflr_reported_percent",
        "float",
        "standardised future liver remnant",
        "volumetry.sflr_percent",
    ),
    _f("pve_done", "bool", "portal vein embolisation status", "volumetry.pve_done"),
    _f(
        "sflr_pre_pve_percent",
        "float",
        "sFLR before portal vein embolisation",
        "volumetry.sflr_pre_pve_percent",
    ),
    _f(
        "sflr_post_pve_percent",
        "float",
        "sFLR after portal vein embolisation",
        "volumetry.sflr_post_pve_percent",
    ),
    _f("pve_day", "int", "date of portal vein embolisation", "volumetry.pve_date"),
    _f(
        "post_pve_volumetry_day",
        "int",
        "date of the first scan after PVE",
        "volumetry.post_pve_scan_date",
    ),
    # prior treatment (summaries; detail in the treatments table)
    _f(
        "systemic_lines",
        "int",
        "number of previous lines of systemic therapy",
        "prior_treatments.systemic",
    ),
    _f("response_status", "str", "response to current/last treatment", "response.status"),
    _f(
        "disease_control_months",
        "float",
        "months of stable or responding disease",
        "response.disease_control_months",
    ),
    # SIRT work-up
    _f("lung_shunt_percent", "float", "lung shunt fraction", "sirt_workup.lung_shunt_percent"),
    _f(
        "nontarget_flow_excluded",
        "bool",
        "whether non-target flow is excluded",
        "sirt_workup.nontarget_flow_excluded",
    ),
    # context
    _f("acute_problem", "str", "acute problem needing urgent care", "acute_problems"),
    _f(
        "discussed_at_hpb_mdt",
        "bool",
        "whether a liver (HPB) MDT has reviewed the case",
        "care.discussed_at_hpb_mdt",
    ),
    _f(
        "wants_active_treatment",
        "bool",
        "the patient's wishes about treatment",
        "care.wants_active_treatment",
    ),
    _f("as_of_day", "int", "date of the assessment", "as_of"),
)

# Child tables: one row per item, joined to the case by ``case_id``.
CHILD_FEATURES: dict[str, tuple[Feature, ...]] = {
    "lesions": (
        _f("diameter_cm", "float", "lesion diameter", "liver.lesions[].diameter"),
        _f("right_liver", "bool", "lesion segments", "liver.lesions[].segments"),
        _f("left_liver", "bool", "lesion segments", "liver.lesions[].segments"),
        _f("caudate", "bool", "lesion segments", "liver.lesions[].segments"),
        _f("segment_count", "int", "lesion segments", "liver.lesions[].segments"),
        *(
            _f(f"segment_{n}", "bool", "lesion segments", "liver.lesions[].segments")
            for n in range(1, 9)
        ),
        _f(
            "vessel_relation", "str", "relation to major vessels", "liver.lesions[].vessel_relation"
        ),
        _f(
            "near_large_vessel",
            "bool",
            "nearness to vessels over 3 mm (heat sink)",
            "liver.lesions[].near_large_vessel",
        ),
        _f(
            "bile_duct_relation",
            "str",
            "relation to bile ducts",
            "liver.lesions[].bile_duct_relation",
        ),
        _f("near_diaphragm", "bool", "nearness to the diaphragm", "liver.lesions[].near_diaphragm"),
        _f(
            "near_bowel_or_gallbladder",
            "bool",
            "nearness to bowel or gallbladder",
            "liver.lesions[].near_bowel_or_gallbladder",
        ),
        _f(
            "ablation_margin_achievable",
            "bool",
            "whether a 5-10 mm ablation margin is achievable",
            "liver.lesions[].ablation_margin_achievable",
        ),
    ),
    "markers": (
        _f("marker", "str", "tumour marker name", "tumour_markers[].marker"),
        _f("day", "float", "tumour marker date", "tumour_markers[].date"),
        _f("value", "float", "tumour marker value", "tumour_markers[].value"),
        _f("uln", "float", "tumour marker upper limit of normal", "tumour_markers[].uln"),
    ),
    "extrahepatic": (
        _f("site", "str", "extrahepatic site", "extrahepatic.sites[].site"),
        _f(
            "controllable",
            "bool",
            "whether the site is controllable",
            "extrahepatic.sites[].controllable",
        ),
    ),
    "symptoms": (_f("symptom", "str", "symptom", "symptoms[]"),),
    "programmes": (_f("programme", "str", "trial or specialist programme", "care.programmes[]"),),
    "investigations": (
        _f("investigation", "str", "investigation", "investigations[].type"),
        _f("day", "int", "investigation date", "investigations[].date"),
    ),
}


def _strip(annotation: Any) -> Any:
    """The annotation without ``None`` options, ``Annotated`` extras and list wrappers."""
    while True:
        origin = typing.get_origin(annotation)
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        unwraps = origin in (typing.Annotated, list) or (
            origin in (typing.Union, types.UnionType) and len(args) == 1
        )
        if unwraps:
            annotation = args[0]
        else:
            return annotation


# Text columns whose vocabulary is not a ``Literal`` of the case model.
_VOCABULARIES: dict[str, typing.Callable[[], frozenset[str]]] = {"symptoms[]": symptom_ids}


def vocabulary(case_path: str) -> tuple[str, ...] | None:
    """Every value of the text field at ``case_path`` in the case model (sorted), or ``None``
    when the field is free text (or not a ``Literal`` field of the model)."""
    if case_path in _VOCABULARIES:
        return tuple(sorted(_VOCABULARIES[case_path]()))
    annotation: Any = Case
    for part in case_path.replace("[]", "").split("."):
        model = _strip(annotation)
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return None
        field = model.model_fields.get(part)
        if field is None:
            return None
        annotation = field.annotation
    found = _strip(annotation)
    if typing.get_origin(found) is not Literal:
        return None
    values = typing.get_args(found)
    if not all(isinstance(v, str) for v in values):
        return None
    return tuple(sorted(str(v) for v in values))


def _with_vocabulary(feature: Feature) -> Feature:
    if feature.dtype != "str" or feature.values is not None:
        return feature
    return replace(feature, values=vocabulary(feature.case_path))


CASE_FEATURES = tuple(_with_vocabulary(f) for f in CASE_FEATURES)
CHILD_FEATURES = {
    table: tuple(_with_vocabulary(f) for f in features)
    for table, features in CHILD_FEATURES.items()
}

CASE_FEATURE_BY_NAME: dict[str, Feature] = {f.name: f for f in CASE_FEATURES}
