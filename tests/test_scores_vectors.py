"""Every reference vector (../shared/reference/calculator_vectors.json) for the scores we
implement, through both backends. The file is read, never copied into the repository."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import REQUIRE_SHARED_ENV, Backends, missing_shared, shared_path

from livermets.engine.expr import Expr, col
from livermets.scores import tumour
from livermets.scores.registry import SCORE_BY_ID

VECTORS_PATH: Path = shared_path("reference", "calculator_vectors.json")
VECTORS: list[dict[str, Any]] = (
    json.loads(VECTORS_PATH.read_text(encoding="utf-8")) if VECTORS_PATH.exists() else []
)
# When the file is absent every vector test is one visible skip naming the path (never an
# empty parameter list that vanishes from the report).
MISSING = missing_shared(VECTORS_PATH)

# Reference vectors for things that are not scores of this package (unit conversion happens
# at the case edge; RECIST and CTCAE live elsewhere) or that we deliberately do not compute.
NOT_SCORES_HERE = frozenset(
    {
        "ctcae_v5_grade",
        "recist_1_1_target_response",
        "recist_1_1_overall_response",
        "unit_bilirubin_umol_to_mgdl",
        "unit_creatinine_umol_to_mgdl",
        "unit_albumin_gl_to_gdl",
    }
)

BILIRUBIN_UMOL_PER_MG_DL = 17.1
CREATININE_UMOL_PER_MG_DL = 88.4

ASCITES = {
    "absent": "none",
    "none": "none",
    "slight": "mild",
    "mild": "mild",
    "moderate": "moderate_severe",
    "severe": "moderate_severe",
}
ENCEPHALOPATHY = {"none": 0, "grade_1_2": 1, "grade_3_4": 3}


def _run_spec(backends: Backends, score_id: str, row: dict[str, Any]) -> dict[str, Any]:
    spec = SCORE_BY_ID[score_id]
    (result,) = backends.both(spec.columns(), [row])
    return result


def _close(actual: Any, expected: float, tol: float) -> None:
    assert actual is not None
    assert abs(float(actual) - expected) <= tol, (actual, expected)


def _mg_dl(inputs: dict[str, Any]) -> dict[str, Any]:
    """Convert SI creatinine/bilirubin in a vector to mg/dL (the case edge does this)."""
    out = dict(inputs)
    if "creatinine_umol_l" in out:
        out["creatinine_mg_dl"] = out.pop("creatinine_umol_l") / CREATININE_UMOL_PER_MG_DL
    if "bilirubin_umol_l" in out:
        out["bilirubin_mg_dl"] = out.pop("bilirubin_umol_l") / BILIRUBIN_UMOL_PER_MG_DL
    if "dialysis_2x_or_cvvhd_24h_past_week" in out:
        out["dialysis"] = out.pop("dialysis_2x_or_cvvhd_24h_past_week")
    return out


def check_child_pugh(v: dict[str, Any], b: Backends) -> None:
    i = v["inputs"]
    row = {
        "bilirubin_mg_dl": i["bilirubin_mg_dl"],
        "albumin_g_dl": i["albumin_g_dl"],
        "inr": i["inr"],
        "ascites": ASCITES[i["ascites"]],
        "encephalopathy_grade": ENCEPHALOPATHY[i["encephalopathy"]],
        "cholestatic_liver_disease": None,
    }
    out = _run_spec(b, "child_pugh", row)
    assert out["child_pugh"] == v["expected"]["points"]
    assert out["child_pugh__category"] == v["expected"]["class"]


def check_albi(v: dict[str, Any], b: Backends) -> None:
    i = dict(v["inputs"])
    if "bilirubin_mg_dl" in i:
        i["bilirubin_umol_l"] = i.pop("bilirubin_mg_dl") * BILIRUBIN_UMOL_PER_MG_DL
    if "albumin_g_dl" in i:
        i["albumin_g_l"] = i.pop("albumin_g_dl") * 10
    out = _run_spec(b, "albi", i)
    e, tol = v["expected"], v["tolerance"]
    _close(out["albi"], e["score_coef_0085"], tol)
    _close(out["albi__score_coef_0_0852"], e["score_coef_00852"], tol)
    assert out["albi__category"] == f"grade {e['grade']}"
    assert out["albi__grade_coef_0_0852"] == f"grade {e['grade']}"


def check_meld_optn(v: dict[str, Any], b: Backends) -> None:
    out = _run_spec(b, "meld", _mg_dl(v["inputs"]))
    _close(out["meld__unrounded_x10"], v["expected"]["meld_unrounded_x10"], v["tolerance"])
    assert out["meld"] == v["expected"]["meld"]


def check_meld_kamath_etiology(v: dict[str, Any], b: Backends) -> None:
    """The allocation MELD must not apply Kamath's etiology term (it would give this value)."""
    out = _run_spec(b, "meld", {**_mg_dl(v["inputs"]), "dialysis": False})
    assert abs(out["meld__unrounded_x10"] - v["expected"]["meld_unrounded_x10"]) > 1


