"""Liver-directed treatment options (knowledge/options/<option_id>.yaml; shared criteria in
knowledge/criteria/liver_directed.yaml, surgery.yaml, non_surgical.yaml): realistic cases give
the expected statuses, the safety invariants hold by construction, and every criterion and
option cites known sources."""

from __future__ import annotations

import copy
import itertools
from importlib import resources
from typing import Any

import polars as pl
import pytest
import yaml

from livermets.assessment.build import assess
from livermets.assessment.pipeline import evaluate_case
from livermets.cohort.engine import evaluate_cohort, rows_to_frames
from livermets.criteria.model import CriterionDecl, OptionDecl
from livermets.criteria.registry import registry
from livermets.features.flatten import flatten
from livermets.importers.case_text import case_from_data
from livermets.knowledge import sources

OUR_OPTIONS = (
    "resection",
    "resection_with_ablation",
    "portal_vein_embolisation",
    "two_stage_hepatectomy",
    "alpps",
    "liver_transplant",
    "thermal_ablation",
    "irreversible_electroporation",
    "ethanol_injection",
    "tae",
    "tace",
    "sirt",
    "hepatic_arterial_infusion",
    "sabr",
    "palliative_radiotherapy",
    "histotripsy",
    "electrochemotherapy",
    "percutaneous_hepatic_perfusion",
)
SURGICAL = (
    "resection",
    "resection_with_ablation",
    "two_stage_hepatectomy",
    "alpps",
    "liver_transplant",
)
# candidates only within a trial or specialist programme recorded in care.programmes, which
# the grid never records
NEVER_CANDIDATE = ("histotripsy", "electrochemotherapy", "ethanol_injection")
# the remnant-growth steps exist for a remnant that is too small
GROWTH_STEPS = ("portal_vein_embolisation", "alpps", "liver_transplant")

# --------------------------------------------------------------------------------------------
# Case builders
# --------------------------------------------------------------------------------------------


def lesion(segments: list[int], mm: float, **relations: Any) -> dict[str, Any]:
    """A lesion described as a radiologist would for the MDT; unmentioned relations are clear."""
    data: dict[str, Any] = {
        "segments": segments,
        "diameter": {"value": mm, "unit": "mm"},
        "vessel_relation": "clear",
        "near_large_vessel": False,
        "bile_duct_relation": "clear",
        "near_diaphragm": False,
        "near_bowel_or_gallbladder": False,
        "ablation_margin_achievable": True,
    }
    data.update(relations)
    return data


GOOD_LABS = {
    "bilirubin": {"value": 11, "unit": "µmol/L"},
    "albumin": {"value": 41, "unit": "g/L"},
    "inr": {"value": 1.0, "unit": "ratio"},
    "platelets": {"value": 240, "unit": "10^9/L"},
}
DECOMPENSATED_LABS = {
    "bilirubin": {"value": 4.1, "unit": "mg/dL"},
    "albumin": {"value": 2.4, "unit": "g/dL"},
    "inr": {"value": 2.5, "unit": "ratio"},
}


def fit_colorectal(**changes: Any) -> dict[str, Any]:
    """Seed 002's example: a fit patient with two resectable right-lobe lesions from a resected
    left-sided bowel cancer, no disease elsewhere, normal liver, sFLR well above 20 %."""
    data: dict[str, Any] = {
        "schema_version": "1.0",
        "case_id": "crlm-right-lobe",
        "patient": {
            "age_years": 58,
            "sex": "male",
            "height": {"value": 178, "unit": "cm"},
            "weight": {"value": 80, "unit": "kg"},
        },
        "primary": {
            "site": "colorectal",
            "side": "left",
            "histology_confirmed": True,
            "node_positive": False,
            "diagnosis_date": "2024-01-10",
            "treatment_date": "2024-02-01",
            "resected": True,
            "controlled": True,
        },
        "liver": {
            "detection_date": "2025-03-01",
            "timing": "metachronous",
            "lesions": [lesion([6], 28), lesion([7], 21)],
        },
        "extrahepatic": {"present": False},
        "labs": GOOD_LABS,
        "liver_function": {"ascites": "none", "encephalopathy_grade": 0},
        "performance": {"ecog": 0, "fit_for_major_surgery": True},
        "background_liver": {
            "cirrhosis": False,
            "fibrosis": False,
            "steatosis": False,
            "portal_hypertension": False,
            "extensive_chemotherapy": False,
        },
        "biomarkers": {
            "kras": "wild_type",
            "nras": "wild_type",
            "braf_v600e": "wild_type",
            "mmr": "pmmr_mss",
        },
        "volumetry": {"sflr_percent": 55, "pve_done": False},
    }
    return merge(data, changes)


