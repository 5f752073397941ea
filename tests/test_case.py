"""The case format: units converted once on the way in, and every bad input named clearly."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from livermets.case.model import PRIMARY_SITES, Case
from livermets.case.plausibility import plausibility_warnings
from livermets.errors import CaseInputError
from livermets.features.flatten import flatten
from livermets.importers.case_text import case_from_data, parse_case

MINIMAL: dict[str, Any] = {
    "schema_version": "1.0",
    "case_id": "t-1",
    "primary": {"site": "colorectal"},
}


def with_(path: str, value: Any) -> dict[str, Any]:
    """MINIMAL with one dotted path set (lists as [i])."""
    data = copy.deepcopy(MINIMAL)
    parts = path.split(".")
    node = data
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = value
    return data


def problem(data: Any) -> CaseInputError:
    with pytest.raises(CaseInputError) as caught:
        case_from_data(data)
    return caught.value


def test_minimal_case_is_valid_and_everything_else_is_unknown() -> None:
    case = case_from_data(MINIMAL)
    row = flatten(case)
    assert row["bilirubin_mg_dl"] is None and row["ecog"] is None and row["lesions"] == []


@pytest.mark.parametrize(
    ("unit", "value", "expected_mg_dl"),
    [("mg/dL", 2.0, 2.0), ("µmol/L", 34.2, 2.0), ("umol/L", 51.3, 3.0), ("µmol/L", 17.1, 1.0)],
)
def test_bilirubin_converted_once_and_boundaries_survive(
    unit: str, value: float, expected_mg_dl: float
) -> None:
    case = case_from_data(with_("labs", {"bilirubin": {"value": value, "unit": unit}}))
    assert case.labs.bilirubin is not None
    assert case.labs.bilirubin.canonical == expected_mg_dl  # exact: calculators.md §11


def test_reference_conversions() -> None:
    labs = {
        "creatinine": {"value": 176.8, "unit": "µmol/L"},
        "albumin": {"value": 35, "unit": "g/L"},
    }
    row = flatten(case_from_data(with_("labs", labs)))
    assert row["creatinine_mg_dl"] == 2.0
    assert row["albumin_g_dl"] == 3.5 and row["albumin_g_l"] == 35.0


def test_lesion_size_in_mm_or_cm() -> None:
    liver = {
        "lesions": [
            {"segments": [6], "diameter": {"value": 32, "unit": "mm"}},
            {"segments": [3], "diameter": {"value": 2.5, "unit": "cm"}},
        ]
    }
    row = flatten(case_from_data(with_("liver", liver)))
    assert [les["diameter_cm"] for les in row["lesions"]] == [3.2, 2.5]
    assert row["lesions"][0]["right_liver"] is True and row["lesions"][1]["left_liver"] is True


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        ({"schema_version": "1.0", "case_id": "x"}, "primary", "required field is missing"),
        (with_("primary", {"site": "liver"}), "primary.site", "'liver' is not allowed"),
        (
            with_("labs", {"inr": {"value": 50, "unit": "ratio"}}),
            "labs.inr.value",
            "not a possible",
        ),
        (
            with_("labs", {"bilirubin": {"value": 3, "unit": "mg%"}}),
            "labs.bilirubin.unit",
            "not recognised",
        ),
        (with_("performance", {"ecog": 7}), "performance.ecog", "less than or equal to 4"),
        (
            with_("patient", {"height": {"value": 4, "unit": "m"}}),
            "patient.height.value",
            "not a possible height",
        ),
        (
            with_("liver", {"lesions": [{"diameter": {"value": -3, "unit": "cm"}}]}),
            "liver.lesions[0].diameter.value",
            "not a possible",
        ),
        (
            with_("labs", {"albumin": {"value": "high", "unit": "g/L"}}),
            "labs.albumin.value",
            "valid number",
        ),
        (with_("performance", {"ecog": "two"}), "performance.ecog", "valid integer"),
        (
            with_("liver", {"lesions": [{"segments": [9]}]}),
            "liver.lesions[0].segments[0]",
            "less than or equal to 8",
        ),
        (
            with_("primary", {"site": "colorectal", "colour": "red"}),
            "primary.colour",
            "unknown field",
        ),
        (with_("schema_version", "2.0"), "schema_version", "'2.0' is not allowed"),
        (with_("primary", {"site": "breast", "side": "left"}), "primary", "colorectal"),
        ([1, 2], "", "must be a JSON/YAML object"),
        (with_("symptoms", ["jaundice", "headache"]), "symptoms", "not a known symptom id"),
    ],
)
def test_bad_input_names_the_field(data: Any, field: str, words: str) -> None:
    error = problem(data)
    assert error.paths == [field], error.problems  # the path is data, not read from text
    assert words in error.problems[0].problem, error.problems
    message = str(error)
    assert message == (f"{field}: " if field else "") + error.problems[0].problem
    assert "\n" not in message and "Traceback" not in message


def test_every_problem_is_reported_at_once() -> None:
    data = with_(
        "labs", {"inr": {"value": 50, "unit": "ratio"}, "sodium": {"value": 1, "unit": "x"}}
    )
    data["performance"] = {"ecog": 9, "karnofsky": 55}
    error = problem(data)
    assert error.paths == [
        "labs.inr.value",
        "labs.sodium.unit",
        "performance.ecog",
        "performance.karnofsky",
    ]
    assert str(error).endswith("(and 3 more problems)")


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ('{"schema_version": "1.0", "case_id": ', "malformed JSON at line 1"),
        ("schema_version: '1.0'\nprimary: [site", "malformed YAML"),
        ("", "empty"),
    ],
)
def test_malformed_documents(text: str, words: str) -> None:
    with pytest.raises(CaseInputError) as caught:
        parse_case(text)
    assert words in str(caught.value)


def test_yaml_and_json_give_the_same_case() -> None:
    as_json = parse_case(json.dumps(MINIMAL))
    as_yaml = parse_case("schema_version: '1.0'\ncase_id: t-1\nprimary:\n  site: colorectal\n")
    assert as_json == as_yaml


def test_unusual_values_are_accepted_with_a_warning() -> None:
    case = case_from_data(with_("labs", {"inr": {"value": 7, "unit": "ratio"}}))
    warnings = plausibility_warnings(case)
    assert [w.path for w in warnings] == ["labs.inr"]
    assert (
        plausibility_warnings(case_from_data(with_("labs", {"inr": {"value": 1.1, "unit": ""}})))
        == []
    )


def test_every_seed_primary_and_unknown_primary_are_accepted() -> None:
    named_in_seeds = {
        "colorectal",
        "breast",
        "lung_nsclc",
        "lung_sclc",
        "pancreas",
        "stomach",
        "oesophagus",
        "kidney",
        "melanoma_cutaneous",
        "neuroendocrine",
        "gist",
        "ovary",
        "uterus",
        "cervix",
        "bladder",
        "prostate",
        "cholangiocarcinoma",
        "sarcoma",
        "unknown_primary",
    }
    assert named_in_seeds <= set(PRIMARY_SITES)


@given(value=st.floats(0.0, 80.0, allow_nan=False))
def test_bilirubin_round_trip_between_units(value: float) -> None:
    in_mg = case_from_data(with_("labs", {"bilirubin": {"value": value, "unit": "mg/dL"}}))
    in_umol = case_from_data(
        with_("labs", {"bilirubin": {"value": value * 17.1, "unit": "µmol/L"}})
    )
    assert in_mg.labs.bilirubin is not None and in_umol.labs.bilirubin is not None
    assert in_umol.labs.bilirubin.canonical == pytest.approx(
        in_mg.labs.bilirubin.canonical, rel=1e-8
    )


def test_schema_is_a_json_schema_with_units() -> None:
    schema = Case.model_json_schema()
    assert schema["title"] == "livermets case"
    assert "primary" in schema["required"]
    assert "µmol/L" in json.dumps(schema, ensure_ascii=False)


def test_case_format_doc_names_every_field() -> None:
    """docs/case-format.md stays true: every field of every section is documented."""
    from pathlib import Path

    from pydantic import BaseModel

    doc = (Path(__file__).resolve().parents[1] / "docs" / "case-format.md").read_text("utf-8")
    seen: set[type[BaseModel]] = set()

    def walk(model: type[BaseModel]) -> None:
        if model in seen:
            return
        seen.add(model)
        for name, field in model.model_fields.items():
            assert f"| `{name}` |" in doc, f"{model.__name__}.{name} is not in docs/case-format.md"
            for arg in _types_in(field.annotation):
                if (
                    isinstance(arg, type)
                    and issubclass(arg, BaseModel)
                    and not hasattr(arg, "KIND")
                ):
                    walk(arg)

    walk(Case)


def _types_in(annotation: Any) -> list[Any]:
    import typing

    found = [annotation]
    for arg in typing.get_args(annotation):
        found += _types_in(arg)
    return found
