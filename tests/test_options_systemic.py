"""Systemic-therapy directions, supportive care and trials (knowledge/options/<option_id>.yaml,
shared criteria in knowledge/criteria/systemic.yaml): statuses for realistic cases, "test
first" as needs data, and the declarations themselves (sources, ids, no doses). Clinical
ground: clinical_logic.md F, H.5."""

from __future__ import annotations

import copy
import re
from importlib import resources
from typing import Any

import pytest
import yaml

from livermets.assessment.build import build_assessment
from livermets.assessment.pipeline import evaluate_case, steps
from livermets.case.model import PRIMARY_SITES
from livermets.cohort.engine import evaluate_cohort, rows_to_frames
from livermets.criteria.registry import registry
from livermets.features.flatten import flatten
from livermets.importers.case_text import case_from_data
from livermets.knowledge import sources

SYSTEMIC_IDS = {
    "chemotherapy",
    "anti_egfr",
    "anti_angiogenic",
    "braf_directed",
    "immunotherapy",
    "her2_directed",
    "endocrine_cdk46",
    "parp_inhibitor",
    "egfr_inhibitor",
    "alk_inhibitor",
    "ros1_inhibitor",
    "kras_g12c_inhibitor",
    "somatostatin_analogue",
    "prrt",
    "imatinib",
    "tebentafusp",
    "androgen_directed",
}
SUPPORTIVE_IDS = {"palliative_supportive_care", "paracentesis", "biliary_drainage"}


MY_OPTIONS = (*sorted(SYSTEMIC_IDS), *sorted(SUPPORTIVE_IDS), "clinical_trial")


def _my_text(option_id: str) -> str:
    folder = resources.files("livermets.knowledge").joinpath("options")
    return folder.joinpath(f"{option_id}.yaml").read_text("utf-8")


def case(site: str, **sections: Any) -> dict[str, Any]:
    """A case dict: primary site plus sections; ``primary`` extras go in ``primary=``."""
    data: dict[str, Any] = {
        "schema_version": "1.0",
        "case_id": f"t-{site}",
        "primary": {"site": site},
        # compensated liver function unless a test says otherwise: chemotherapy needs it known
        "labs": {
            "bilirubin": {"value": 0.6, "unit": "mg/dL"},
            "albumin": {"value": 4.0, "unit": "g/dL"},
            "inr": {"value": 1.0, "unit": "ratio"},
        },
        "liver_function": {"ascites": "none", "encephalopathy_grade": 0},
    }
    for key, value in sections.items():
        if key == "primary":
            data["primary"] = {"site": site, **value}
        else:
            data[key] = copy.deepcopy(value)
    return data


def run(data: dict[str, Any]) -> dict[str, Any]:
    return evaluate_case(case_from_data(data))


def status(data: dict[str, Any], option_id: str) -> str:
    return str(run(data)[f"option__{option_id}"])


def obtain(data: dict[str, Any], option_id: str) -> list[str]:
    parsed = case_from_data(data)
    assessment = build_assessment(parsed, evaluate_case(parsed))
    return next(o.obtain for o in assessment.options if o.id == option_id)


FIT = {"ecog": 1}
CRC_WT = {"kras": "wild_type", "nras": "wild_type", "braf_v600e": "wild_type", "mmr": "pmmr_mss"}


def crc(side: str = "left", **biomarkers: str) -> dict[str, Any]:
    return case(
        "colorectal",
        primary={"side": side},
        biomarkers={**CRC_WT, **biomarkers},
        performance=FIT,
        extrahepatic={"present": False},
        prior_treatments={"systemic": []},  # first presentation: no previous lines
    )


# --- declarations


def test_option_ids_and_groups() -> None:
    options = registry().options
    assert set(options) >= SYSTEMIC_IDS
    assert set(options) >= SUPPORTIVE_IDS and "clinical_trial" in options
    for option_id in SYSTEMIC_IDS:
        assert options[option_id].decl.group == "systemic"
    for option_id in SUPPORTIVE_IDS:
        assert options[option_id].decl.group == "supportive"
    assert options["clinical_trial"].decl.group == "trial"