def check_meld_na(v: dict[str, Any], b: Backends) -> None:
    out = _run_spec(b, "meld_na", _mg_dl(v["inputs"]))
    assert out["meld_na"] == v["expected"]


# OPTN 2016 results for the Kim 2008 vectors' inputs, as stated in those vectors' notes
KIM_2008_OPTN_EQUIVALENT = {26.257: 26, 21.536225: 20}


def check_meld_na_kim2008(v: dict[str, Any], b: Backends) -> None:
    """We compute only the OPTN 2016 formula; its value for these inputs is in the notes."""
    out = _run_spec(b, "meld_na", {**_mg_dl(v["inputs"]), "dialysis": False})
    assert out["meld_na"] == KIM_2008_OPTN_EQUIVALENT[v["expected"]]
    assert abs(out["meld_na__unrounded"] - v["expected"]) > v["tolerance"]


def check_meld_3_0(v: dict[str, Any], b: Backends) -> None:
    out = _run_spec(b, "meld_3_0", _mg_dl(v["inputs"]))
    _close(out["meld_3_0__unrounded"], v["expected"]["meld3_unrounded"], v["tolerance"])
    assert out["meld_3_0"] == v["expected"]["meld3"]


def _platelets(inputs: dict[str, Any]) -> dict[str, Any]:
    out = dict(inputs)
    out["platelets_10e9_l"] = out.pop("platelets_10e9_per_l")
    return out


def check_fib4(v: dict[str, Any], b: Backends) -> None:
    out = _run_spec(b, "fib4", _platelets(v["inputs"]))
    _close(out["fib4"], v["expected"], v["tolerance"])


def check_apri(v: dict[str, Any], b: Backends) -> None:
    out = _run_spec(b, "apri", _platelets(v["inputs"]))
    _close(out["apri"], v["expected"], v["tolerance"])


def check_bsa(v: dict[str, Any], b: Backends) -> None:
    out = _run_spec(b, "bsa", v["inputs"])
    _close(out["bsa"], v["expected"], v["tolerance"])


def check_fong(v: dict[str, Any], b: Backends) -> None:
    i = v["inputs"]
    row = {
        "node_positive_primary": i["node_positive_primary"],
        "dfi_months": float(i["disease_free_interval_months"]),
        "lesion_count": i["n_liver_tumours"],
        "largest_lesion_cm": i["largest_tumour_cm"],
        "cea_ng_ml": float(i["cea_ng_ml"]),
    }
    assert _run_spec(b, "fong_crs", row)["fong_crs"] == v["expected"]


def check_tbs(v: dict[str, Any], b: Backends) -> None:
    i = v["inputs"]
    row = {"largest_lesion_cm": i["max_diameter_cm"], "lesion_count": i["n_liver_lesions"]}
    out = _run_spec(b, "tumour_burden_score", row)
    _close(out["tumour_burden_score"], v["expected"]["tbs"], v["tolerance"])
    assert out["tumour_burden_score__category"] == f"zone {v['expected']['zone']}"


def check_game(v: dict[str, Any], b: Backends) -> None:
    """The vectors give TBS directly, so the score function is bound to a ``tbs`` column."""
    i = v["inputs"]
    parts = tumour.game_score(
        col("kras"),
        col("cea_ng_ml"),
        col("node_positive_primary"),
        col("tbs"),
        col("extrahepatic_disease"),
    )
    exprs: dict[str, Expr] = {"points": parts.value}
    assert parts.category is not None
    exprs["group"] = parts.category
    row = {
        "kras": "mutant" if i["kras_mutated"] else "wild_type",
        "cea_ng_ml": float(i["cea_ng_ml"]),
        "node_positive_primary": i["node_positive_primary"],
        "tbs": float(i["tbs"]),
        "extrahepatic_disease": i["extrahepatic_disease"],
    }
    (out,) = b.both(exprs, [row])
    assert out["points"] == v["expected"]["points"]
    assert out["group"] == f"{v['expected']['risk_group']} risk"


