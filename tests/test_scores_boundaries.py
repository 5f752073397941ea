"""Hand-written boundary cases from calculators.md, each through both backends."""

from __future__ import annotations

import math
import statistics
from typing import Any

import pytest
from conftest import Backends

from livermets.engine.expr import col, lit
from livermets.engine.scalar import evaluate
from livermets.knowledge import sources
from livermets.scores import body, liver_function, tumour
from livermets.scores.registry import SCORE_BY_ID, SCORES


def run(b: Backends, score_id: str, **row: Any) -> dict[str, Any]:
    (out,) = b.both(SCORE_BY_ID[score_id].columns(), [row])
    return out


def runs(b: Backends, score_id: str, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return b.both(SCORE_BY_ID[score_id].columns(), rows)


# --- Child-Pugh ---------------------------------------------------------------------------

CP_BASE: dict[str, Any] = {
    "bilirubin_mg_dl": 1.0,
    "albumin_g_dl": 4.0,
    "inr": 1.0,
    "ascites": "none",
    "encephalopathy_grade": 0,
    "cholestatic_liver_disease": False,
}


@pytest.mark.parametrize(
    ("field", "value", "points"),
    [
        ("bilirubin_mg_dl", 1.99, 1),
        ("bilirubin_mg_dl", 2.0, 2),
        ("bilirubin_mg_dl", 34.2 / 17.1, 2),  # 2.0000000000000004 after unit conversion
        ("bilirubin_mg_dl", 3.0, 2),
        ("bilirubin_mg_dl", 51.3 / 17.1, 2),
        ("bilirubin_mg_dl", 3.01, 3),
        ("albumin_g_dl", 3.51, 1),
        ("albumin_g_dl", 3.5, 2),
        ("albumin_g_dl", 2.8, 2),
        ("albumin_g_dl", 28 / 10, 2),
        ("albumin_g_dl", 2.79, 3),
        ("inr", 1.69, 1),
        ("inr", 1.7, 2),
        ("inr", 2.3, 2),
        ("inr", 2.31, 3),
        ("ascites", "mild", 2),
        ("ascites", "moderate_severe", 3),
        ("encephalopathy_grade", 2, 2),
        ("encephalopathy_grade", 3, 3),
        ("encephalopathy_grade", 4, 3),
    ],
)
def test_child_pugh_component_boundaries(
    backends: Backends, field: str, value: Any, points: int
) -> None:
    out = run(backends, "child_pugh", **{**CP_BASE, field: value})
    assert out["child_pugh"] == 4 + points


def test_child_pugh_classes_at_their_edges(backends: Backends) -> None:
    rows = [
        {**CP_BASE, "bilirubin_mg_dl": 2.5},  # 6
        {**CP_BASE, "bilirubin_mg_dl": 2.5, "inr": 2.0},  # 7
        {**CP_BASE, "bilirubin_mg_dl": 2.5, "inr": 2.0, "ascites": "moderate_severe"},  # 9
        {**CP_BASE, "bilirubin_mg_dl": 3.5, "inr": 2.0, "ascites": "moderate_severe"},  # 10
    ]
    got = [(o["child_pugh"], o["child_pugh__category"]) for o in runs(backends, "child_pugh", rows)]
    assert got == [(6, "A"), (7, "B"), (9, "B"), (10, "C")]


def test_child_pugh_cholestatic_table_is_explicit(backends: Backends) -> None:
    def bil_points(bilirubin: float, cholestatic: bool | None) -> Any:
        row = {**CP_BASE, "bilirubin_mg_dl": bilirubin, "cholestatic_liver_disease": cholestatic}
        return run(backends, "child_pugh", **row)["child_pugh__bilirubin_points"]

    assert [bil_points(x, True) for x in (3.99, 4.0, 10.0, 10.01)] == [1, 2, 2, 3]
    assert bil_points(3.5, False) == 3
    assert bil_points(3.5, None) == 3  # unknown status: the standard table, never the variant
    row = {**CP_BASE, "bilirubin_mg_dl": 3.5, "cholestatic_liver_disease": None}
    assert run(backends, "child_pugh", **row)["child_pugh__bilirubin_table"] == "standard"


@pytest.mark.parametrize(("field", "value"), [("ascites", "small"), ("encephalopathy_grade", 5)])
def test_child_pugh_unrecognised_grade_is_unknown(
    backends: Backends, field: str, value: Any
) -> None:
    assert run(backends, "child_pugh", **{**CP_BASE, field: value})["child_pugh"] is None


# --- ALBI ---------------------------------------------------------------------------------


def test_albi_grade_boundaries_both_sides(backends: Backends) -> None:
    grade = liver_function.albi_grade(col("s"))
    rows = [{"s": s} for s in (-2.61, -2.60, -2.599, -1.40, -1.39, -1.389)]
    got = [r["g"] for r in backends.both({"g": grade}, rows)]
    assert got == ["grade 1", "grade 1", "grade 2", "grade 2", "grade 2", "grade 3"]


def _albumin_for(score: float, bilirubin_umol_l: float) -> float:
    return (0.66 * math.log10(bilirubin_umol_l) - score) / 0.085


@pytest.mark.parametrize(
    ("target", "grade"),
    [(-2.605, "grade 1"), (-2.595, "grade 2"), (-1.395, "grade 2"), (-1.385, "grade 3")],
)
def test_albi_grade_from_inputs_near_cut_offs(
    backends: Backends, target: float, grade: str
) -> None:
    albumin = _albumin_for(target, 20.0)
    out = run(backends, "albi", bilirubin_umol_l=20.0, albumin_g_l=albumin)
    assert out["albi"] == pytest.approx(target, abs=1e-9)
    assert out["albi__category"] == grade


def test_albi_flags_a_grade_that_depends_on_the_coefficient(backends: Backends) -> None:
    albumin = _albumin_for(-2.597, 20.0)  # -0.0852 moves it below -2.60
    out = run(backends, "albi", bilirubin_umol_l=20.0, albumin_g_l=albumin)
    assert out["albi__category"] == "grade 2"
    assert out["albi__grade_coef_0_0852"] == "grade 1"
    assert out["albi__grade_depends_on_coefficient"] is True


def test_albi_rejects_non_positive_bilirubin(backends: Backends) -> None:
    assert run(backends, "albi", bilirubin_umol_l=0.0, albumin_g_l=40.0)["albi"] is None


# --- MELD family --------------------------------------------------------------------------

MELD_BASE: dict[str, Any] = {
    "creatinine_mg_dl": 1.0,
    "bilirubin_mg_dl": 1.0,
    "inr": 1.0,
    "sodium_mmol_l": 137.0,
    "dialysis": False,
    "albumin_g_dl": 3.5,
    "female": False,
    "age_years": 50.0,
}


def test_meld_na_rounds_before_the_greater_than_11_test(backends: Backends) -> None:
    row = {**MELD_BASE, "inr": 1.55, "sodium_mmol_l": 125.0}
    out = run(backends, "meld_na", **row)
    assert 11.3 < run(backends, "meld", **row)["meld__unrounded_x10"] < 11.4
    assert out["meld_na__meld"] == 11
    assert out["meld_na__sodium_step_applied"] is False
    assert out["meld_na"] == 11  # ameld's unrounded test would give 23


def test_meld_na_steps_in_above_11(backends: Backends) -> None:
    row = {**MELD_BASE, "inr": 1.6, "sodium_mmol_l": 125.0}  # MELD(i) x10 = 11.69 -> 12
    out = run(backends, "meld_na", **row)
    assert out["meld_na__sodium_step_applied"] is True
    assert out["meld_na"] == round(12 + 1.32 * 12 - 0.033 * 12 * 12)


def test_dialysis_overrides_low_creatinine(backends: Backends) -> None:
    row = {
        **MELD_BASE,
        "creatinine_mg_dl": 0.8,
        "bilirubin_mg_dl": 2.0,
        "inr": 1.5,
        "sodium_mmol_l": 130.0,
        "dialysis": True,
    }
    assert run(backends, "meld_na", **row)["meld_na"] == 30
    assert run(backends, "meld", **row)["meld__creatinine_used_mg_dl"] == 4.0
    assert run(backends, "meld_3_0", **row)["meld_3_0__creatinine_used_mg_dl"] == 3.0


def test_meld_floor_and_cap(backends: Backends) -> None:
    low = {**MELD_BASE, "creatinine_mg_dl": 0.3, "bilirubin_mg_dl": 0.2, "inr": 0.8}
    assert run(backends, "meld", **low)["meld"] == 6
    assert run(backends, "meld_3_0", **low)["meld_3_0"] == 6
    high = {
        **MELD_BASE,
        "creatinine_mg_dl": 8.0,
        "bilirubin_mg_dl": 40.0,
        "inr": 6.0,
        "sodium_mmol_l": 120.0,
        "albumin_g_dl": 1.0,
    }
    for score_id in ("meld", "meld_na", "meld_3_0"):
        out = run(backends, score_id, **high)
        assert out[score_id] == 40
        assert out[f"{score_id}__uncapped"] > 40
        assert out[f"{score_id}__cap"] == 40


def test_meld_known_only_when_the_known_inputs_determine_it(backends: Backends) -> None:
    low = {**MELD_BASE, "sodium_mmol_l": None}  # MELD 6: sodium plays no part
    assert run(backends, "meld_na", **low)["meld_na"] == 6
    high = {**low, "bilirubin_mg_dl": 5.0}
    assert run(backends, "meld_na", **high)["meld_na"] is None
    dialysed = {**MELD_BASE, "creatinine_mg_dl": None, "dialysis": True}
    assert run(backends, "meld", **dialysed)["meld"] == 20  # Cr 4.0 whatever was measured
    assert run(backends, "meld", **{**dialysed, "dialysis": None})["meld"] is None
    assert run(backends, "meld", **{**dialysed, "dialysis": False})["meld"] is None


def test_meld_3_0_adolescents_get_the_female_points(backends: Backends) -> None:
    row = {**MELD_BASE, "bilirubin_mg_dl": 3.0}
    woman = run(backends, "meld_3_0", **{**row, "female": True})["meld_3_0__unrounded"]
    man = run(backends, "meld_3_0", **row)["meld_3_0__unrounded"]
    boy = run(backends, "meld_3_0", **{**row, "age_years": 15.0})["meld_3_0__unrounded"]
    adult_at_18 = run(backends, "meld_3_0", **{**row, "age_years": 18.0})["meld_3_0__unrounded"]
    assert woman - man == pytest.approx(1.33)
    assert boy == pytest.approx(woman)
    assert adult_at_18 == pytest.approx(man)
    assert run(backends, "meld_3_0", **{**row, "age_years": 11.0})["meld_3_0"] is None  # PELD


# --- Tumour scores ------------------------------------------------------------------------


def test_tbs_single_2_9_cm_lesion_is_zone_2(backends: Backends) -> None:
    out = run(backends, "tumour_burden_score", largest_lesion_cm=2.9, lesion_count=1)
    assert out["tumour_burden_score"] == pytest.approx(math.hypot(2.9, 1))
    assert out["tumour_burden_score__category"] == "zone 2"


def test_tbs_zone_edges(backends: Backends) -> None:
    rows = [{"t": t} for t in (2.999, 3.0, 8.999, 9.0)]
    got = [r["z"] for r in backends.both({"z": tumour.tbs_zone(col("t"))}, rows)]
    assert got == ["zone 1", "zone 2", "zone 2", "zone 3"]


def test_tbs_needs_a_lesion(backends: Backends) -> None:
    out = run(backends, "tumour_burden_score", largest_lesion_cm=None, lesion_count=0)
    assert out["tumour_burden_score"] is None


FONG_ZERO: dict[str, Any] = {
    "node_positive_primary": False,
    "dfi_months": 12.0,
    "lesion_count": 1,
    "largest_lesion_cm": 5.0,
    "cea_ng_ml": 200.0,
}


def test_fong_inequalities_are_strict(backends: Backends) -> None:
    assert run(backends, "fong_crs", **FONG_ZERO)["fong_crs"] == 0
    just_over = {
        "dfi_months": 11.99,
        "lesion_count": 2,
        "largest_lesion_cm": 5.01,
        "cea_ng_ml": 200.01,
    }
    for field, value in just_over.items():
        assert run(backends, "fong_crs", **{**FONG_ZERO, field: value})["fong_crs"] == 1, field


def test_fong_risk_groups(backends: Backends) -> None:
    two = {**FONG_ZERO, "node_positive_primary": True, "lesion_count": 3}
    three = {**two, "cea_ng_ml": 250.0}
    assert run(backends, "fong_crs", **two)["fong_crs__category"] == "low risk"
    assert run(backends, "fong_crs", **three)["fong_crs__category"] == "high risk"


def _game(b: Backends, **row: Any) -> dict[str, Any]:
    parts = tumour.game_score(
        col("kras"),
        col("cea_ng_ml"),
        col("node_positive_primary"),
        col("tbs"),
        col("extrahepatic_disease"),
    )
    assert parts.category is not None
    (out,) = b.both({"points": parts.value, "group": parts.category, **parts.details}, [row])
    return out


GAME_ZERO: dict[str, Any] = {
    "kras": "wild_type",
    "cea_ng_ml": 19.99,
    "node_positive_primary": False,
    "tbs": 2.99,
    "extrahepatic_disease": False,
}


def test_game_edges(backends: Backends) -> None:
    assert _game(backends, **GAME_ZERO)["points"] == 0
    assert _game(backends, **{**GAME_ZERO, "cea_ng_ml": 20.0})["points"] == 1  # inclusive
    assert _game(backends, **{**GAME_ZERO, "tbs": 3.0})["tbs_points"] == 1
    assert _game(backends, **{**GAME_ZERO, "tbs": 8.99})["tbs_points"] == 1  # the 8-9 gap
    assert _game(backends, **{**GAME_ZERO, "tbs": 9.0})["tbs_points"] == 2
    assert _game(backends, **{**GAME_ZERO, "kras": "not_tested"})["points"] is None
    groups = {
        1: {**GAME_ZERO, "kras": "mutant"},
        2: {**GAME_ZERO, "extrahepatic_disease": True},
        3: {**GAME_ZERO, "extrahepatic_disease": True, "kras": "mutant"},
        4: {**GAME_ZERO, "extrahepatic_disease": True, "tbs": 9.5},
    }
    got = {
        p: (_game(backends, **r)["points"], _game(backends, **r)["group"])
        for p, r in groups.items()
    }
    assert got == {
        1: (1, "low risk"),
        2: (2, "medium risk"),
        3: (3, "medium risk"),
        4: (4, "high risk"),
    }


def test_registry_game_uses_tbs_from_lesions(backends: Backends) -> None:
    out = run(
        backends,
        "game_score",
        kras="wild_type",
        cea_ng_ml=5.0,
        node_positive_primary=False,
        largest_lesion_cm=2.9,
        lesion_count=1,
        extrahepatic_disease=False,
    )
    assert out["game_score"] == 1 and out["game_score__tbs_points"] == 1


# --- Volumetry ----------------------------------------------------------------------------


# 175 cm / 80 kg: Mosteller 1.9720 m², Vauthey TLV 1704.7 mL -> FLR mL for a target sFLR
def _flr_ml(target_percent: float) -> float:
    tlv = -794.41 + 1267.28 * math.sqrt(175 * 80 / 3600)
    return target_percent / 100 * tlv


def _sflr(b: Backends, sflr_percent: float | None, **liver: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "height_cm": 175.0,
        "weight_kg": 80.0,
        "sflr_reported_percent": None,
        "flr_volume_ml": None if sflr_percent is None else _flr_ml(sflr_percent),
        "cirrhosis": False,
        "fibrosis": False,
        "extensive_chemotherapy": False,
    }
    row.update(liver)
    return run(b, "sflr", **row)


@pytest.mark.parametrize(
    ("liver", "threshold", "below", "at"),
    [
        ({}, 20.0, 19.99, 20.0001),
        ({"extensive_chemotherapy": True}, 30.0, 29.99, 30.0001),
        ({"cirrhosis": True}, 40.0, 39.99, 40.0001),
        ({"fibrosis": True, "extensive_chemotherapy": True}, 40.0, 39.99, 40.0001),
    ],
)
def test_sflr_thresholds(
    backends: Backends, liver: dict[str, Any], threshold: float, below: float, at: float
) -> None:
    assert _sflr(backends, below, **liver)["sflr__category"] == "inadequate"
    out = _sflr(backends, at, **liver)
    assert out["sflr__category"] == "adequate"
    assert out["sflr__threshold_percent"] == threshold


def test_sflr_exactly_at_threshold_is_adequate(backends: Backends) -> None:
    row = {
        "flr_volume_ml": None,
        "height_cm": None,
        "weight_kg": None,
        "sflr_reported_percent": 30.0,
        "cirrhosis": False,
        "fibrosis": False,
        "extensive_chemotherapy": True,
    }
    assert run(backends, "sflr", **row)["sflr__category"] == "adequate"


@pytest.mark.parametrize(
    ("liver", "sflr_percent", "category"),
    [
        ({"cirrhosis": None}, 45.0, "adequate"),
        ({"cirrhosis": None}, 40.0, "adequate"),
        ({"cirrhosis": None}, 15.0, "inadequate"),
        ({"cirrhosis": None}, 25.0, None),
        ({"cirrhosis": None}, 35.0, None),
        ({"extensive_chemotherapy": None}, 25.0, None),  # normal vs chemo liver unknown
        ({"fibrosis": None, "extensive_chemotherapy": None}, 19.9, "inadequate"),
        ({"cirrhosis": True, "fibrosis": None}, 35.0, "inadequate"),  # threshold 40 known
    ],
)
def test_sflr_unknown_threshold_is_three_valued(
    backends: Backends, liver: dict[str, Any], sflr_percent: float, category: str | None
) -> None:
    assert _sflr(backends, sflr_percent, **liver)["sflr__category"] == category


def test_sflr_threshold_unknown_when_liver_status_unknown(backends: Backends) -> None:
    assert _sflr(backends, 25.0, cirrhosis=None)["sflr__threshold_percent"] is None
    assert _sflr(backends, 25.0, cirrhosis=True, fibrosis=None)["sflr__threshold_percent"] == 40


def test_sflr_falls_back_to_reported_value(backends: Backends) -> None:
    out = _sflr(backends, None, sflr_reported_percent=27.0)
    assert out["sflr"] == 27.0 and out["sflr__source"] == "reported"
    measured = _sflr(backends, 23.0, sflr_reported_percent=27.0)
    assert measured["sflr"] == pytest.approx(23.0) and measured["sflr__source"] != "reported"
    no_size = _sflr(backends, 23.0, height_cm=None, sflr_reported_percent=27.0)
    assert no_size["sflr"] == 27.0
    assert _sflr(backends, None)["sflr"] is None


def test_bsa_dubois_detail_matches_the_formula(backends: Backends) -> None:
    cases = [(175.0, 80.0), (150.0, 45.0), (200.0, 140.0), (50.0, 3.0)]
    outs = runs(backends, "bsa", [{"height_cm": h, "weight_kg": w} for h, w in cases])
    for (h, w), out in zip(cases, outs, strict=True):
        assert out["bsa__dubois_m2"] == pytest.approx(0.007184 * w**0.425 * h**0.725, rel=1e-12)
        assert out["bsa"] == pytest.approx(math.sqrt(h * w / 3600), rel=1e-12)


def test_bsa_dubois_has_no_domain_limit(backends: Backends) -> None:
    """DuBois is written with the language's exp (no truncated series, no domain cut-off)."""
    cases = [(30.0, 0.5), (250.0, 300.0)]
    outs = runs(backends, "bsa", [{"height_cm": h, "weight_kg": w} for h, w in cases])
    for (h, w), out in zip(cases, outs, strict=True):
        assert out["bsa__dubois_m2"] == pytest.approx(0.007184 * w**0.425 * h**0.725, rel=1e-12)


def test_karnofsky_conversions_read_one_table() -> None:
    """ECOG <-> Karnofsky is one table: both directions agree on every range."""
    for grade, lowest, highest in body._KPS_RANGES:
        for kps in range(lowest, highest + 1, 10):
            out = evaluate(body.ecog_from_karnofsky(col("k")).value, {"k": kps})
            assert out == grade, (kps, grade)


def test_kgr_edges(backends: Backends) -> None:
    base = {"sflr_pre_pve_percent": 20.0, "pve_day": 100, "post_pve_volumetry_day": 128}
    at_cut = run(backends, "pve_hypertrophy", **base, sflr_post_pve_percent=28.0)  # 8 / 4 wk
    assert at_cut["pve_hypertrophy"] == pytest.approx(2.0)
    assert at_cut["pve_hypertrophy__category"] == "adequate growth"
    slow = run(backends, "pve_hypertrophy", **base, sflr_post_pve_percent=27.9)
    assert slow["pve_hypertrophy__category"] == "slow growth"
    same_day = {**base, "post_pve_volumetry_day": 100, "sflr_post_pve_percent": 28.0}
    assert run(backends, "pve_hypertrophy", **same_day)["pve_hypertrophy"] is None


# --- Performance status -------------------------------------------------------------------


def test_karnofsky_to_ecog(backends: Backends) -> None:
    kps = [100, 90, 80, 70, 60, 50, 40, 30, 20, 10, 0, 110, -10]
    got = [
        r["ecog_from_karnofsky"]
        for r in runs(backends, "ecog_from_karnofsky", [{"karnofsky": k} for k in kps])
    ]
    assert got == [0, 1, 1, 2, 2, 3, 3, 4, 4, 4, 5, None, None]


def test_ecog_to_karnofsky_is_a_labelled_range(backends: Backends) -> None:
    outs = runs(backends, "karnofsky_from_ecog", [{"ecog": e} for e in (0, 1, 2, 3, 4, 5, 6)])
    got = [(o["karnofsky_from_ecog__low"], o["karnofsky_from_ecog__high"]) for o in outs]
    assert got == [(100, 100), (80, 90), (60, 70), (40, 50), (10, 30), (0, 0), (None, None)]
    assert outs[1]["karnofsky_from_ecog__category"] == "KPS 80–90 (approximate)"
    assert outs[1]["karnofsky_from_ecog"] == 80
    assert all(
        "approximate" in SCORE_BY_ID[s].version
        for s in ("karnofsky_from_ecog", "ecog_from_karnofsky")
    )


def test_round_trip_ecog_karnofsky_ecog(backends: Backends) -> None:
    outs = runs(backends, "karnofsky_from_ecog", [{"ecog": e} for e in range(6)])
    back = runs(
        backends, "ecog_from_karnofsky", [{"karnofsky": o["karnofsky_from_ecog"]} for o in outs]
    )
    assert [o["ecog_from_karnofsky"] for o in back] == list(range(6))


# --- Tumour markers -----------------------------------------------------------------------


def _series(
    marker: str, points: list[tuple[float, float | None]], uln: float | None = 5.0
) -> list[dict[str, Any]]:
    return [{"marker": marker, "day": d, "value": v, "uln": uln} for d, v in points]


def test_marker_fit_matches_least_squares(backends: Backends) -> None:
    points = [(18000.0, 6.0), (18030.0, 9.5), (18075.0, 21.0), (18120.0, 30.0)]
    out = run(backends, "cea_doubling_time", markers=_series("cea", points))
    fit = statistics.linear_regression([d for d, _ in points], [math.log(v) for _, v in points])
    assert out["cea_doubling_time"] == pytest.approx(math.log(2) / fit.slope, rel=1e-8)
    assert out["cea_doubling_time__slope_ln_per_day"] == pytest.approx(fit.slope, rel=1e-8)
    r = statistics.correlation([d for d, _ in points], [math.log(v) for _, v in points])
    assert out["cea_doubling_time__r_squared"] == pytest.approx(r * r, rel=1e-8)
    assert out["cea_doubling_time__n_points"] == 4
    assert out["cea_doubling_time__span_days"] == 120
    assert out["cea_doubling_time__n_above_uln"] == 4


def test_falling_marker_reports_halving_time(backends: Backends) -> None:
    out = run(backends, "cea_doubling_time", markers=_series("cea", [(0.0, 80.0), (30.0, 40.0)]))
    assert out["cea_doubling_time"] == pytest.approx(30.0)
    assert out["cea_doubling_time__category"] == "falling"
    assert out["cea_doubling_time__halving_time_days"] == pytest.approx(30.0)
    assert out["cea_doubling_time__doubling_time_days"] is None
    assert out["cea_doubling_time__slope_ln_per_day"] < 0


def test_marker_series_selection_and_minimum(backends: Backends) -> None:
    mixed = [
        *_series("cea", [(0.0, 5.0), (60.0, 10.0)]),
        *_series("ca19_9", [(0.0, 100.0), (10.0, 400.0), (20.0, 1600.0)], uln=37.0),
    ]
    out = run(backends, "ca19_9_doubling_time", markers=mixed)
    assert out["ca19_9_doubling_time"] == pytest.approx(5.0)
    assert out["ca19_9_doubling_time__n_points"] == 3
    assert run(backends, "cea_doubling_time", markers=mixed)["cea_doubling_time"] == pytest.approx(
        60
    )
    one = run(backends, "cea_doubling_time", markers=_series("cea", [(0.0, 5.0)]))
    assert one["cea_doubling_time"] is None and one["cea_doubling_time__n_points"] == 1
    none = run(backends, "cea_doubling_time", markers=[])
    assert none["cea_doubling_time"] is None and none["cea_doubling_time__n_points"] == 0
    # all on one day: no slope, even where float round-off leaves n·Σt² − (Σt)² ≠ 0
    for day, count in ((5.0, 2), (18000.1, 3)):
        points = [(day, 5.0 * 2**k) for k in range(count)]
        same_day = run(backends, "cea_doubling_time", markers=_series("cea", points))
        assert same_day["cea_doubling_time"] is None, day
        assert same_day["cea_doubling_time__category"] is None, day


def test_marker_unknown_value_makes_it_unknown_and_zero_is_left_out(backends: Backends) -> None:
    unknown = _series("cea", [(0.0, 5.0), (30.0, None), (60.0, 10.0)])
    assert run(backends, "cea_doubling_time", markers=unknown)["cea_doubling_time"] is None
    zero = _series("cea", [(0.0, 5.0), (30.0, 0.0), (60.0, 10.0)])
    out = run(backends, "cea_doubling_time", markers=zero)
    assert out["cea_doubling_time"] == pytest.approx(60.0)
    assert out["cea_doubling_time__n_points"] == 2


def test_flat_marker_is_stable(backends: Backends) -> None:
    out = run(
        backends,
        "cea_doubling_time",
        markers=_series("cea", [(18000.0, 7.3), (18090.0, 7.3), (18200.0, 7.3)]),
    )
    assert out["cea_doubling_time__category"] == "stable"
    assert out["cea_doubling_time"] is None


# --- Registry -----------------------------------------------------------------------------

REQUIRED_IDS = {
    "child_pugh",
    "albi",
    "meld",
    "meld_na",
    "meld_3_0",
    "fong_crs",
    "tumour_burden_score",
    "game_score",
    "bsa",
    "total_liver_volume",
    "sflr",
    "pve_hypertrophy",
    "ecog_from_karnofsky",
    "karnofsky_from_ecog",
    "cea_doubling_time",
    "ca19_9_doubling_time",
}


def test_registry_ids_sources_and_inputs() -> None:
    ids = [s.id for s in SCORES]
    assert len(ids) == len(set(ids))
    assert set(ids) >= REQUIRED_IDS
    known_sources = sources()
    for spec in SCORES:
        assert spec.sources and all(s in known_sources for s in spec.sources), spec.id
        read: set[str] = set()
        for name, expr in spec.columns().items():
            if name.endswith("__relevant"):
                continue  # when to show the score, not an input of it
            read |= {c for c in expr.columns() if not c.endswith("[]")}
        assert read == set(spec.inputs), (spec.id, read ^ set(spec.inputs))
    assert SCORE_BY_ID["fong_crs"].applies_to == ("colorectal",)
    assert SCORE_BY_ID["game_score"].applies_to == ("colorectal",)


def test_constant_details_are_literals() -> None:
    assert isinstance(SCORE_BY_ID["meld"].details["cap"], type(lit(40.0)))