def test_every_declaration_cites_known_sources_and_ids_are_prefixed() -> None:
    known = sources()
    rules = registry()
    for option_id in MY_OPTIONS:
        option = rules.options[option_id].decl
        assert yaml.safe_load(_my_text(option_id))["id"] == option_id
        for criterion in option.criteria:  # its own criteria
            assert criterion.id.split(".")[0] in {"systemic", "supportive", "trial"}
            assert criterion.sources and set(criterion.sources) <= set(known), criterion.id
        assert option.sources and set(option.sources) <= set(known), option.id


# an amount of drug (mg, mcg, mg/m2, mg/kg, units/kg), not a lab concentration (mg/dL, mg/L)
DOSE = re.compile(
    r"\b\d+(\.\d+)?\s?(mg|mcg|µg|ug|g)(?!\s?/\s?(dl|l)\b)(/m2|/kg)?\b|\bunits?/kg\b",
    re.IGNORECASE,
)


def test_no_doses_in_any_text() -> None:
    folder = resources.files("livermets.knowledge")
    texts = [_my_text(o) for o in MY_OPTIONS]
    texts.append(folder.joinpath("criteria", "systemic.yaml").read_text("utf-8"))
    for text in texts:
        assert not DOSE.search(text), DOSE.search(text)


# --- colorectal


def test_left_sided_ras_braf_wild_type_is_anti_egfr_candidate() -> None:
    row = run(crc())
    assert row["option__anti_egfr"] == "candidate"
    assert row["option__chemotherapy"] == "candidate"
    assert row["option__anti_angiogenic"] == "candidate"
    assert row["option__immunotherapy"] == "not_suitable"  # pMMR
    assert row["option__braf_directed"] == "not_suitable"


def test_ras_unknown_means_test_ras_first() -> None:
    data = crc()
    del data["biomarkers"]["kras"], data["biomarkers"]["nras"]
    assert status(data, "anti_egfr") == "needs_data"
    assert "extended RAS testing (KRAS and NRAS)" in obtain(data, "anti_egfr")


def test_braf_unknown_means_test_braf_first() -> None:
    data = crc()
    del data["biomarkers"]["braf_v600e"]
    assert status(data, "anti_egfr") == "needs_data"
    assert status(data, "braf_directed") == "needs_data"
    assert "BRAF V600E testing" in obtain(data, "anti_egfr")


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (crc(side="right"), "right-sided"),
        (crc(kras="mutant"), "RAS mutant"),
        (crc(braf_v600e="mutant"), "BRAF V600E"),
    ],
)
def test_anti_egfr_not_suitable(data: dict[str, Any], why: str) -> None:
    assert status(data, "anti_egfr") == "not_suitable", why


def test_anti_egfr_not_used_outside_colorectal() -> None:
    data = case("breast", biomarkers={"er": "positive", "her2": "negative"}, performance=FIT)
    assert status(data, "anti_egfr") == "not_suitable"


def test_dmmr_colorectal_is_immunotherapy_candidate_and_mmr_unknown_asks_for_it() -> None:
    assert status(crc(mmr="dmmr_msi_high"), "immunotherapy") == "candidate"
    data = crc()
    del data["biomarkers"]["mmr"]
    assert status(data, "immunotherapy") == "needs_data"


def test_braf_v600e_colorectal_is_braf_directed_candidate() -> None:
    assert status(crc(braf_v600e="mutant"), "braf_directed") == "candidate"


def test_her2_in_colorectal_only_once_ras_wild_type() -> None:
    assert status(crc(her2="positive"), "her2_directed") == "candidate"
    assert status(crc(kras="mutant"), "her2_directed") == "not_suitable"
    assert status(crc(), "her2_directed") == "needs_data"  # RAS wt, HER2 not tested