def check_sflr(v: dict[str, Any], b: Backends) -> None:
    i = v["inputs"]
    assert i["bsa_formula"] == "mosteller"
    row = {
        "height_cm": float(i["height_cm"]),
        "weight_kg": float(i["weight_kg"]),
        "flr_volume_ml": float(i["flr_volume_ml"]),
        "sflr_reported_percent": None,
        "cirrhosis": False,
        "fibrosis": False,
        "extensive_chemotherapy": False,
    }
    out = _run_spec(b, "sflr", row)
    e, tol = v["expected"], v["tolerance"]
    _close(out["sflr__bsa_m2"], e["bsa_m2"], tol)
    _close(out["sflr__tlv_ml"], e["tlv_ml"], tol)
    _close(out["sflr"], e["sflr_percent"], tol)
    assert out["sflr__category"] == "adequate"  # 23.5 % >= 20 % in a normal liver


def check_kgr(v: dict[str, Any], b: Backends) -> None:
    i = v["inputs"]
    row = {
        "sflr_pre_pve_percent": i["sflr_pre_percent"],
        "sflr_post_pve_percent": i["sflr_post_percent"],
        "pve_day": 19000,
        "post_pve_volumetry_day": 19000 + i["days_since_pve"],
    }
    out = _run_spec(b, "pve_hypertrophy", row)
    e, tol = v["expected"], v["tolerance"]
    _close(
        out["pve_hypertrophy__degree_of_hypertrophy_points"],
        e["degree_of_hypertrophy_pct_points"],
        tol,
    )
    _close(out["pve_hypertrophy"], e["kgr_pct_per_week"], tol)
    assert (out["pve_hypertrophy__category"] == "adequate growth") is e["kgr_ge_2"]


def check_marker_doubling_time(v: dict[str, Any], b: Backends) -> None:
    i = v["inputs"]
    (name,) = (k for k in i if k != "times_days")
    marker = name.removesuffix("_ng_ml").removesuffix("_u_ml")
    row = {
        "markers": [
            {"marker": marker, "day": float(t), "value": float(x), "uln": None}
            for t, x in zip(i["times_days"], i[name], strict=True)
        ]
    }
    out = _run_spec(b, f"{marker}_doubling_time", row)
    _close(out[f"{marker}_doubling_time"], v["expected"], v["tolerance"])
    assert out[f"{marker}_doubling_time__category"] == "rising"
    assert out[f"{marker}_doubling_time__n_points"] == len(i["times_days"])


CHECKS: dict[str, Callable[[dict[str, Any], Backends], None]] = {
    "child_pugh": check_child_pugh,
    "albi": check_albi,
    "meld_optn": check_meld_optn,
    "meld_kamath2001_with_etiology": check_meld_kamath_etiology,
    "meld_na_unos_2016": check_meld_na,
    "meld_na_kim2008": check_meld_na_kim2008,
    "meld_3_0": check_meld_3_0,
    "fib4": check_fib4,
    "apri": check_apri,
    "bsa_mosteller": check_bsa,
    "fong_crs": check_fong,
    "tumour_burden_score": check_tbs,
    "game_score": check_game,
    "sflr_vauthey": check_sflr,
    "kgr": check_kgr,
    "marker_doubling_time": check_marker_doubling_time,
}

OURS = [v for v in VECTORS if v["score"] not in NOT_SCORES_HERE]


def _skip_when_missing() -> None:
    if not VECTORS:
        if os.environ.get(REQUIRE_SHARED_ENV) == "1":
            pytest.fail(MISSING)
        pytest.skip(MISSING)


def test_vector_file_present() -> None:
    _skip_when_missing()
    assert len(VECTORS) >= 60
    assert len(OURS) >= 40, "most reference vectors are for scores of this package"


def test_every_vector_is_checked_or_explicitly_out_of_scope() -> None:
    _skip_when_missing()
    unknown = {v["score"] for v in VECTORS} - set(CHECKS) - NOT_SCORES_HERE
    assert not unknown, f"vectors for scores nobody checks: {sorted(unknown)}"


def _vector_params() -> list[Any]:
    if not VECTORS:
        return [pytest.param(None, id="vectors-missing")]
    return [pytest.param(v, id=f"{v['score']}-{n}") for n, v in enumerate(OURS)]


@pytest.mark.parametrize("vector", _vector_params())
def test_reference_vector(vector: dict[str, Any] | None, backends: Backends) -> None:
    if vector is None:
        _skip_when_missing()
        return
    CHECKS[vector["score"]](vector, backends)