def merge(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """Deep-merge ``changes`` into a copy of ``base``; ``None`` removes a key; lists replace."""
    out = copy.deepcopy(base)
    for key, value in changes.items():
        if value is None:
            out.pop(key, None)
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def bilobar_colorectal(**changes: Any) -> dict[str, Any]:
    """Seed 002's second example: bilobar disease with a small planned remnant (sFLR 15 %)."""
    return merge(
        fit_colorectal(
            **{
                "case_id": "crlm-bilobar",
                "liver": {
                    "lesions": [
                        lesion([5, 8], 42),
                        lesion([7], 30),
                        lesion([6], 18),
                        lesion([3], 15),
                    ]
                },
                "volumetry": {"sflr_percent": 15, "pve_done": False},
            }
        ),
        changes,
    )


def unresectable_colorectal(**changes: Any) -> dict[str, Any]:
    """Liver-only, diffuse bilobar disease (14 lesions) on second-line chemotherapy."""
    lesions = [lesion([n % 8 + 1], 20 + n) for n in range(14)]
    return merge(
        fit_colorectal(
            **{
                "case_id": "crlm-diffuse",
                "liver": {"lesions": lesions, "tumour_liver_percent": 30},
                "volumetry": {"sflr_percent": 18, "pve_done": False},
                "prior_treatments": {
                    "systemic": [
                        {"regimen_class": "FOLFOX + anti-EGFR", "best_response": "partial"},
                        {"regimen_class": "FOLFIRI + anti-VEGF", "best_response": "progression"},
                    ]
                },
                "response": {"status": "progression"},
            }
        ),
        changes,
    )


def transmet_like(**changes: Any) -> dict[str, Any]:
    """A TransMet-type patient: unresectable liver-only disease, BRAF wild type, resected
    primary, partial response for 5 months on first-line chemotherapy, age 52, ECOG 0."""
    lesions = [lesion([n % 8 + 1], 15 + n) for n in range(16)]
    return merge(
        fit_colorectal(
            **{
                "case_id": "crlm-transmet",
                "patient": {"age_years": 52},
                "liver": {"lesions": lesions, "tumour_liver_percent": 25},
                "volumetry": {"sflr_percent": 12, "pve_done": False},
                "prior_treatments": {
                    "systemic": [
                        {"regimen_class": "FOLFOXIRI + anti-EGFR", "best_response": "partial"}
                    ]
                },
                "response": {"status": "partial", "disease_control_months": 5},
                "tumour_markers": [{"marker": "cea", "value": 12, "unit": "ng/mL"}],
                "investigations": [{"type": "pet_ct"}, {"type": "liver_mri"}],
            }
        ),
        changes,
    )


def net_functioning(**changes: Any) -> dict[str, Any]:
    """A small-bowel NET grade 2 with carcinoid syndrome and liver-dominant bilobar disease."""
    lesions = [lesion([n % 8 + 1], 12 + 2 * n) for n in range(12)]
    data: dict[str, Any] = {
        "schema_version": "1.0",
        "case_id": "net-functioning",
        "patient": {"age_years": 49, "sex": "female"},
        "primary": {
            "site": "neuroendocrine",
            "grade": 2,
            "ki67_percent": 6,
            "histology_confirmed": True,
            "resected": True,
            "controlled": True,
            "hormone_syndrome": True,
        },
        "liver": {"lesions": lesions, "tumour_liver_percent": 30, "timing": "synchronous"},
        "extrahepatic": {"present": False},
        "labs": GOOD_LABS,
        "liver_function": {"ascites": "none", "encephalopathy_grade": 0},
        "performance": {"ecog": 1},
        "background_liver": {
            "cirrhosis": False,
            "fibrosis": False,
            "extensive_chemotherapy": False,
        },
        "biomarkers": {"sstr": "positive"},
        "response": {"status": "stable", "disease_control_months": 9},
    }
    return merge(data, changes)


def statuses(data: dict[str, Any]) -> dict[str, str]:
    row = evaluate_case(case_from_data(data))
    return {option: row[f"option__{option}"] for option in OUR_OPTIONS}


def status(data: dict[str, Any], option: str) -> str:
    return statuses(data)[option]


def result(data: dict[str, Any], criterion: str) -> bool | None:
    value = evaluate_case(case_from_data(data))[f"criterion:{criterion}"]
    assert value is None or isinstance(value, bool)
    return value


# --------------------------------------------------------------------------------------------
# Declarations
# --------------------------------------------------------------------------------------------


def _our_options() -> list[OptionDecl]:
    return [registry().options[o].decl for o in OUR_OPTIONS]


def _our_criteria() -> list[CriterionDecl]:
    """The criteria our options use (their own and the shared ones they name)."""
    rules = registry()
    ids = {c for o in registry().options.values() if o.id in OUR_OPTIONS for c in o.hard}
    for option in _our_options():
        ids |= {*option.requires, *option.excludes, *option.considerations}
    return [rules.criteria[c].decl for c in sorted(ids)]


def test_every_option_is_declared_once_in_its_own_file() -> None:
    folder = resources.files("livermets.knowledge").joinpath("options")
    for option_id in OUR_OPTIONS:
        raw = yaml.safe_load(folder.joinpath(f"{option_id}.yaml").read_text("utf-8"))
        assert raw["id"] == option_id
        assert registry().options[option_id].file == f"options/{option_id}.yaml"
    options = registry().options
    assert options["histotripsy"].decl.group == "emerging"
    assert options["electrochemotherapy"].decl.group == "emerging"
    assert options["liver_transplant"].decl.specialist_centre


def test_every_criterion_and_option_cites_known_sources() -> None:
    known = sources()
    for criterion in _our_criteria():
        assert criterion.sources, criterion.id
        for source_id in criterion.sources:
            assert source_id in known, (criterion.id, source_id)
    for option in _our_options():
        for source_id in option.sources:
            assert source_id in known, (option.id, source_id)


def test_our_sources_file_loads_and_every_entry_is_cited() -> None:
    folder = resources.files("livermets.knowledge").joinpath("sources")
    ours = yaml.safe_load(folder.joinpath("liver_directed.yaml").read_text("utf-8"))
    ids = {entry["id"] for entry in ours}
    assert all(i.startswith("ld-") for i in ids)
    rules = registry()
    cited = {s for c in _our_criteria() for s in c.sources}
    cited |= {s for o in _our_options() for s in o.sources}
    cited |= {s for d in rules.definitions.values() for s in d.decl.sources}
    assert ids <= cited, ids - cited


def test_emerging_options_say_so_in_summary_and_requirement() -> None:
    rules = registry()
    for option_id, programme in (
        ("histotripsy", "histotripsy.programme"),
        ("electrochemotherapy", "ect.programme"),
    ):
        decl = rules.options[option_id].decl
        assert decl.summary.startswith("Emerging")
        assert "trial" in decl.summary
        assert programme in decl.requires
        assert "care.programmes" in (rules.criteria[programme].decl.note or "")


# --------------------------------------------------------------------------------------------
# Resection and remnant augmentation
# --------------------------------------------------------------------------------------------


def test_fit_patient_two_right_lobe_lesions_resection_candidate() -> None:
    got = statuses(fit_colorectal())
    assert got["resection"] == "candidate"
    assert got["resection_with_ablation"] == "candidate"
    assert got["thermal_ablation"] == "candidate"  # COLLISION: small lesions, either approach
    # nothing to augment, nothing unresectable about it
    for option in (
        "portal_vein_embolisation",
        "two_stage_hepatectomy",
        "alpps",
        "liver_transplant",
        "hepatic_arterial_infusion",
        "sabr",
        "sirt",
    ):
        assert got[option] == "not_suitable", option


def test_bilobar_with_small_remnant_resection_after_pve() -> None:
    got = statuses(bilobar_colorectal())
    assert got["resection"] == "consider_after"
    assert got["portal_vein_embolisation"] == "candidate"
    assert got["two_stage_hepatectomy"] == "consider_after"
    assert got["alpps"] == "candidate"  # the other growth step, for expert centres
    options = {o.id: o for o in assess(case_from_data(bilobar_colorectal())).options}
    assert options["resection"].after == ["portal vein embolisation"]
    assert "first-stage clearance" in options["two_stage_hepatectomy"].after[0]


def test_after_successful_pve_resection_and_second_stage_become_candidates() -> None:
    data = bilobar_colorectal(
        volumetry={
            "sflr_percent": 31,
            "pve_done": True,
            "sflr_pre_pve_percent": 15,
            "sflr_post_pve_percent": 31,
            "pve_date": "2025-05-01",
            "post_pve_scan_date": "2025-05-29",
        }
    )
    got = statuses(data)
    assert got["resection"] == "candidate"
    assert got["two_stage_hepatectomy"] == "candidate"
    assert got["portal_vein_embolisation"] == "not_suitable"
    assert got["alpps"] == "not_suitable"
    assert result(data, "resection.no_slow_remnant_growth") is True  # 16 points in 4 weeks


def test_slow_growth_after_pve_is_flagged() -> None:
    data = bilobar_colorectal(
        volumetry={
            "sflr_percent": 19,
            "pve_done": True,
            "sflr_pre_pve_percent": 15,
            "sflr_post_pve_percent": 19,
            "pve_date": "2025-05-01",
            "post_pve_scan_date": "2025-05-29",
        }
    )
    assert result(data, "resection.no_slow_remnant_growth") is False  # 4 points in 4 weeks
    got = statuses(data)
    assert got["resection"] == "consider_after"
    assert got["portal_vein_embolisation"] == "not_suitable"  # already done
    assert got["alpps"] == "candidate"  # rescue ALPPS after too little growth


def test_threshold_follows_the_liver_after_extensive_chemotherapy() -> None:
    chemo = {"background_liver": {"extensive_chemotherapy": True}}
    assert status(fit_colorectal(volumetry={"sflr_percent": 25}, **chemo), "resection") == (
        "consider_after"
    )
    assert status(fit_colorectal(volumetry={"sflr_percent": 25}), "resection") == "candidate"
    cirrhotic = fit_colorectal(volumetry={"sflr_percent": 35}, background_liver={"cirrhosis": True})
    assert status(cirrhotic, "resection") == "consider_after"


def test_child_pugh_c_resection_not_suitable() -> None:
    data = fit_colorectal(
        labs=DECOMPENSATED_LABS,
        liver_function={"ascites": "moderate_severe", "encephalopathy_grade": 2},
    )
    row = evaluate_case(case_from_data(data))
    assert row["child_pugh__category"] == "C"
    got = statuses(data)
    for option in (
        "resection",
        "resection_with_ablation",
        "portal_vein_embolisation",
        "two_stage_hepatectomy",
        "alpps",
        "thermal_ablation",
        "tace",
        "sirt",
        "hepatic_arterial_infusion",
        "sabr",
    ):
        assert got[option] == "not_suitable", option


def test_no_labs_resection_needs_data() -> None:
    data = fit_colorectal(labs=None, liver_function=None)
    assert status(data, "resection") == "needs_data"
    options = {o.id: o for o in assess(case_from_data(data)).options}
    assert any("Child-Pugh" in item for item in options["resection"].obtain)


def test_poor_performance_status_rules_out_surgery() -> None:
    got = statuses(fit_colorectal(performance={"ecog": 3, "fit_for_major_surgery": None}))
    for option in (*SURGICAL, "portal_vein_embolisation"):
        assert got[option] == "not_suitable", option
    # Karnofsky only: 40 converts to ECOG 3
    got = statuses(
        fit_colorectal(performance={"ecog": None, "karnofsky": 40, "fit_for_major_surgery": None})
    )
    assert got["resection"] == "not_suitable"


def test_recorded_unfit_for_surgery() -> None:
    data = fit_colorectal(performance={"ecog": 1, "fit_for_major_surgery": False})
    got = statuses(data)
    assert got["resection"] == "not_suitable"
    assert got["thermal_ablation"] == "candidate"
    assert got["sabr"] == "candidate"  # surgery unsuitable, 2 lesions under 5 cm, DFI 13 months


def test_fitness_view_not_recorded_does_not_block_resection() -> None:
    data = fit_colorectal(performance={"ecog": 1, "fit_for_major_surgery": None})
    assert status(data, "resection") == "candidate"


def test_uncontrolled_extrahepatic_disease_rules_out_resection() -> None:
    data = fit_colorectal(
        extrahepatic={"present": True, "controllable": False, "sites": [{"site": "peritoneum"}]}
    )
    got = statuses(data)
    for option in (*SURGICAL, "portal_vein_embolisation", "thermal_ablation"):
        assert got[option] == "not_suitable", option
    controllable = fit_colorectal(
        extrahepatic={
            "present": True,
            "sites": [{"site": "lung", "count": 1, "controllable": True}],
        }
    )
    assert status(controllable, "resection") == "candidate"
    assert status(controllable, "liver_transplant") == "not_suitable"


def test_primary_in_place_resection_after_control_of_primary() -> None:
    data = fit_colorectal(
        primary={"controlled": False, "resected": False}, liver={"timing": "synchronous"}
    )
    assert status(data, "resection") == "consider_after"
    options = {o.id: o for o in assess(case_from_data(data)).options}
    assert options["resection"].after == ["control of the primary"]


def test_vessel_involvement_resection_after_conversion() -> None:
    data = fit_colorectal(
        liver={"lesions": [lesion([7, 8], 48, vessel_relation="involving"), lesion([6], 20)]}
    )
    assert status(data, "resection") == "consider_after"
    options = {o.id: o for o in assess(case_from_data(data)).options}
    assert options["resection"].after == ["conversion systemic therapy"]


def test_many_lesions_resection_after_conversion() -> None:
    data = unresectable_colorectal(volumetry={"sflr_percent": 45})
    assert status(data, "resection") == "consider_after"


def test_lesions_not_all_described_is_not_assumed_clear() -> None:
    partial = fit_colorectal(liver={"lesion_count": 4})  # 4 reported, 2 described
    assert result(partial, "resection.no_vessel_involvement") is None
    assert result(partial, "ablation.size_3cm") is None
    assert status(partial, "resection") == "needs_data"
    # a described lesion that breaks the rule decides it even when others are not described
    big = fit_colorectal(liver={"lesion_count": 4, "lesions": [lesion([6], 45), lesion([7], 20)]})
    assert result(big, "ablation.size_3cm") is False


def test_no_volumetry_resection_needs_data() -> None:
    assert status(fit_colorectal(volumetry=None), "resection") == "needs_data"


def test_lung_primary_resection_not_used() -> None:
    data = fit_colorectal(primary={"site": "lung_nsclc", "side": None})
    got = statuses(data)
    assert got["resection"] == "not_suitable"
    assert got["thermal_ablation"] == "candidate"


# --------------------------------------------------------------------------------------------
# Safety invariants, over a grid of cases
# --------------------------------------------------------------------------------------------

LIVER = {
    "A": (GOOD_LABS, {"ascites": "none", "encephalopathy_grade": 0}),
    "B": (
        {
            "bilirubin": {"value": 2.5, "unit": "mg/dL"},
            "albumin": {"value": 3.1, "unit": "g/dL"},
            "inr": {"value": 1.4, "unit": "ratio"},
        },
        {"ascites": "mild", "encephalopathy_grade": 0},
    ),
    "C": (DECOMPENSATED_LABS, {"ascites": "moderate_severe", "encephalopathy_grade": 2}),
    "unknown": (None, None),
}
EXTRAHEPATIC = {
    "none": {"present": False},
    "controllable": {"present": True, "controllable": True, "sites": [{"site": "lung"}]},
    "uncontrolled": {"present": True, "controllable": False, "sites": [{"site": "bone"}]},
    "unknown": None,
}
BASES = {
    "right-lobe": fit_colorectal,
    "bilobar": bilobar_colorectal,
    "transmet": transmet_like,
    "net": net_functioning,
}


def _grid() -> list[tuple[str, str, int | None, str, float | None]]:
    return list(
        itertools.product(BASES, LIVER, [0, 2, 3, 4, None], EXTRAHEPATIC, [12.0, 35.0, 60.0, None])
    )


def _grid_case(
    base: str, liver: str, ecog: int | None, ehd: str, sflr: float | None
) -> dict[str, Any]:
    labs, function = LIVER[liver]
    data = BASES[base](
        performance={"ecog": ecog, "fit_for_major_surgery": None},
        extrahepatic=EXTRAHEPATIC[ehd],
        volumetry={"sflr_percent": sflr},
    )
    data = merge(data, {"labs": labs, "liver_function": function})
    if ehd == "unknown":
        data.pop("extrahepatic", None)
    return data


@pytest.fixture(scope="module")
def grid_rows() -> list[tuple[tuple[Any, ...], dict[str, Any]]]:
    out = []
    for key in _grid():
        data = _grid_case(*key)
        data["case_id"] = "-".join(str(k) for k in key)
        out.append((key, evaluate_case(case_from_data(data))))
    return out


def test_surgery_never_candidate_when_unsafe(grid_rows: list[Any]) -> None:
    """Never "candidate" for resection, staged resections or transplant with Child-Pugh C,
    uncontrolled extrahepatic disease, ECOG 3-4 or an inadequate sFLR (transplant excepted)."""
    checked = 0
    for (base, liver, ecog, ehd, _sflr), row in grid_rows:
        for option in SURGICAL:
            got = row[f"option__{option}"]
            if liver == "C" or ehd == "uncontrolled" or (ecog is not None and ecog >= 3):
                assert got == "not_suitable", (base, liver, ecog, ehd, option, got)
                checked += 1
            if option not in GROWTH_STEPS and row["sflr__category"] == "inadequate":
                assert got != "candidate", (base, liver, ecog, ehd, option)
    assert checked > 500


def test_missing_critical_data_never_candidate(grid_rows: list[Any]) -> None:
    for (base, liver, ecog, ehd, sflr), row in grid_rows:
        if liver == "unknown" or ecog is None or ehd == "unknown":
            for option in OUR_OPTIONS:
                if option == "palliative_radiotherapy":
                    continue  # symptom relief: decided by the symptom, not by fitness
                got = row[f"option__{option}"]
                assert got != "candidate", (base, liver, ecog, ehd, sflr, option)
        if sflr is None:
            for option in (
                "resection",
                "resection_with_ablation",
                "portal_vein_embolisation",
                "two_stage_hepatectomy",
                "alpps",
            ):
                # unknown remnant: never candidate; "consider after X" only when another
                # requirement is unmet that X could fix (the remnant is then listed to obtain)
                assert row[f"option__{option}"] != "candidate", option


def test_some_never_candidate(grid_rows: list[Any]) -> None:
    for _key, row in grid_rows:
        for option in NEVER_CANDIDATE:
            assert row[f"option__{option}"] != "candidate", option


def test_statuses_agree_between_one_case_and_cohort_backends() -> None:
    cases = [
        fit_colorectal(),
        bilobar_colorectal(),
        unresectable_colorectal(),
        transmet_like(),
        net_functioning(),
        fit_colorectal(liver={"lesion_count": 4}),
        fit_colorectal(labs=None, liver_function=None),
        bilobar_colorectal(
            liver={"lesions": [lesion([4], 25, bile_duct_relation="near"), lesion([6], 18)]}
        ),
    ]
    flat = []
    scalar = []
    for i, data in enumerate(cases):
        data["case_id"] = f"c{i}"
        case = case_from_data(data)
        row = flatten(case)
        row["case_id"] = case.case_id
        flat.append(row)
        scalar.append(statuses(data))
    columns = [f"option__{o}" for o in OUR_OPTIONS]
    frame, children = rows_to_frames(flat)
    out = (
        evaluate_cohort(frame, children, only=columns)
        .collect()
        .sort(pl.col("case_id").str.slice(1).cast(pl.Int64))
    )
    for expected, got in zip(scalar, out.iter_rows(named=True), strict=True):
        assert {o: got[f"option__{o}"] for o in OUR_OPTIONS} == expected


# --------------------------------------------------------------------------------------------
# Ablation
# --------------------------------------------------------------------------------------------


def test_small_lesion_away_from_vessels_thermal_ablation_candidate() -> None:
    data = fit_colorectal(
        liver={"lesions": [lesion([6], 25)]},
        performance={"ecog": 1, "fit_for_major_surgery": False},
    )
    got = statuses(data)
    assert got["thermal_ablation"] == "candidate"
    assert got["irreversible_electroporation"] == "not_suitable"


def test_lesion_next_to_main_bile_duct_ire_over_thermal() -> None:
    data = fit_colorectal(
        liver={"lesions": [lesion([4], 24, bile_duct_relation="near", vessel_relation="abutting")]}
    )
    got = statuses(data)
    assert got["thermal_ablation"] == "not_suitable"
    assert got["irreversible_electroporation"] == "candidate"
    assert got["ethanol_injection"] == "consider_after"  # niche, never a candidate


def test_heat_sink_and_neighbours_are_flagged_not_blocking() -> None:
    data = fit_colorectal(
        liver={
            "lesions": [
                lesion([8], 22, near_large_vessel=True, near_diaphragm=True),
                lesion([5], 18, near_bowel_or_gallbladder=True),
            ]
        }
    )
    assert status(data, "thermal_ablation") == "candidate"
    assert result(data, "ablation.no_heat_sink") is False
    assert result(data, "ablation.clear_of_diaphragm") is False
    assert result(data, "ablation.clear_of_bowel") is False
    # a heat sink alone does not make heat unsafe (microwave is less affected)
    assert status(data, "irreversible_electroporation") == "not_suitable"


def test_larger_lesion_ablation_after_downsizing_combined_candidate() -> None:
    data = fit_colorectal(liver={"lesions": [lesion([7], 45), lesion([8], 16)]})
    got = statuses(data)
    assert got["thermal_ablation"] == "consider_after"
    assert got["resection_with_ablation"] == "candidate"
    assert got["irreversible_electroporation"] == "not_suitable"


def test_margin_not_achievable_rules_out_thermal_ablation() -> None:
    data = fit_colorectal(liver={"lesions": [lesion([6], 25, ablation_margin_achievable=False)]})
    assert status(data, "thermal_ablation") == "not_suitable"
    unknown = fit_colorectal(liver={"lesions": [lesion([6], 25, ablation_margin_achievable=None)]})
    assert status(unknown, "thermal_ablation") == "needs_data"


# --------------------------------------------------------------------------------------------
# Arterial therapies
# --------------------------------------------------------------------------------------------


def test_net_liver_dominant_hormone_symptoms_tace_candidate() -> None:
    got = statuses(net_functioning())
    assert got["tace"] == "candidate"
    assert got["tae"] == "candidate"
    assert got["sirt"] == "needs_data"  # planning angiography not done
    assert got["liver_transplant"] == "candidate"  # Milan-NET, specialist centre


def test_net_embolisation_needs_an_indication_and_liver_reserve() -> None:
    quiet = net_functioning(primary={"hormone_syndrome": False})
    assert status(quiet, "tace") == "not_suitable"  # stable, no symptoms
    progressing = net_functioning(
        primary={"hormone_syndrome": False}, response={"status": "progression"}
    )
    assert status(progressing, "tace") == "candidate"
    decompensated = net_functioning(
        labs=DECOMPENSATED_LABS,
        liver_function={"ascites": "moderate_severe", "encephalopathy_grade": 2},
    )
    assert status(decompensated, "tace") == "not_suitable"
    widespread = net_functioning(
        extrahepatic={"present": True, "controllable": False, "sites": [{"site": "bone"}]}
    )
    assert status(widespread, "tace") == "not_suitable"
    # limited bone disease the MDT still calls liver-dominant
    dominant = merge(widespread, {"liver": {"liver_dominant": True}})
    assert status(dominant, "tace") == "candidate"
    assert status(dominant, "liver_transplant") == "not_suitable"
    assert status(fit_colorectal(), "tace") == "not_suitable"  # not used outside NET here


def test_sirt_for_chemorefractory_unresectable_colorectal() -> None:
    workup = {"sirt_workup": {"lung_shunt_percent": 8, "nontarget_flow_excluded": True}}
    assert status(unresectable_colorectal(**workup), "sirt") == "candidate"
    assert status(unresectable_colorectal(), "sirt") == "needs_data"
    shunt = unresectable_colorectal(
        sirt_workup={"lung_shunt_percent": 24, "nontarget_flow_excluded": True}
    )
    assert status(shunt, "sirt") == "not_suitable"
    jaundiced = unresectable_colorectal(
        labs={"bilirubin": {"value": 2.6, "unit": "mg/dL"}}, **workup
    )
    assert status(jaundiced, "sirt") == "not_suitable"
    replaced = unresectable_colorectal(liver={"tumour_liver_percent": 75}, **workup)
    assert status(replaced, "sirt") == "not_suitable"
    first_line = unresectable_colorectal(prior_treatments={"systemic": []}, **workup)
    assert status(first_line, "sirt") == "consider_after"
    options = {o.id: o for o in assess(case_from_data(first_line)).options}
    assert options["sirt"].after == ["first-line systemic therapy"]


def test_hai_for_unresectable_liver_only_colorectal() -> None:
    got = statuses(unresectable_colorectal())
    assert got["hepatic_arterial_infusion"] == "candidate"
    assert registry().options["hepatic_arterial_infusion"].decl.specialist_centre
    assert status(net_functioning(), "hepatic_arterial_infusion") == "not_suitable"


def test_php_for_uveal_melanoma_liver_dominant() -> None:
    data = net_functioning(
        primary={
            "site": "melanoma_uveal",
            "grade": None,
            "ki67_percent": None,
            "hormone_syndrome": None,
        },
        biomarkers={"sstr": None},
    )
    assert status(data, "percutaneous_hepatic_perfusion") == "candidate"
    heavy = merge(data, {"liver": {"tumour_liver_percent": 60}})
    assert status(heavy, "percutaneous_hepatic_perfusion") == "not_suitable"
    assert status(fit_colorectal(), "percutaneous_hepatic_perfusion") == "not_suitable"


# --------------------------------------------------------------------------------------------
# Radiotherapy
# --------------------------------------------------------------------------------------------


def test_sabr_for_few_small_lesions_when_surgery_unsuitable() -> None:
    unfit = {"performance": {"ecog": 2, "fit_for_major_surgery": False}}
    assert status(fit_colorectal(**unfit), "sabr") == "candidate"
    four = fit_colorectal(liver={"lesions": [lesion([n], 20) for n in (2, 5, 6, 7)]}, **unfit)
    assert status(four, "sabr") == "not_suitable"
    large = fit_colorectal(liver={"lesions": [lesion([7], 58)]}, **unfit)
    assert status(large, "sabr") == "not_suitable"
    early = fit_colorectal(liver={"detection_date": "2024-05-01"}, **unfit)  # 3 months
    assert status(early, "sabr") == "not_suitable"
    synchronous = fit_colorectal(liver={"timing": "synchronous"}, **unfit)
    assert status(synchronous, "sabr") == "candidate"
    child_b = fit_colorectal(labs=LIVER["B"][0], liver_function=LIVER["B"][1], **unfit)
    assert status(child_b, "sabr") == "not_suitable"


def test_palliative_radiotherapy_for_liver_pain() -> None:
    data = unresectable_colorectal(
        symptoms=["right_upper_pain", "tiredness"], performance={"ecog": 3}
    )
    assert status(data, "palliative_radiotherapy") == "candidate"
    assert status(unresectable_colorectal(), "palliative_radiotherapy") == "not_suitable"


# --------------------------------------------------------------------------------------------
# Transplantation
# --------------------------------------------------------------------------------------------


def test_transmet_like_patient_transplant_candidate() -> None:
    assert status(transmet_like(), "liver_transplant") == "candidate"


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"biomarkers": {"braf_v600e": "mutant"}}, "not_suitable"),
        ({"biomarkers": {"braf_v600e": None}}, "needs_data"),
        ({"performance": {"ecog": 2}}, "not_suitable"),
        ({"patient": {"age_years": 68}}, "not_suitable"),
        (
            {
                "extrahepatic": {
                    "present": True,
                    "controllable": True,
                    "sites": [{"site": "lymph_nodes", "controllable": True}],
                }
            },
            "not_suitable",
        ),
        ({"primary": {"resected": False, "controlled": False}}, "consider_after"),
        ({"response": {"status": "progression", "disease_control_months": 0}}, "consider_after"),
        (
            {
                "liver": {"lesions": [lesion([6], 25), lesion([7], 20)]},
                "volumetry": {"sflr_percent": 60},
            },
            "not_suitable",
        ),  # resectable
    ],
)
def test_transplant_criteria_colorectal(changes: dict[str, Any], expected: str) -> None:
    assert status(transmet_like(**changes), "liver_transplant") == expected