def test_kras_g12c_after_first_line() -> None:
    data = crc(kras="mutant", kras_g12c="mutant")
    assert status(data, "kras_g12c_inhibitor") == "consider_after"
    del data["prior_treatments"]  # previous treatment not recorded
    assert status(data, "kras_g12c_inhibitor") == "needs_data"
    data["prior_treatments"] = {"systemic": [{"regimen_class": "FOLFOX + anti-VEGF"}]}
    assert status(data, "kras_g12c_inhibitor") == "candidate"
    assert status(crc(), "kras_g12c_inhibitor") == "not_suitable"  # KRAS wild-type


def test_poor_performance_status_is_consider_after_not_a_bar() -> None:
    data = crc()
    data["performance"] = {"ecog": 3}
    assert status(data, "chemotherapy") == "consider_after"
    data["performance"] = {}
    assert status(data, "chemotherapy") == "needs_data"
    assert "ECOG performance status" in obtain(data, "chemotherapy")


# --- breast


def breast(**biomarkers: str | float) -> dict[str, Any]:
    return case("breast", biomarkers=biomarkers, performance=FIT)


def test_hr_positive_her2_negative_breast_is_endocrine_cdk46_candidate() -> None:
    row = run(breast(er="positive", pr="positive", her2="negative"))
    assert row["option__endocrine_cdk46"] == "candidate"
    assert row["option__her2_directed"] == "not_suitable"
    assert row["option__immunotherapy"] == "not_suitable"
    assert row["option__parp_inhibitor"] == "needs_data"  # germline BRCA not tested


def test_her2_low_hr_positive_is_still_endocrine_candidate() -> None:
    row = run(breast(er="positive", her2="low"))
    assert row["option__endocrine_cdk46"] == "candidate"
    assert row["option__her2_directed"] == "candidate"


def test_her2_positive_breast() -> None:
    row = run(breast(er="negative", pr="negative", her2="positive"))
    assert row["option__her2_directed"] == "candidate"
    assert row["option__endocrine_cdk46"] == "not_suitable"


def test_breast_receptors_unknown_ask_for_them() -> None:
    data = breast()
    assert status(data, "endocrine_cdk46") == "needs_data"
    assert any("ER/PR" in item for item in obtain(data, "endocrine_cdk46"))


def test_triple_negative_breast_immunotherapy_by_pd_l1() -> None:
    tnbc = {"er": "negative", "pr": "negative", "her2": "negative"}
    assert status(breast(**tnbc), "immunotherapy") == "needs_data"
    data = breast(**tnbc)
    data["biomarkers"]["pd_l1_percent"] = 12
    assert status(data, "immunotherapy") == "candidate"
    data["biomarkers"]["pd_l1_percent"] = 2
    assert status(data, "immunotherapy") == "not_suitable"


def test_brca_mutant_breast_is_parp_candidate() -> None:
    assert status(breast(er="positive", her2="negative", brca="mutant"), "parp_inhibitor") == (
        "candidate"
    )


# --- other primaries


def net(**primary: Any) -> dict[str, Any]:
    return case(
        "neuroendocrine",
        primary=primary,
        biomarkers={"sstr": "positive"},
        performance=FIT,
        prior_treatments={"systemic": []},
    )


def test_sstr_positive_g2_net_is_ssa_and_prrt_candidate() -> None:
    row = run(net(grade=2, ki67_percent=12))
    assert row["option__somatostatin_analogue"] == "candidate"
    assert row["option__prrt"] == "candidate"
    assert row["option__chemotherapy"] == "not_suitable"


def test_low_grade_net_prrt_after_progression_on_ssa() -> None:
    assert status(net(grade=1, ki67_percent=2), "prrt") == "consider_after"


def test_net_without_sstr_imaging_asks_for_it() -> None:
    data = net(grade=2, ki67_percent=12)
    data["biomarkers"] = {}
    assert status(data, "somatostatin_analogue") == "needs_data"
    assert any("somatostatin-receptor imaging" in item for item in obtain(data, "prrt"))


