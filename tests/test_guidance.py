"""Work-up checklist, prognostic factors and MDT prompts (knowledge/guidance/workup.yaml,
prognosis.yaml, prompts.yaml). Clinical ground: clinical_logic.md 0.2, C, G, H.5-H.6, J."""

from __future__ import annotations

import copy
from importlib import resources
from typing import Any

import pytest
import yaml

from livermets.assessment.pipeline import evaluate_case, steps
from livermets.case.model import PRIMARY_SITES
from livermets.cohort.engine import evaluate_cohort, rows_to_frames
from livermets.criteria.model import GuidanceFile, PrognosticFactorDecl, PromptDecl, WorkupDecl
from livermets.criteria.registry import CHILD_TABLES
from livermets.engine.parse import parse_rule
from livermets.features.flatten import flatten
from livermets.importers.case_text import case_from_data
from livermets.knowledge import sources

FILES = ("workup.yaml", "prognosis.yaml", "prompts.yaml")


def _load(name: str) -> GuidanceFile:
    text = resources.files("livermets.knowledge").joinpath("guidance", name).read_text("utf-8")
    return GuidanceFile.model_validate(yaml.safe_load(text))


def case(site: str, **sections: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "schema_version": "1.0",
        "case_id": f"g-{site}",
        "primary": {"site": site},
    }
    for key, value in sections.items():
        data[key] = {"site": site, **value} if key == "primary" else copy.deepcopy(value)
    return data


def run(data: dict[str, Any]) -> dict[str, Any]:
    return evaluate_case(case_from_data(data))


def prompts(row: dict[str, Any]) -> set[str]:
    return {k.removeprefix("prompt:") for k, v in row.items() if k.startswith("prompt:") and v}


def factors(row: dict[str, Any]) -> set[str]:
    return {
        k.removeprefix("prognosis:") for k, v in row.items() if k.startswith("prognosis:") and v
    }


def workup(row: dict[str, Any]) -> dict[str, str]:
    return {k.removeprefix("workup:"): v for k, v in row.items() if k.startswith("workup:")}


# --- declarations


@pytest.mark.parametrize("name", FILES)
def test_guidance_file_validates_parses_and_cites(name: str) -> None:
    content = _load(name)
    assert content.directions == []  # directions live elsewhere
    known = sources()
    items: list[PromptDecl | WorkupDecl | PrognosticFactorDecl] = [
        *content.prompts,
        *content.workup,
        *content.prognosis,
    ]
    assert items
    ids = [item.id for item in items]
    assert len(ids) == len(set(ids))
    for item in items:
        assert item.sources and set(item.sources) <= set(known), item.id
        for attr in ("rule", "needed", "done"):
            text = getattr(item, attr, None)
            if text is not None:
                parse_rule(text, child_tables=CHILD_TABLES)


def test_each_file_holds_only_its_own_kind() -> None:
    assert _load("workup.yaml").workup and not _load("workup.yaml").prompts
    assert _load("prognosis.yaml").prognosis and not _load("prognosis.yaml").workup
    assert _load("prompts.yaml").prompts and not _load("prompts.yaml").prognosis


def test_prognosis_figures_are_study_figures_not_personal_predictions() -> None:
    for factor in _load("prognosis.yaml").prognosis:
        for text in (factor.statement, factor.figures or ""):
            lowered = f" {text.lower()} "
            assert " you " not in lowered and " your " not in lowered, factor.id
            assert " will " not in lowered, factor.id
        if factor.figures:
            assert any(
                word in factor.figures.lower()
                for word in ("study", "studies", "series", "trial", "derivation", "zones", "seed")
            ), factor.id


# --- work-up checklist


def test_colorectal_workup_done_missing_and_not_needed() -> None:
    data = case(
        "colorectal",
        primary={"side": "left", "histology_confirmed": True},
        biomarkers={"kras": "wild_type", "nras": "wild_type"},
        tumour_markers=[{"marker": "cea", "value": 12, "unit": "ng/mL"}],
        investigations=[{"type": "ct_chest_abdomen_pelvis"}, {"type": "liver_mri"}],
        labs={
            "bilirubin": {"value": 0.7, "unit": "mg/dL"},
            "albumin": {"value": 41, "unit": "g/L"},
        },
        extrahepatic={"present": False},
        performance={"ecog": 0},
    )
    status = workup(run(data))
    for item in (
        "marker_cea",
        "ct_chest_abdomen_pelvis",
        "liver_mri",
        "crc_ras",
        "liver_blood_tests",
        "tissue_diagnosis",
        "performance_status",
    ):
        assert status[item] == "done", item
    for item in ("crc_braf", "mmr_msi", "crc_her2", "pet_ct", "clotting_and_blood_count"):
        assert status[item] == "missing", item
    for item in (
        "marker_ca15_3",
        "ssr_imaging",
        "breast_receptors",
        "gist_mutation",
        "melanoma_braf",
        "liver_biopsy",
        "marker_psa",
    ):
        assert status[item] == "not_needed", item


