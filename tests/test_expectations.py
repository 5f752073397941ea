"""Every example against its expectation file (``examples/cases/<name>.expect.yaml``).

An expectation file is written from the clinical reasoning (see ``examples/README.md``), not
from livermets' output: the lead direction, the statuses of the options the reasoning depends
on, and the key scores with their values and/or categories. Each entry is one test. An entry
that carries ``pending: {issue, current, why}`` is what livermets should say once that issue is
done; it is an ``xfail(strict=True)``, so the day the engine gets it right the test fails until
the ``pending`` mark is removed. A missing expectation file is a failure.

File shape::

    # Why: ...clinical reasoning, with the reference sections it rests on...
    direction: upfront_resection          # a code from knowledge/guidance/directions.yaml
    pending: {issue: 8, current: ..., why: ...}   # optional: the direction is still wrong
    tolerance: 0.01                       # optional default for score values
    options:
      resection: candidate                # or {status: candidate, pending: {...}}
      liver_transplant: not_suitable
    scores:
      child_pugh: {value: 5, category: A} # optional tolerance and pending per score
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from test_examples import CASE_FILES, CASES_DIR
from test_examples import assessed as assessed_case

from livermets.criteria.model import STATUSES
from livermets.criteria.registry import registry
from livermets.scores.registry import SCORE_BY_ID

DIRECTIONS_FILE = (
    Path(__file__).resolve().parents[1]
    / "src"
    / "livermets"
    / "knowledge"
    / "guidance"
    / "directions.yaml"
)
EXPECT_SUFFIX = ".expect.yaml"
DEFAULT_TOLERANCE = 0.01
ISSUES = {8: "clinical safety", 9: "clinical depth"}
TOP_KEYS = {"direction", "pending", "tolerance", "options", "scores"}
SCORE_KEYS = {"value", "category", "tolerance", "pending"}
OPTION_KEYS = {"status", "pending"}
PENDING_KEYS = {"issue", "current", "why"}


def expect_path(case_path: Path) -> Path:
    return case_path.with_name(case_path.stem + EXPECT_SUFFIX)


@cache
def direction_codes() -> frozenset[str]:
    data = yaml.safe_load(DIRECTIONS_FILE.read_text(encoding="utf-8"))
    found: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("code"), str):
                found.add(node["code"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(data)
    return frozenset(found)


# --- the checker ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """One expected fact about one example: ``key`` is ``direction``, ``options.<id>`` or
    ``scores.<id>``."""

    key: str
    expected: Any
    pending: dict[str, Any] | None = None
    tolerance: float = DEFAULT_TOLERANCE


def schema_problems(expect: Any, text: str = "") -> list[str]:
    """Everything wrong with the shape of an expectation file (empty when it is well formed)."""
    if not isinstance(expect, dict):
        return ["the file must be a mapping"]
    problems: list[str] = []
    if text:
        lines = text.splitlines()
        why = [i for i, line in enumerate(lines) if line.startswith("# Why:")]
        if not why:
            problems.append("no '# Why:' comment giving the clinical reasoning")
        else:
            block = 1
            while why[0] + block < len(lines) and lines[why[0] + block].startswith("#"):
                block += 1
            if not 2 <= block <= 5:
                problems.append(f"the Why is {block} lines; give the reasoning in 2-5 lines")
    problems += [f"unknown key {k!r}" for k in sorted(set(expect) - TOP_KEYS)]
    if expect.get("direction") not in direction_codes():
        problems.append(f"direction {expect.get('direction')!r} is not a direction code")
    if "pending" in expect:
        problems += _pending_problems("pending", expect["pending"])
    options = expect.get("options")
    if not isinstance(options, dict) or len(options) < 2:
        problems.append("options must map at least 2 option ids to a status")
    if not isinstance(options, dict):
        options = {}
    for option_id, spec in options.items():
        where = f"options.{option_id}"
        if option_id not in registry().options:
            problems.append(f"{where}: unknown option id")
        if isinstance(spec, dict):
            problems += [f"{where}: unknown key {k!r}" for k in sorted(set(spec) - OPTION_KEYS)]
            if "pending" in spec:
                problems += _pending_problems(where, spec["pending"])
            spec = spec.get("status")
        if spec not in STATUSES:
            problems.append(f"{where}: status {spec!r} is not one of {sorted(STATUSES)}")
    scores = expect.get("scores", {})
    if not isinstance(scores, dict):
        problems.append("scores must be a mapping")
        scores = {}
    for score_id, spec in scores.items():
        where = f"scores.{score_id}"
        if score_id not in SCORE_BY_ID:
            problems.append(f"{where}: unknown score id")
        if not isinstance(spec, dict) or not ({"value", "category"} & set(spec)):
            problems.append(f"{where}: give a value and/or a category")
            continue
        problems += [f"{where}: unknown key {k!r}" for k in sorted(set(spec) - SCORE_KEYS)]
        if "value" in spec and not isinstance(spec["value"], int | float):
            problems.append(f"{where}: value must be a number")
        if "pending" in spec:
            problems += _pending_problems(where, spec["pending"])
    return problems


def _pending_problems(where: str, pending: Any) -> list[str]:
    if not isinstance(pending, dict) or set(pending) != PENDING_KEYS:
        return [f"{where}: pending must be {{issue, current, why}}"]
    if pending["issue"] not in ISSUES:
        return [f"{where}: pending issue must be one of {sorted(ISSUES)}"]
    return []


def entries(expect: dict[str, Any]) -> list[Entry]:
    """The expectation file as a list of entries, one per expected fact."""
    default_tol = float(expect.get("tolerance", DEFAULT_TOLERANCE))
    out = [Entry("direction", expect["direction"], expect.get("pending"))]
    for option_id, spec in expect.get("options", {}).items():
        if isinstance(spec, dict):
            out.append(Entry(f"options.{option_id}", spec["status"], spec.get("pending")))
        else:
            out.append(Entry(f"options.{option_id}", spec))
    for score_id, spec in expect.get("scores", {}).items():
        expected = {k: spec[k] for k in ("value", "category") if k in spec}
        tol = float(spec.get("tolerance", default_tol))
        out.append(Entry(f"scores.{score_id}", expected, spec.get("pending"), tol))
    return out


def check(entry: Entry, assessment: dict[str, Any]) -> str | None:
    """None when the assessment (its JSON form) holds the entry, else what differs."""
    kind, _, ident = entry.key.partition(".")
    if kind == "direction":
        direction = assessment.get("direction") or {}
        actual = direction.get("code")
        return None if actual == entry.expected else f"direction is {actual!r}"
    if kind == "options":
        found = [o for o in assessment["options"] if o["id"] == ident]
        if not found:
            return f"option {ident!r} is not in the assessment"
        status = found[0]["status"]
        return None if status == entry.expected else f"{ident} is {status!r}"
    found = [s for s in assessment["scores"] if s["id"] == ident]
    if not found or not found[0]["computed"]:
        return f"score {ident!r} is not computed"
    score = found[0]
    wrong = []
    if "value" in entry.expected:
        value = score["value"]
        if not isinstance(value, int | float) or not math.isclose(
            float(value), float(entry.expected["value"]), rel_tol=0.0, abs_tol=entry.tolerance
        ):
            wrong.append(f"value {value!r} (tolerance {entry.tolerance})")
    if "category" in entry.expected and score["category"] != entry.expected["category"]:
        wrong.append(f"category {score['category']!r}")
    return f"{ident}: " + ", ".join(wrong) if wrong else None


# --- loading --------------------------------------------------------------------------------


@cache
def assessed(stem: str) -> dict[str, Any]:
    """The example's assessment in its JSON form (cases are loaded as in test_examples)."""
    return assessed_case(stem).model_dump(mode="json")