def test_net_grade_from_ki67_when_grade_not_recorded() -> None:
    assert status(net(ki67_percent=5), "somatostatin_analogue") == "candidate"
    assert status(net(ki67_percent=40), "chemotherapy") == "candidate"  # G3 / NEC


def test_kit_mutant_gist_is_imatinib_candidate() -> None:
    data = case("gist", biomarkers={"kit_pdgfra": "mutant"}, performance=FIT)
    row = run(data)
    assert row["option__imatinib"] == "candidate"
    assert row["option__chemotherapy"] == "not_suitable"
    assert status(case("gist", performance=FIT), "imatinib") == "needs_data"
    assert status(case("gist", biomarkers={"kit_pdgfra": "wild_type"}), "imatinib") == (
        "not_suitable"
    )


def test_nsclc_driver_selects_targeted_therapy_not_immunotherapy() -> None:
    driver = {"egfr": "mutant", "alk": "negative", "ros1": "negative", "pd_l1_percent": 60}
    row = run(case("lung_nsclc", biomarkers=driver, performance=FIT))
    assert row["option__egfr_inhibitor"] == "candidate"
    assert row["option__alk_inhibitor"] == "not_suitable"
    assert row["option__immunotherapy"] == "not_suitable"
    no_driver = {**driver, "egfr": "wild_type"}
    assert status(case("lung_nsclc", biomarkers=no_driver, performance=FIT), "immunotherapy") == (
        "candidate"
    )
    assert status(case("lung_nsclc", performance=FIT), "immunotherapy") == "needs_data"


def test_brca_pancreas_parp_after_platinum() -> None:
    data = case(
        "pancreas",
        biomarkers={"brca": "mutant"},
        performance=FIT,
        prior_treatments={"systemic": []},
    )
    assert status(data, "parp_inhibitor") == "consider_after"
    data["prior_treatments"] = {
        "systemic": [{"regimen_class": "platinum-based triplet", "best_response": "stable"}]
    }
    data["response"] = {"status": "stable"}
    assert status(data, "parp_inhibitor") == "candidate"


def test_uveal_melanoma_tebentafusp_by_hla_type() -> None:
    data = case("melanoma_uveal", performance=FIT)
    assert status(data, "tebentafusp") == "needs_data"
    assert "HLA-A*02:01 typing" in obtain(data, "tebentafusp")
    data["biomarkers"] = {"hla_a0201": "positive"}
    assert status(data, "tebentafusp") == "candidate"
    data["biomarkers"] = {"hla_a0201": "negative"}
    assert status(data, "tebentafusp") == "not_suitable"
    assert status(case("melanoma_cutaneous", performance=FIT), "tebentafusp") == "not_suitable"


def test_unknown_primary_goes_to_biopsy_and_cup_team_first() -> None:
    data = case("unknown_primary", performance=FIT)
    assert status(data, "chemotherapy") == "needs_data"
    assert any("CUP" in item for item in obtain(data, "chemotherapy"))
    data["primary"]["histology_confirmed"] = True
    assert status(data, "chemotherapy") == "candidate"


def test_prostate_androgen_directed() -> None:
    assert status(case("prostate", performance=FIT), "androgen_directed") == "candidate"
    assert status(crc(), "androgen_directed") == "not_suitable"


# --- supportive care and trials


@pytest.mark.parametrize("site", PRIMARY_SITES)
def test_palliative_supportive_care_is_a_candidate_for_every_case(site: str) -> None:
    assert status(case(site), "palliative_supportive_care") == "candidate"