def test_site_specific_items_are_not_marked_done_for_other_primaries() -> None:
    data = case(
        "breast",
        biomarkers={
            "er": "positive",
            "pr": "positive",
            "her2": "negative",
            "braf_v600e": "wild_type",
        },
    )
    status = workup(run(data))
    assert status["breast_receptors"] == "done"
    assert status["melanoma_braf"] == "not_needed"
    assert status["her2_gastro_oesophageal"] == "not_needed"
    assert status["liver_biopsy"] == "missing"  # re-check receptors on the metastasis
    assert status["brca"] == "missing"


def test_a_done_test_counts_only_where_needed_unless_marked() -> None:
    """`done` does not repeat `needed`: a biomarker known for a primary that does not call for
    it is "not needed"; a marker or scan marked done_if_not_needed shows as done anyway."""
    for item in _load("workup.yaml").workup:
        if item.needed != "True":
            assert not item.done.startswith(f"({item.needed})"), item.id
    data = case(
        "breast",
        biomarkers={"kras": "wild_type", "nras": "wild_type"},
        investigations=[{"type": "brain_imaging"}],
        tumour_markers=[{"marker": "cea", "value": 3.0, "unit": "ng/mL"}],
    )
    status = workup(run(data))
    assert status["crc_ras"] == "not_needed"  # known, but not a colorectal primary
    assert status["brain_imaging"] == "done"  # done_if_not_needed
    assert status["marker_cea"] == "done"


def test_rules_read_score_categories_never_a_cut_off() -> None:
    """Fong, GAME, TBS and KGR thresholds live in scores/ only: no knowledge rule compares those
    scores with a number (prognosis, prompts, directions and option criteria alike)."""
    import re

    from livermets.criteria.registry import registry

    scored = ("fong_crs", "game_score", "tumour_burden_score", "pve_hypertrophy")
    cut_off = re.compile(rf"\b({'|'.join(scored)})\b\s*(<|>|<=|>=|==)\s*-?\d")
    texts = [c.decl.rule for c in registry().criteria.values()]
    texts += [d.decl.rule for d in registry().definitions.values()]
    folder = resources.files("livermets.knowledge").joinpath("guidance")
    texts += [folder.joinpath(n).read_text("utf-8") for n in (*FILES, "directions.yaml")]
    for text in texts:
        assert not cut_off.search(text), cut_off.search(text)


def test_directions_explain_systemic_options_by_group() -> None:
    from livermets.assessment.pipeline import guidance
    from livermets.criteria.registry import registry

    rules = registry()
    for direction in guidance().directions:
        listed = [o for o in direction.explain if o in rules.options]
        systemic = [o for o in listed if rules.options[o].decl.group == "systemic"]
        assert len(systemic) <= 1, direction.code  # a group is explained by group, not by hand
    control = next(d for d in guidance().directions if d.code == "systemic_disease_control")
    assert control.explain_groups == ["systemic"]
    assert "prrt" in [o.id for o in rules.group_options("systemic")]


def test_net_workup_needs_ssr_imaging_and_grade() -> None:
    status = workup(run(case("neuroendocrine")))
    assert status["ssr_imaging"] == "missing"
    assert status["net_grade_ki67"] == "missing"
    assert status["marker_chromogranin_a"] == "missing"
    assert status["liver_biopsy"] == "missing"  # no Ki-67 yet
    status = workup(
        run(case("neuroendocrine", primary={"ki67_percent": 4}, biomarkers={"sstr": "positive"}))
    )
    assert status["ssr_imaging"] == "done" and status["net_grade_ki67"] == "done"
    assert status["liver_biopsy"] == "not_needed"


