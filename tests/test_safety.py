"""Safety invariants over many generated cases, through the public API: cases drawn by
hypothesis (any field possibly missing), and plausible synthetic referrals
(``livermets.synthetic``).

From the treatment-options issue and DEVELOPERS.md principle 4: never a surgical or transplant
candidate with decompensated liver (Child-Pugh C), uncontrolled extrahepatic disease, ECOG 3-4
or an inadequate future liver remnant; missing critical data never yields "candidate"; every
verdict carries its reasons and a source; palliative and supportive care is always offered.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from livermets.assessment.build import assess
from livermets.assessment.model import Assessment
from livermets.case.model import (
    PRIMARY_SITES,
    Case,
    ExtrahepaticSite,
    Lesion,
    LiverFunction,
    Primary,
)
from livermets.features.flatten import flatten
from livermets.importers.case_text import case_from_data
from livermets.synthetic import generate_cases
from livermets.synthetic.documents import accepted

SURGICAL = {
    "resection",
    "resection_with_ablation",
    "two_stage_hepatectomy",
    "alpps",
    "liver_transplant",
}


def _maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.none(), strategy)


@st.composite
def cases(draw: st.DrawFn) -> dict[str, Any]:
    """Plausible cases with any field possibly missing."""
    data: dict[str, Any] = {
        "schema_version": "1.0",
        "case_id": "gen",
        "primary": {"site": draw(st.sampled_from(PRIMARY_SITES))},
    }
    primary = data["primary"]
    for key in ("controlled", "resected", "node_positive", "histology_confirmed"):
        value = draw(_maybe(st.booleans()))
        if value is not None:
            primary[key] = value
    if primary["site"] == "colorectal" and draw(st.booleans()):
        primary["side"] = draw(st.sampled_from(accepted(Primary, "side")))
    lesions = draw(
        st.lists(
            st.fixed_dictionaries(
                {
                    "segments": st.lists(st.integers(1, 8), min_size=1, max_size=3, unique=True),
                    "diameter": st.fixed_dictionaries(
                        {
                            "value": st.floats(0.3, 15.0).map(lambda x: round(x, 1)),
                            "unit": st.just("cm"),
                        }
                    ),
                    "vessel_relation": st.sampled_from(accepted(Lesion, "vessel_relation")),
                    "bile_duct_relation": st.sampled_from(accepted(Lesion, "bile_duct_relation")),
                    "near_large_vessel": st.booleans(),
                    "ablation_margin_achievable": st.booleans(),
                }
            ),
            max_size=6,
        )
    )
    data["liver"] = {"lesions": lesions}
    ehd = draw(st.sampled_from(["none", "controllable", "uncontrolled", "unknown"]))
    if ehd == "none":
        data["extrahepatic"] = {"present": False}
    elif ehd != "unknown":
        data["extrahepatic"] = {
            "present": True,
            "controllable": ehd == "controllable",
            "sites": [{"site": draw(st.sampled_from(accepted(ExtrahepaticSite, "site")))}],
        }
    if draw(st.booleans()):
        data["labs"] = {
            "bilirubin": {"value": draw(st.floats(0.2, 12.0)), "unit": "mg/dL"},
            "albumin": {"value": draw(st.floats(1.8, 5.0)), "unit": "g/dL"},
            "inr": {"value": draw(st.floats(0.9, 3.5)), "unit": "ratio"},
        }
        data["liver_function"] = {
            "ascites": draw(st.sampled_from(accepted(LiverFunction, "ascites"))),
            "encephalopathy_grade": draw(st.integers(0, 4)),
        }
    ecog = draw(_maybe(st.integers(0, 4)))
    if ecog is not None:
        data["performance"] = {"ecog": ecog}
    background = {
        k: draw(_maybe(st.booleans())) for k in ("cirrhosis", "fibrosis", "extensive_chemotherapy")
    }
    data["background_liver"] = {k: v for k, v in background.items() if v is not None}
    sflr = draw(_maybe(st.floats(5.0, 80.0)))
    if sflr is not None:
        data["volumetry"] = {"sflr_percent": sflr}
    return data


def _status(assessment: Any, option_id: str) -> str:
    return str(next(o.status for o in assessment.options if o.id == option_id))


def _check_invariants(case: Case, assessment: Assessment) -> None:
    by_id = {o.id: o for o in assessment.options}
    scores = {s.id: s for s in assessment.scores}
    child_pugh = scores["child_pugh"].category
    sflr = scores["sflr"].category if "sflr" in scores else None
    row = flatten(case)  # the case as the rules read it
    ecog, karnofsky = row["ecog"], row["karnofsky"]
    uncontrolled = row["extrahepatic_disease"] is True and row["extrahepatic_controllable"] is False
    for option_id in SURGICAL & set(by_id):
        status = by_id[option_id].status
        if child_pugh == "C" or uncontrolled or (ecog is not None and ecog >= 3):
            assert status != "candidate", (option_id, child_pugh, uncontrolled, ecog)
        # ALPPS is itself a remnant-growth step (like PVE), so it is for a remnant too small
        if sflr == "inadequate" and option_id not in {"liver_transplant", "alpps"}:
            assert status != "candidate", (option_id, "inadequate remnant")
        # missing critical data never yields candidate
        performance_unknown = ecog is None and karnofsky is None
        if child_pugh is None or performance_unknown or row["extrahepatic_disease"] is None:
            assert status != "candidate", (option_id, "missing critical data")
    # every option carries its reasons and at least one source
    for option in assessment.options:
        assert option.sources, option.id
        if option.status == "not_suitable":
            assert option.deciding, option.id
        if option.status == "needs_data":
            assert option.obtain, option.id
        if option.status == "consider_after":
            assert option.after, option.id
    # palliative and supportive care is always offered
    assert _status(assessment, "palliative_supportive_care") == "candidate"
    # a lead direction is always given
    assert assessment.direction is not None


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=cases())
def test_safety_invariants(data: dict[str, Any]) -> None:
    case = case_from_data(data)
    _check_invariants(case, assess(case))


@pytest.mark.parametrize("seed", [1, 2])
def test_safety_invariants_on_synthetic_referrals(seed: int) -> None:
    """Plausible referrals, with the mix of units and missing data real ones have."""
    for case in generate_cases(150, seed):
        _check_invariants(case, assess(case))


def test_adding_a_contraindication_never_makes_surgery_more_available() -> None:
    base = {
        "schema_version": "1.0",
        "case_id": "mono",
        "primary": {"site": "colorectal", "side": "left", "controlled": True},
        "liver": {
            "lesions": [
                {
                    "segments": [6],
                    "diameter": {"value": 3, "unit": "cm"},
                    "vessel_relation": "clear",
                    "bile_duct_relation": "clear",
                }
            ]
        },
        "extrahepatic": {"present": False},
        "labs": {
            "bilirubin": {"value": 0.6, "unit": "mg/dL"},
            "albumin": {"value": 4.2, "unit": "g/dL"},
            "inr": {"value": 1.0, "unit": ""},
        },
        "liver_function": {"ascites": "none", "encephalopathy_grade": 0},
        "performance": {"ecog": 0},
        "background_liver": {
            "cirrhosis": False,
            "fibrosis": False,
            "extensive_chemotherapy": False,
        },
        "volumetry": {"sflr_percent": 55},
    }
    assert _status(assess(case_from_data(base)), "resection") == "candidate"
    worse = [
        {"performance": {"ecog": 3}},
        {"extrahepatic": {"present": True, "controllable": False, "sites": [{"site": "bone"}]}},
        {"liver_function": {"ascites": "moderate_severe", "encephalopathy_grade": 3}},
        {"volumetry": {"sflr_percent": 12}},
    ]
    for change in worse:
        status = _status(assess(case_from_data({**base, **change})), "resection")
        assert status != "candidate", change
