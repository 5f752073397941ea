"""Flatten a validated case into the base feature row and its child tables.

This is the only place that maps the case format to feature columns (``features.catalog``).
Units were already converted on the way in; here each value is only picked and named. Dates
become day numbers so that intervals are plain subtraction in both rule backends.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from livermets.case.model import Case, Lesion, Measured, TumourMarker
from livermets.case.units import ALBUMIN_G_L_PER_G_DL, BILIRUBIN_UMOL_PER_MG_DL, tidy

EPOCH = dt.date(1970, 1, 1)
RIGHT_LIVER_SEGMENTS = frozenset({5, 6, 7, 8})
LEFT_LIVER_SEGMENTS = frozenset({2, 3, 4})

Row = dict[str, Any]


def day_number(date: dt.date | None) -> int | None:
    return None if date is None else (date - EPOCH).days


def _value(measured: Measured | None) -> float | None:
    return None if measured is None else measured.canonical


def _latest(markers: list[TumourMarker], name: str) -> TumourMarker | None:
    """The most recent value of one marker (undated values count as oldest)."""
    candidates = [m for m in markers if m.marker == name]
    if not candidates:
        return None
    return max(candidates, key=lambda m: (m.date is not None, m.date or EPOCH))


def lesion_row(lesion: Lesion) -> Row:
    segments = set(lesion.segments)
    known = bool(segments)
    return {
        "diameter_cm": _value(lesion.diameter),
        "right_liver": bool(segments & RIGHT_LIVER_SEGMENTS) if known else None,
        "left_liver": bool(segments & LEFT_LIVER_SEGMENTS) if known else None,
        "caudate": (1 in segments) if known else None,
        "segment_count": len(segments) if known else None,
        **{f"segment_{n}": (n in segments) if known else None for n in range(1, 9)},
        "vessel_relation": lesion.vessel_relation,
        "near_large_vessel": lesion.near_large_vessel,
        "bile_duct_relation": lesion.bile_duct_relation,
        "near_diaphragm": lesion.near_diaphragm,
        "near_bowel_or_gallbladder": lesion.near_bowel_or_gallbladder,
        "ablation_margin_achievable": lesion.ablation_margin_achievable,
    }


def flatten(case: Case) -> Row:
    """The base feature row of one case; child tables are lists of rows under their names."""
    p, pr, lv, labs = case.patient, case.primary, case.liver, case.labs
    bilirubin = _value(labs.bilirubin)
    albumin = _value(labs.albumin)
    cea = _latest(case.tumour_markers, "cea")
    ca19_9 = _latest(case.tumour_markers, "ca19_9")
    ehd, lf, perf, bg = (
        case.extrahepatic,
        case.liver_function,
        case.performance,
        case.background_liver,
    )
    bio, vol = case.biomarkers, case.volumetry
    extrahepatic_present = ehd.present if ehd.present is not None else (True if ehd.sites else None)
    site_control = [s.controllable for s in ehd.sites]
    controllable = ehd.controllable
    if controllable is None and site_control and all(c is not None for c in site_control):
        controllable = all(bool(c) for c in site_control)
    row: Row = {
        "age_years": p.age_years,
        "sex": p.sex,
        "female": None if p.sex is None else p.sex == "female",
        "height_cm": _value(p.height),
        "weight_kg": _value(p.weight),
        "primary_site": pr.site,
        "colorectal_side": pr.side,
        "node_positive_primary": pr.node_positive,
        "net_grade": pr.grade,
        "ki67_percent": pr.ki67_percent,
        "primary_controlled": pr.controlled,
        "primary_resected": pr.resected,
        "primary_symptomatic": pr.symptomatic,
        "hormone_syndrome": pr.hormone_syndrome,
        "histology_confirmed": pr.histology_confirmed,
        "primary_diagnosis_day": day_number(pr.diagnosis_date),
        "primary_treatment_day": day_number(pr.treatment_date),
        "liver_detection_day": day_number(lv.detection_date),
        "timing_reported": lv.timing,
        "lesion_count_reported": lv.lesion_count,
        "distribution_reported": lv.distribution,
        "liver_dominant_reported": lv.liver_dominant,
        "tumour_liver_percent": lv.tumour_liver_percent,
        "liver_biopsy_confirmed": lv.biopsy_confirmed,
        "extrahepatic_disease": extrahepatic_present,
        "extrahepatic_controllable": controllable,
        "bilirubin_mg_dl": bilirubin,
        "bilirubin_umol_l": None
        if bilirubin is None
        else tidy(bilirubin * BILIRUBIN_UMOL_PER_MG_DL),
        "bilirubin_uln_mg_dl": None if labs.bilirubin is None else labs.bilirubin.canonical_uln,
        "albumin_g_dl": albumin,
        "albumin_g_l": None if albumin is None else tidy(albumin * ALBUMIN_G_L_PER_G_DL),
        "inr": _value(labs.inr),
        "creatinine_mg_dl": _value(labs.creatinine),
        "sodium_mmol_l": _value(labs.sodium),
        "platelets_10e9_l": _value(labs.platelets),
        "alt_u_l": _value(labs.alt),
        "ast_u_l": _value(labs.ast),
        "alp_u_l": _value(labs.alp),
        "ast_uln_u_l": None if labs.ast is None else labs.ast.canonical_uln,
        "ascites": lf.ascites,
        "encephalopathy_grade": lf.encephalopathy_grade,
        "dialysis": lf.dialysis,
        "ecog": perf.ecog,
        "karnofsky": perf.karnofsky,
        "fit_for_major_surgery": perf.fit_for_major_surgery,
        "cirrhosis": bg.cirrhosis,
        "fibrosis": bg.fibrosis,
        "steatosis": bg.steatosis,
        "portal_hypertension": bg.portal_hypertension,
        "cholestatic_liver_disease": bg.cholestatic_disease,
        "prior_hepatectomy": bg.prior_hepatectomy,
        "extensive_chemotherapy": bg.extensive_chemotherapy,
        "cea_ng_ml": None if cea is None else cea.canonical,
        "cea_uln_ng_ml": None if cea is None else cea.canonical_uln,
        "ca19_9_u_ml": None if ca19_9 is None else ca19_9.canonical,
        "kras": bio.kras,
        "nras": bio.nras,
        "braf_v600e": bio.braf_v600e,
        "mmr": bio.mmr,
        "her2": bio.her2,
        "er": bio.er,
        "pr": bio.pr,
        "brca": bio.brca,
        "egfr": bio.egfr,
        "alk": bio.alk,
        "ros1": bio.ros1,
        "kras_g12c": bio.kras_g12c,
        "pd_l1_percent": bio.pd_l1_percent,
        "kit_pdgfra": bio.kit_pdgfra,
        "sstr": bio.sstr,
        "hla_a0201": bio.hla_a0201,
        "flr_volume_ml": _value(vol.flr_volume),
        "tlv_measured_ml": _value(vol.total_liver_volume),
        "sflr_reported_percent": vol.sflr_percent,
        "pve_done": vol.pve_done,
        "sflr_pre_pve_percent": vol.sflr_pre_pve_percent,
        "sflr_post_pve_percent": vol.sflr_post_pve_percent,
        "pve_day": day_number(vol.pve_date),
        "post_pve_volumetry_day": day_number(vol.post_pve_scan_date),
        # An absent list is unknown; an empty list given explicitly means none.
        "systemic_lines": len(case.prior_treatments.systemic)
        if "systemic" in case.prior_treatments.model_fields_set
        else None,
        "response_status": case.response.status,
        "disease_control_months": case.response.disease_control_months,
        "lung_shunt_percent": case.sirt_workup.lung_shunt_percent,
        "nontarget_flow_excluded": case.sirt_workup.nontarget_flow_excluded,
        "acute_problem": case.acute_problems[0] if case.acute_problems else None,
        "discussed_at_hpb_mdt": case.care.discussed_at_hpb_mdt,
        "wants_active_treatment": case.care.wants_active_treatment,
        "as_of_day": day_number(case.as_of),
        # child tables
        "lesions": [lesion_row(lesion) for lesion in lv.lesions],
        "markers": [
            {
                "marker": m.marker,
                "day": None if m.date is None else float(day_number(m.date) or 0),
                "value": m.canonical,
                "uln": m.canonical_uln,
            }
            for m in case.tumour_markers
        ],
        "extrahepatic": [{"site": s.site, "controllable": s.controllable} for s in ehd.sites],
        "symptoms": [{"symptom": s} for s in case.symptoms],
        "programmes": [{"programme": p} for p in case.care.programmes],
        "investigations": [
            {"investigation": i.type, "day": day_number(i.date)} for i in case.investigations
        ],
    }
    return row