def test_unknown_primary_workup() -> None:
    status = workup(run(case("unknown_primary", patient={"sex": "female"})))
    assert status["marker_ca125"] == "missing" and status["marker_afp"] == "missing"
    assert status["marker_psa"] == "not_needed"
    assert status["pet_ct"] == "missing" and status["liver_biopsy"] == "missing"


def test_volumetry_needed_for_bilobar_liver_limited_colorectal() -> None:
    lesions = [{"segments": [2, 3]}, {"segments": [7, 8]}]
    base = {"extrahepatic": {"present": False}, "liver": {"lesions": lesions}}
    assert workup(run(case("colorectal", **base)))["liver_volumetry"] == "missing"
    done = {**base, "volumetry": {"sflr_percent": 32}}
    assert workup(run(case("colorectal", **done)))["liver_volumetry"] == "done"
    single = {"extrahepatic": {"present": False}, "liver": {"lesions": [{"segments": [6]}]}}
    assert workup(run(case("colorectal", **single)))["liver_volumetry"] == "not_needed"


# --- prognostic factors


def test_prognostic_factors_present_for_high_risk_colorectal() -> None:
    data = case(
        "colorectal",
        primary={"node_positive": True, "side": "right"},
        liver={
            "timing": "synchronous",
            "lesions": [
                {"segments": [7], "diameter": {"value": 6, "unit": "cm"}},
                {"segments": [3], "diameter": {"value": 2, "unit": "cm"}},
            ],
        },
        tumour_markers=[{"marker": "cea", "value": 250, "unit": "ng/mL"}],
        biomarkers={"kras": "mutant", "braf_v600e": "wild_type"},
        extrahepatic={"present": True, "sites": [{"site": "lung"}]},
        performance={"ecog": 1},
    )
    present = factors(run(data))
    assert {
        "fong_high_risk",
        "multiple_liver_lesions",
        "large_liver_lesion",
        "extrahepatic_disease",
        "node_positive_primary",
        "short_disease_free_interval",
        "cea_raised",
        "ras_mutant",
        "good_performance_status",
        "game_high_risk",
    } <= present
    assert not present & {
        "fong_low_risk",
        "liver_only_disease",
        "single_liver_lesion",
        "ras_wild_type",
    }


def test_prognostic_factors_favourable_and_unknown_stays_silent() -> None:
    data = case(
        "colorectal",
        primary={"node_positive": False, "diagnosis_date": "2023-01-10"},
        liver={
            "detection_date": "2025-03-01",
            "lesions": [{"segments": [6], "diameter": {"value": 2, "unit": "cm"}}],
        },
        tumour_markers=[{"marker": "cea", "value": 3, "unit": "ng/mL"}],
        extrahepatic={"present": False},
    )
    present = factors(run(data))
    assert {
        "fong_low_risk",
        "single_liver_lesion",
        "liver_only_disease",
        "tumour_burden_low",
    } <= present
    assert "poor_performance_status" not in present and "good_performance_status" not in present


def test_other_primary_factors() -> None:
    assert "pancreatic_primary" in factors(run(case("pancreas")))
    assert "net_low_grade" in factors(run(case("neuroendocrine", primary={"ki67_percent": 1})))
    breast = factors(run(case("breast", biomarkers={"er": "negative", "pr": "negative"})))
    assert "breast_er_negative" in breast and "breast_hr_positive" not in breast


# --- prompts


def test_hpb_prompt_for_liver_limited_colorectal() -> None:
    row = run(case("colorectal", extrahepatic={"present": False}))
    assert {"hpb_mdt_colorectal", "hpb_review_not_recorded"} <= prompts(row)


def test_hpb_prompt_is_not_hidden_by_missing_data() -> None:
    assert "hpb_mdt_colorectal" in prompts(run(case("colorectal")))
    controllable = {"present": True, "sites": [{"site": "lung", "controllable": True}]}
    assert "hpb_mdt_colorectal" in prompts(run(case("colorectal", extrahepatic=controllable)))


def test_hpb_prompt_stays_after_review_but_gap_note_goes() -> None:
    row = run(
        case("colorectal", extrahepatic={"present": False}, care={"discussed_at_hpb_mdt": True})
    )
    assert "hpb_mdt_colorectal" in prompts(row)
    assert "hpb_review_not_recorded" not in prompts(row)


def test_no_hpb_prompt_for_widespread_or_other_primaries() -> None:
    spread = {"present": True, "controllable": False, "sites": [{"site": "peritoneum"}]}
    assert "hpb_mdt_colorectal" not in prompts(run(case("colorectal", extrahepatic=spread)))
    assert "hpb_mdt_colorectal" not in prompts(run(case("breast", extrahepatic={"present": False})))