def test_transplant_criteria_net() -> None:
    assert status(net_functioning(primary={"ki67_percent": 15}), "liver_transplant") == (
        "not_suitable"
    )
    assert status(net_functioning(patient={"age_years": 64}), "liver_transplant") == (
        "not_suitable"
    )
    assert status(net_functioning(liver={"tumour_liver_percent": 60}), "liver_transplant") == (
        "not_suitable"
    )
    short = net_functioning(response={"status": "stable", "disease_control_months": 3})
    assert status(short, "liver_transplant") == "consider_after"
    assert status(net_functioning(primary={"ki67_percent": None}), "liver_transplant") == (
        "needs_data"
    )


# --------------------------------------------------------------------------------------------
# Emerging techniques
# --------------------------------------------------------------------------------------------


def test_emerging_techniques_only_after_referral() -> None:
    for data in (fit_colorectal(), unresectable_colorectal(), net_functioning()):
        got = statuses(data)
        assert got["histotripsy"] == "consider_after"
        assert got["electrochemotherapy"] == "consider_after"
    options = {o.id: o for o in assess(case_from_data(fit_colorectal())).options}
    assert options["histotripsy"].after == ["referral to a clinical trial or specialist centre"]
    assert (
        status(fit_colorectal(primary={"site": "pancreas", "side": None}), "histotripsy")
        == "not_suitable"
    )