def load_expect(case_path: Path) -> tuple[dict[str, Any], str]:
    text = expect_path(case_path).read_text(encoding="utf-8")
    return yaml.safe_load(text), text


def _entry_params() -> list[Any]:
    params = []
    for case_path in CASE_FILES:
        if not expect_path(case_path).exists():
            continue
        expect, _ = load_expect(case_path)
        if schema_problems(expect):
            continue  # reported by test_expectation_file_is_well_formed
        for entry in entries(expect):
            marks = []
            if entry.pending is not None:
                p = entry.pending
                reason = (
                    f"issue {p['issue']} ({ISSUES[p['issue']]}): now {p['current']}; {p['why']}"
                )
                marks.append(pytest.mark.xfail(strict=True, reason=reason))
            params.append(
                pytest.param(case_path.stem, entry, marks=marks, id=f"{case_path.stem}:{entry.key}")
            )
    return params


# --- the tests ------------------------------------------------------------------------------


@pytest.mark.parametrize("case_path", CASE_FILES, ids=[p.stem for p in CASE_FILES])
def test_example_has_an_expectation_file(case_path: Path) -> None:
    assert expect_path(case_path).exists(), (
        f"write {expect_path(case_path).name} from the clinical reasoning (examples/README.md)"
    )


@pytest.mark.parametrize("case_path", CASE_FILES, ids=[p.stem for p in CASE_FILES])
def test_expectation_file_is_well_formed(case_path: Path) -> None:
    if not expect_path(case_path).exists():
        pytest.skip("no expectation file (reported by test_example_has_an_expectation_file)")
    expect, text = load_expect(case_path)
    assert schema_problems(expect, text) == []


