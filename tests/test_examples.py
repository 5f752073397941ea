"""The example cases in ``examples/cases/``: valid, assessable, and covering the ground.

Every example must parse without errors or plausibility warnings and assess without error; each
computed score must carry its category and sources. Across the set, every primary site of the
case format (every primary the seeds name, plus sarcoma and unknown primary) and every option
status must appear, and every option must be the top candidate (the first ``candidate`` in
``assessment.options``, or named by the proposed direction) in at least one case. The seeds'
two worked examples must give the expected resection status and remnant-growth step.
``examples/README.md`` lists the cases and what each one demonstrates. Each example's expected
direction, option statuses and scores, written from the clinical reasoning, are in its
expectation file (``examples/cases/<name>.expect.yaml``), checked by tests/test_expectations.py.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from livermets.assessment.build import assess
from livermets.assessment.model import Assessment, OptionResult
from livermets.case.model import PRIMARY_SITES, Case
from livermets.case.plausibility import plausibility_warnings
from livermets.criteria.model import STATUSES
from livermets.criteria.registry import registry
from livermets.importers.case_text import parse_case
from livermets.scores.registry import SCORE_BY_ID

CASES_DIR = Path(__file__).resolve().parents[1] / "examples" / "cases"
README = CASES_DIR.parent / "README.md"
# the cases, not their expectation files (``<name>.expect.yaml``, tests/test_expectations.py)
CASE_FILES = sorted(
    p for p in [*CASES_DIR.glob("*.json"), *CASES_DIR.glob("*.yaml")] if ".expect." not in p.name
)
IDS = [p.stem for p in CASE_FILES]

# clinical_logic.md A.2: every primary named in the seeds (sarcoma is "named only").
SEED_PRIMARIES = {
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
}

RESECTABLE_SEED = "colorectal-two-right-lobe-resectable"
STAGED_SEED = "colorectal-bilobar-low-sflr-pve"


@cache
def load(stem: str) -> Case:
    path = CASES_DIR / (stem + (".json" if (CASES_DIR / f"{stem}.json").exists() else ".yaml"))
    return parse_case(path.read_text(encoding="utf-8"), source=path.name)


@cache
def assessed(stem: str) -> Assessment:
    return assess(load(stem))


def option(a: Assessment, option_id: str) -> OptionResult:
    found = [o for o in a.options if o.id == option_id]
    assert found, f"option {option_id!r} is not in the assessment"
    return found[0]


def unconditional(option_id: str) -> bool:
    """An option with no criteria at all (e.g. palliative care): a candidate in every case."""
    decl = registry().options[option_id].decl
    return not (decl.applies or decl.requires or decl.excludes)


def closed_by_format(option_id: str) -> bool:
    """An option that can never be a candidate because one of its criteria is a constant
    (``False`` or ``None``): the case format cannot record what it needs yet (e.g. HLA type,
    enrolment in a trial or specialist programme)."""
    rules = registry()
    decl = rules.options[option_id].decl
    return any(
        rules.criteria[c].decl.rule.strip() in {"False", "None"}
        for c in [*decl.applies, *decl.requires]
    )


def top_options(a: Assessment) -> set[str]:
    """The option(s) a case puts first: its first candidate (passing over options that are a
    candidate in every case, which count only where nothing else is), and any candidate the
    proposed direction names (a direction code that is an option id, or an option listed by
    name among the direction's reasons)."""
    candidates = [o for o in a.options if o.status == "candidate"]
    specific = [o for o in candidates if not unconditional(o.id)]
    tops: set[str] = {(specific or candidates)[0].id} if candidates else set()
    if a.direction is not None:
        for o in candidates:
            if a.direction.code == o.id or any(
                r.kind == "option" and r.id == o.id for r in a.direction.because
            ):
                tops.add(o.id)
    return tops


def test_there_are_at_least_twenty_examples() -> None:
    assert len(CASE_FILES) >= 20


# --- every example on its own -------------------------------------------------------------


@pytest.mark.parametrize("stem", IDS)
def test_example_validates_cleanly(stem: str) -> None:
    case = load(stem)
    assert case.case_id == stem, "case_id should match the file name"
    assert case.as_of is not None and case.as_of.year == 2026
    warnings = [str(w) for w in plausibility_warnings(case)]
    assert warnings == [], warnings


@pytest.mark.parametrize("stem", IDS)
def test_example_assesses_and_serialises(stem: str) -> None:
    a = assessed(stem)
    dumped = a.model_dump(mode="json")
    json.dumps(dumped)  # the JSON output is plain data
    assert dumped["case"]["case_id"] == stem
    assert dumped["options"], "no options were assessed"
    assert {o["status"] for o in dumped["options"]} <= set(STATUSES)


def _has(*values: Any) -> bool:
    return all(v is not None for v in values)


def _cea_series_above_uln(case: Case) -> bool:
    cea = [m for m in case.tumour_markers if m.marker == "cea" and m.date is not None]
    return len(cea) >= 3 and all(m.uln is not None and m.value > m.uln for m in cea[-2:])


# Scores that must be computed whenever a case records their inputs ("computable").
COMPUTABLE: dict[str, Callable[[Case], bool]] = {
    "child_pugh": lambda c: _has(
        c.labs.bilirubin,
        c.labs.albumin,
        c.labs.inr,
        c.liver_function.ascites,
        c.liver_function.encephalopathy_grade,
    ),
    "albi": lambda c: _has(c.labs.bilirubin, c.labs.albumin),
    "meld": lambda c: _has(
        c.labs.creatinine, c.labs.bilirubin, c.labs.inr, c.liver_function.dialysis
    ),
    "meld_na": lambda c: _has(
        c.labs.creatinine, c.labs.bilirubin, c.labs.inr, c.labs.sodium, c.liver_function.dialysis
    ),
    "meld_3_0": lambda c: _has(
        c.patient.sex,
        c.patient.age_years,
        c.labs.creatinine,
        c.labs.bilirubin,
        c.labs.inr,
        c.labs.sodium,
        c.labs.albumin,
        c.liver_function.dialysis,
    ),
    "fib4": lambda c: (
        _has(c.labs.ast, c.labs.alt, c.labs.platelets) and (c.patient.age_years or 0) >= 35
    ),
    "apri": lambda c: _has(c.labs.ast, c.labs.platelets) and c.labs.ast.uln is not None,
    "bsa": lambda c: _has(c.patient.height, c.patient.weight),
    "total_liver_volume": lambda c: _has(c.patient.height, c.patient.weight),
    "tumour_burden_score": lambda c: (
        bool(c.liver.lesions) and all(les.diameter is not None for les in c.liver.lesions)
    ),
    "sflr": lambda c: (
        c.volumetry.sflr_percent is not None
        or _has(c.volumetry.flr_volume, c.patient.height, c.patient.weight)
    ),
    "pve_hypertrophy": lambda c: _has(
        c.volumetry.sflr_pre_pve_percent,
        c.volumetry.sflr_post_pve_percent,
        c.volumetry.pve_date,
        c.volumetry.post_pve_scan_date,
    ),
    "karnofsky_from_ecog": lambda c: c.performance.ecog is not None,
    "ecog_from_karnofsky": lambda c: c.performance.karnofsky is not None,
    "cea_doubling_time": _cea_series_above_uln,
}


@pytest.mark.parametrize("stem", IDS)
def test_example_scores_have_category_and_source(stem: str) -> None:
    case = load(stem)
    scores = {s["id"]: s for s in assessed(stem).model_dump()["scores"]}
    for score_id, computable in COMPUTABLE.items():
        if score_id in scores and computable(case):
            assert scores[score_id]["computed"], (
                f"{score_id} should be computable here; missing {scores[score_id]['missing']}"
            )
    for score in scores.values():
        if not score["computed"]:
            continue
        assert score["sources"], f"{score['id']} has no source"
        assert all(ref["citation"] for ref in score["sources"])
        if SCORE_BY_ID[score["id"]].category is not None:
            assert score["category"], f"{score['id']} = {score['value']} has no category"


# --- the set as a whole -------------------------------------------------------------------


def test_examples_cover_every_primary() -> None:
    sites = {load(stem).primary.site for stem in IDS}
    assert set(PRIMARY_SITES) >= SEED_PRIMARIES
    assert not SEED_PRIMARIES - sites, f"no example for {sorted(SEED_PRIMARIES - sites)}"
    assert not set(PRIMARY_SITES) - sites, f"no example for {sorted(set(PRIMARY_SITES) - sites)}"


def test_examples_cover_every_option_status() -> None:
    seen = {o.status for stem in IDS for o in assessed(stem).options}
    assert seen == set(STATUSES), f"never seen: {sorted(set(STATUSES) - seen)}"


@cache
def top_cases() -> dict[str, list[str]]:
    """Option id -> the examples in which it is the top candidate."""
    tops: dict[str, list[str]] = {}
    for stem in IDS:
        for option_id in top_options(assessed(stem)):
            tops.setdefault(option_id, []).append(stem)
    return tops


# Options that no realistic case can make the top candidate, with the reason (none today: every
# option is the first candidate, or named by the proposed direction, in some example).
NOT_TOP_BY_DESIGN: dict[str, str] = {}


def _option_params() -> list[Any]:
    params = []
    for option_id in sorted(registry().options):
        marks = []
        if option_id in NOT_TOP_BY_DESIGN:
            marks.append(pytest.mark.xfail(strict=False, reason=NOT_TOP_BY_DESIGN[option_id]))
        params.append(pytest.param(option_id, marks=marks, id=option_id))
    return params


@pytest.mark.parametrize("option_id", _option_params())
def test_option_is_top_somewhere(option_id: str) -> None:
    if closed_by_format(option_id):
        pytest.skip("the case format cannot record what this option needs (constant criterion)")
    assert option_id in top_cases(), (
        f"{option_id} is not the top candidate in any example (first candidate or named by the "
        "proposed direction); add a case for it"
    )


def test_readme_lists_every_example() -> None:
    text = README.read_text(encoding="utf-8")
    unlisted = [p.name for p in CASE_FILES if f"`{p.name}`" not in text and p.name not in text]
    assert unlisted == [], f"examples/README.md does not list {unlisted}"


# --- the seeds' worked examples (seed 002) ------------------------------------------------


def test_seed_two_right_lobe_lesions_are_resectable() -> None:
    resection = option(assessed(RESECTABLE_SEED), "resection")
    assert resection.status == "candidate", resection.headline


def test_seed_bilobar_low_remnant_resection_after_pve() -> None:
    a = assessed(STAGED_SEED)
    sflr = next(s for s in a.scores if s.id == "sflr")
    assert sflr.computed and sflr.category == "inadequate"
    resection = option(a, "resection")
    assert resection.status == "consider_after", resection.headline
    assert any("portal vein embolisation" in step.lower() for step in resection.after), (
        resection.after
    )


# --- other clinical expectations ----------------------------------------------------------


def test_decompensated_liver_is_child_pugh_c_and_not_for_local_treatment() -> None:
    a = assessed("colorectal-decompensated-cirrhosis-child-pugh-c")
    child_pugh = next(s for s in a.scores if s.id == "child_pugh")
    assert child_pugh.category == "C"
    for option_id in ("resection", "thermal_ablation", "sirt", "tace"):
        assert option(a, option_id).status == "not_suitable", option_id
    assert option(a, "paracentesis").status == "candidate"


def test_cholangitis_puts_biliary_drainage_forward() -> None:
    a = assessed("pancreas-cholangitis-urgent-first")
    assert option(a, "biliary_drainage").status == "candidate"


def test_poor_performance_status_is_not_offered_chemotherapy() -> None:
    a = assessed("stomach-ecog-3-supportive-care")
    assert option(a, "chemotherapy").status != "candidate"
    assert option(a, "palliative_supportive_care").status == "candidate"


def test_incomplete_case_asks_for_data() -> None:
    a = assessed("colorectal-incomplete-data-staging-needed")
    assert a.missing_data, "the incomplete case should list missing data"
    for option_id in ("resection", "thermal_ablation", "chemotherapy"):
        assert option(a, option_id).status == "needs_data", option_id


# Each example's expected direction, key option statuses (including the targeted therapy a
# biomarker selects) and key scores live in its expectation file,
# ``examples/cases/<name>.expect.yaml``, checked by tests/test_expectations.py.


def test_only_supportive_care_for_ecog_4() -> None:
    a = assessed("pancreas-ecog-4-best-supportive-care")
    assert [o.id for o in a.options if o.status == "candidate"] == ["palliative_supportive_care"]
