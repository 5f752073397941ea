"""The structured assessment and its words: the JSON face (format 1.1), its documentation, and
the rule that the core makes no words and imports no face."""

from __future__ import annotations

import ast
import json
from functools import cache
from pathlib import Path

import pytest
from pydantic import BaseModel

from livermets.assessment.build import assess
from livermets.assessment.model import (
    ASSESSMENT_FORMAT,
    Assessment,
    CaseBrief,
    CriterionResult,
    DirectionReason,
    DirectionResult,
    OptionResult,
    ScoreResult,
)
from livermets.criteria.registry import registry, step_label
from livermets.faces import words
from livermets.faces.assessment_json import assessment_data
from livermets.importers.case_text import parse_case

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "assessment-json.md"
CORE = ROOT / "src" / "livermets" / "assessment"
EXAMPLES = sorted((ROOT / "examples" / "cases").glob("*.json"))
COMPUTED = {
    OptionResult: ["headline"],
    DirectionResult: ["reasons"],
    CaseBrief: ["lesions", "extrahepatic", "performance", "liver_function"],
}


@cache
def _assessed(path: Path) -> Assessment:
    return assess(parse_case(path.read_text(encoding="utf-8"), source=str(path)))


def test_doc_names_every_field_and_computed_field() -> None:
    doc = DOC.read_text(encoding="utf-8")
    assert f"Output format version `{ASSESSMENT_FORMAT}`" in doc
    models: list[type[BaseModel]] = [
        CaseBrief,
        OptionResult,
        CriterionResult,
        DirectionResult,
        DirectionReason,
        ScoreResult,
    ]
    for model in models:
        for name in [*model.model_fields, *COMPUTED.get(model, [])]:
            assert f"`{name}`" in doc, f"{model.__name__}.{name}"


def test_core_imports_no_face() -> None:
    for path in CORE.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            for name in names:
                assert not name.startswith("livermets.faces"), f"{path.name} imports {name}"


@pytest.mark.parametrize("path", EXAMPLES[:12], ids=lambda p: p.stem)
def test_json_words_come_from_the_words_module(path: Path) -> None:
    a = _assessed(path)
    data = json.loads(json.dumps(assessment_data(a)))
    assert data["format"] == ASSESSMENT_FORMAT
    for item, option in zip(data["options"], a.options, strict=True):
        assert item["headline"] == words.headline(option)
        assert list(item)[: list(item).index("headline")] == ["id", "name", "group", "status"]
    if a.direction is not None:
        assert data["direction"]["reasons"] == words.direction_reasons(a.direction, a)
    assert {k: data["case"][k] for k in words.brief(a.case)} == words.brief(a.case)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_options_carry_their_reasons_by_id(path: Path) -> None:
    a = _assessed(path)
    rules = registry()
    for option in a.options:
        assert option.deciding_ids == [c.id for c in option.deciding]
        assert option.after == [step_label(s) for s in option.after_ids]
        assert len(option.obtain_ids) == len(option.obtain)
        declared = rules.options[option.id]
        for criterion_id in option.deciding_ids:
            assert criterion_id in {
                *declared.applies,
                *declared.hard,
                *declared.soft,
                *declared.excludes,
            }
        if option.status == "consider_after":
            assert option.after_ids and set(option.deciding_ids) <= set(declared.soft)
        if option.status == "not_suitable":
            assert option.deciding_ids and not option.obtain_ids
            assert not set(option.deciding_ids) & set(declared.soft)
        for c in [*option.unknown, *option.considerations]:
            assert len(c.missing_ids) == len(c.missing)


def test_headline_words() -> None:
    a = _assessed(EXAMPLES[0])
    option = a.options[0].model_copy(
        update={
            "status": "consider_after",
            "after": ["portal vein embolisation", "ALPPS"],
            "obtain": ["albumin", "INR"],
        }
    )
    assert words.headline(option) == (
        "consider after portal vein embolisation or ALPPS; also obtain: albumin, INR"
    )
    waiting = option.model_copy(update={"status": "needs_data", "after": []})
    assert words.headline(waiting) == "needs data: albumin, INR"
    assert words.headline(waiting, obtain="2 items") == "needs data: 2 items"
    nothing = waiting.model_copy(update={"obtain": []})
    assert words.headline(nothing) == "needs data: see unknown criteria"


@pytest.mark.parametrize(
    ("value", "decimals", "text"),
    [
        (12.0, 0, "12"),
        (1675.97, 0, "1676"),
        (-2.6501, 2, "-2.65"),
        (21.0, 1, "21"),
        (-0.001, 2, "0"),
        (5, 0, "5"),
        (0.2887, None, "0.289"),
        (True, None, "yes"),
        (None, 2, ""),
    ],
)
def test_numbers_at_a_declared_precision(value: object, decimals: int | None, text: str) -> None:
    assert words.number(value, decimals) == text