def test_biomarker_testing_prompts() -> None:
    assert "test_colorectal_biomarkers" in prompts(run(case("colorectal")))
    tested = {
        "kras": "wild_type",
        "nras": "wild_type",
        "braf_v600e": "wild_type",
        "mmr": "pmmr_mss",
    }
    assert "test_colorectal_biomarkers" not in prompts(run(case("colorectal", biomarkers=tested)))
    assert "rebiopsy_breast_metastasis" in prompts(run(case("breast")))
    assert "test_gist_mutation" in prompts(run(case("gist")))
    assert "test_uveal_hla" in prompts(run(case("melanoma_uveal")))
    typed = case("melanoma_uveal", biomarkers={"hla_a0201": "negative"})
    assert "test_uveal_hla" not in prompts(run(typed))
    assert workup(run(typed))["uveal_hla"] == "done"
    assert "cup_pathway" in prompts(run(case("unknown_primary")))


def test_liver_toxic_medicine_review_when_liver_function_impaired() -> None:
    impaired = case(
        "breast",
        labs={
            "bilirubin": {"value": 2.5, "unit": "mg/dL"},
            "albumin": {"value": 3.0, "unit": "g/dL"},
            "inr": {"value": 1.5, "unit": "ratio"},
        },
        liver_function={"ascites": "mild", "encephalopathy_grade": 0},
    )
    row = run(impaired)
    assert row["child_pugh__category"] in {"B", "C"}
    assert {"liver_toxic_medicines", "child_pugh_in_metastases"} <= prompts(row)
    normal = case("breast", labs={"bilirubin": {"value": 0.5, "unit": "mg/dL"}})
    assert "liver_toxic_medicines" not in prompts(run(normal))


def test_urgent_and_supportive_prompts() -> None:
    row = run(
        case(
            "colorectal",
            symptoms=["fever_sweats"],
            acute_problems=["sepsis"],
            performance={"ecog": 2},
        )
    )
    assert {"fever_or_sepsis", "acute_problem_first", "palliative_care_referral"} <= prompts(row)
    assert "cholangitis" in prompts(run(case("pancreas", acute_problems=["cholangitis"])))
    assert "ecog_converted" in prompts(run(case("colorectal", performance={"karnofsky": 70})))


def test_thresholds_are_flags_is_always_shown() -> None:
    for site in PRIMARY_SITES:
        assert "thresholds_are_flags" in prompts(run(case(site)))


# --- the cohort backend agrees

CASES = [
    case(
        "colorectal",
        extrahepatic={"present": False},
        performance={"karnofsky": 60},
        tumour_markers=[{"marker": "cea", "value": 40, "unit": "ng/mL"}],
    ),
    case(
        "breast",
        biomarkers={"er": "negative", "pr": "negative", "her2": "negative"},
        investigations=[{"type": "liver_biopsy"}],
    ),
    case(
        "neuroendocrine",
        primary={"ki67_percent": 30},
        response={"status": "stable"},
        tumour_markers=[{"marker": "chromogranin_a", "value": 300, "unit": "ng/mL"}],
    ),
    case(
        "unknown_primary",
        patient={"sex": "male"},
        tumour_markers=[{"marker": "afp", "value": 400, "unit": "ng/mL", "uln": 10}],
    ),
    case(
        "pancreas",
        symptoms=["jaundice"],
        acute_problems=["cholangitis"],
        labs={"bilirubin": {"value": 5, "unit": "mg/dL"}},
    ),
]


def test_cohort_backend_gives_the_same_guidance() -> None:
    mine = [s.name for s in steps() if s.kind in {"prompt", "workup", "prognosis"}]
    parsed = [case_from_data({**d, "case_id": f"c{i}"}) for i, d in enumerate(CASES)]
    rows = [evaluate_case(c) for c in parsed]
    frames = rows_to_frames([{**flatten(c), "case_id": c.case_id} for c in parsed])
    by_id = {r["case_id"]: r for r in evaluate_cohort(*frames, only=mine).collect().to_dicts()}
    assert len(by_id) == len(parsed)
    for c, row in zip(parsed, rows, strict=True):
        other = by_id[c.case_id]
        for name in mine:
            assert row[name] == other[name], (row["primary_site"], name, row[name], other[name])