def test_no_stray_expectation_files() -> None:
    stems = {p.stem for p in CASE_FILES}
    stray = [
        p.name
        for p in CASES_DIR.glob("*" + EXPECT_SUFFIX)
        if p.name[: -len(EXPECT_SUFFIX)] not in stems
    ]
    assert stray == [], f"expectation files without an example: {stray}"


@pytest.mark.parametrize(("stem", "entry"), _entry_params())
def test_example_meets_expectation(stem: str, entry: Entry) -> None:
    problem = check(entry, assessed(stem))
    assert problem is None, f"{stem}: expected {entry.key} = {entry.expected!r}; {problem}"


# --- the checker can fail -------------------------------------------------------------------

RIGHT = {
    "direction": {"code": "upfront_resection"},
    "options": [
        {"id": "resection", "status": "candidate"},
        {"id": "liver_transplant", "status": "not_suitable"},
    ],
    "scores": [
        {"id": "child_pugh", "computed": True, "value": 5, "category": "A"},
        {"id": "sflr", "computed": True, "value": 58.7, "category": "adequate"},
        {"id": "fong_crs", "computed": False, "value": None, "category": None},
    ],
}


def test_checker_accepts_a_right_expectation() -> None:
    expect = {
        "direction": "upfront_resection",
        "options": {"resection": "candidate", "liver_transplant": "not_suitable"},
        "scores": {
            "child_pugh": {"value": 5, "category": "A"},
            "sflr": {"value": 58.5, "tolerance": 0.5},
        },
    }
    assert schema_problems(expect) == []
    assert [check(e, RIGHT) for e in entries(expect)] == [None] * 5


def test_checker_reports_every_wrong_entry() -> None:
    wrong = {
        "direction": "conversion_systemic",
        "options": {
            "resection": "not_suitable",
            "liver_transplant": "not_suitable",
            "sirt": "candidate",
        },
        "scores": {
            "child_pugh": {"value": 6, "category": "B"},
            "sflr": {"value": 58.5},  # default tolerance 0.01: 58.7 is too far
            "fong_crs": {"value": 1},  # not computed
        },
    }
    problems = {e.key: check(e, RIGHT) for e in entries(wrong)}
    assert problems["options.liver_transplant"] is None
    failed = {k for k, v in problems.items() if v is not None}
    assert failed == {
        "direction",
        "options.resection",
        "options.sirt",
        "scores.child_pugh",
        "scores.sflr",
        "scores.fong_crs",
    }
    assert "value 5" in str(problems["scores.child_pugh"])
    assert "category 'A'" in str(problems["scores.child_pugh"])


def test_schema_rejects_malformed_files() -> None:
    bad = {
        "direction": "operate",
        "options": {"resection": "maybe"},
        "scores": {"nonsense": {"value": "high"}, "child_pugh": {}},
        "pending": {"issue": 7, "current": "x", "why": "y"},
        "extra": 1,
    }
    assert "the Why is 1 lines" in "\n".join(schema_problems(bad, "# Why: too short\n"))
    problems = "\n".join(schema_problems(bad, "direction: operate\n"))
    for fragment in (
        "Why",
        "unknown key 'extra'",
        "not a direction code",
        "at least 2",
        "status 'maybe'",
        "nonsense: unknown score id",
        "value must be a number",
        "child_pugh: give a value",
        "pending issue",
    ):
        assert fragment in problems, fragment


def test_a_pending_entry_is_a_strict_xfail() -> None:
    """A pending entry becomes a strict xfail, so a fix in the engine is reported."""
    expect = {
        "direction": "best_supportive_care",
        "pending": {"issue": 8, "current": "upfront_resection", "why": "demo"},
        "options": {
            "resection": "candidate",
            "sirt": {
                "status": "not_suitable",
                "pending": {"issue": 9, "current": "candidate", "why": "demo"},
            },
        },
    }
    assert schema_problems(expect) == []
    pending = {e.key: e.pending["issue"] for e in entries(expect) if e.pending}
    assert pending == {"direction": 8, "options.sirt": 9}
    params = [p for p in _entry_params() if p.marks]
    assert all(m.kwargs.get("strict") is True for p in params for m in p.marks)