def test_supportive_considerations_show_what_applies() -> None:
    data = crc()
    data["liver_function"] = {"ascites": "moderate_severe"}
    data["symptoms"] = ["itching", "weight_loss"]
    data["performance"] = {"ecog": 2}
    parsed = case_from_data(data)
    assessment = build_assessment(parsed, evaluate_case(parsed))
    care = next(o for o in assessment.options if o.id == "palliative_supportive_care")
    met = {c.id for c in care.considerations if c.result == "met"}
    assert {
        "supportive.palliative_referral",
        "supportive.ascites_noted",
        "supportive.itch",
        "supportive.nutrition",
    } <= met
    assert "supportive.pain" not in met


def test_paracentesis_follows_ascites() -> None:
    data = crc()
    data["liver_function"] = {"ascites": "moderate_severe"}
    assert status(data, "paracentesis") == "candidate"
    data["liver_function"] = {"ascites": "none"}
    assert status(data, "paracentesis") == "not_suitable"


def test_biliary_drainage_for_obstructive_jaundice() -> None:
    data = crc()
    data["labs"] = {"bilirubin": {"value": 85, "unit": "µmol/L"}}
    data["liver"] = {"lesions": [{"segments": [4], "bile_duct_relation": "involving"}]}
    assert status(data, "biliary_drainage") == "candidate"
    data["liver"] = {"lesions": [{"segments": [6], "bile_duct_relation": "clear"}]}
    assert status(data, "biliary_drainage") == "not_suitable"
    data["labs"] = {"bilirubin": {"value": 0.6, "unit": "mg/dL"}}
    data["liver"] = {"lesions": [{"segments": [4], "bile_duct_relation": "involving"}]}
    assert status(data, "biliary_drainage") == "not_suitable"


def test_clinical_trial_when_standard_options_are_limited() -> None:
    assert status(crc(), "clinical_trial") == "consider_after"
    data = crc()
    data["prior_treatments"] = {
        "systemic": [
            {"regimen_class": "FOLFOX + anti-EGFR"},
            {"regimen_class": "FOLFIRI + anti-VEGF"},
        ]
    }
    assert status(data, "clinical_trial") == "candidate"
    assert status(case("melanoma_uveal", performance=FIT), "clinical_trial") == "candidate"


# --- the cohort backend agrees

CASES = [
    crc(),
    crc(side="right", kras="mutant"),
    crc(mmr="dmmr_msi_high", braf_v600e="mutant"),
    case("colorectal", performance={"karnofsky": 50}),
    breast(er="positive", pr="negative", her2="low"),
    breast(er="negative", pr="negative", her2="negative", pd_l1_percent=15),
    net(grade=2, ki67_percent=12),
    net(ki67_percent=2),
    case("gist", biomarkers={"kit_pdgfra": "mutant"}, performance=FIT),
    case("lung_nsclc", biomarkers={"kras_g12c": "mutant", "egfr": "wild_type"}, performance=FIT),
    case(
        "pancreas", biomarkers={"brca": "mutant"}, labs={"bilirubin": {"value": 4, "unit": "mg/dL"}}
    ),
    case("melanoma_uveal", symptoms=["jaundice", "itching"], liver_function={"ascites": "mild"}),
    case("unknown_primary", acute_problems=["cholangitis"]),
]


def test_cohort_backend_gives_the_same_statuses() -> None:
    names = [s.name for s in steps() if s.kind in {"criterion", "option"}]
    mine = [
        n
        for n in names
        if n.startswith(
            ("option__", "criterion:systemic.", "criterion:supportive.", "criterion:trial.")
        )
    ]
    parsed = [case_from_data({**d, "case_id": f"c{i}"}) for i, d in enumerate(CASES)]
    rows = [evaluate_case(c) for c in parsed]
    frames = rows_to_frames([{**flatten(c), "case_id": c.case_id} for c in parsed])
    by_id = {r["case_id"]: r for r in evaluate_cohort(*frames, only=mine).collect().to_dicts()}
    assert len(by_id) == len(parsed)
    for c, row in zip(parsed, rows, strict=True):
        other = by_id[c.case_id]
        for name in mine:
            assert row[name] == other[name], (row["primary_site"], name, row[name], other[name])
