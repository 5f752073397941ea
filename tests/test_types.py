"""The rule type checker: ill-typed rules are refused at load time, today's rules are typed."""

from __future__ import annotations

import pytest

from livermets.assessment.pipeline import steps
from livermets.engine.expr import ChildTable, col, lit, when
from livermets.engine.parse import parse_rule
from livermets.engine.types import (
    BOOL,
    FLOAT,
    INT,
    NULL,
    Type,
    base_environment,
    check,
    check_steps,
    infer,
)
from livermets.errors import KnowledgeError, RuleTypeError, UnknownReferenceError
from livermets.features.catalog import CASE_FEATURES, CHILD_FEATURES

TABLES = frozenset(CHILD_FEATURES)
# the base columns, and the derived lesion counts the quantifiers read
ENV = {**base_environment(), "lesions_itemised": INT, "lesion_count": INT}


def _problems(text: str) -> list[KnowledgeError]:
    return check(parse_rule(text, child_tables=TABLES), ENV)


@pytest.mark.parametrize(
    "text",
    [
        "lesion_count_reported and ecog",  # the backends disagreed: True vs 0
        "not lesion_count_reported",  # False vs -3
        "ecog or primary_controlled",
        "age_years + female",
        "ln(primary_site)",
        "sex < 'male'",
        "ecog == 'one'",
        "female == 1",
        "'B' if ecog > 2 else 3",
        "coalesce(ecog, 'x')",
        "lesions.any(diameter_cm)",
        "lesions.sum(right_liver)",
        "lesions.count(where=diameter_cm) > 0",
        "lesions.max(vessel_relation) > 0",
        "every(lesions, diameter_cm)",
    ],
)
def test_ill_typed_rules_are_type_errors(text: str) -> None:
    problems = _problems(text)
    assert problems and all(isinstance(p, RuleTypeError) for p in problems), problems


def test_every_problem_is_reported_not_just_the_first() -> None:
    problems = _problems("(ecog and karnofsky) or not age_years or nope > 1")
    assert [type(p) for p in problems].count(RuleTypeError) == 3
    assert any(isinstance(p, UnknownReferenceError) and "'nope'" in str(p) for p in problems)


@pytest.mark.parametrize(
    ("text", "literal", "column"),
    [
        ("symptoms.any(symptom == 'pain')", "'pain'", "symptoms.symptom"),
        ("symptoms.any(symptom in ['itch', 'itching'])", "'itch'", "symptoms.symptom"),
        ("primary_site == 'colon'", "'colon'", "primary_site"),
        ("'bilobal' != distribution_reported", "'bilobal'", "distribution_reported"),
        ("kras in ['mutated']", "'mutated'", "kras"),
    ],
)
def test_literals_outside_the_vocabulary_are_unknown_references(
    text: str, literal: str, column: str
) -> None:
    problems = _problems(text)
    assert len(problems) == 1 and isinstance(problems[0], UnknownReferenceError)
    message = str(problems[0])
    assert literal in message and column in message and "known values" in message


def test_unknown_columns_criteria_and_child_columns() -> None:
    assert isinstance(_problems("no_such_column > 1")[0], UnknownReferenceError)
    assert "criterion 'x.y'" in str(_problems("x.y")[0])
    found = _problems("lesions.any(marker == 'cea')")
    assert len(found) == 1 and "child table 'lesions'" in str(found[0])


def test_well_typed_rules_pass_and_have_types() -> None:
    for text in [
        "lesion_count_reported <= 5 and ecog <= 2",
        "primary_site in ['colorectal', 'neuroendocrine']",
        "'bilobar' != distribution_reported",
        "symptoms.any(symptom == 'itching')",
        "known(ecog) and ecog <= 2",
        "lesions.any(near_large_vessel)",
        "lesions.count(where=diameter_cm > 3) == 0",
        "every(lesions, diameter_cm <= 3)",
        "None",
        "coalesce(None, ecog) + 1.5 > 2",
        "age_years ** 2 > pow(ecog, 0.5)",
    ]:
        assert _problems(text) == [], text
    assert infer(parse_rule("ecog + 1"), ENV) == INT
    assert infer(parse_rule("ecog + 1.0"), ENV) == FLOAT
    assert infer(parse_rule("ecog / 1"), ENV) == FLOAT
    assert infer(parse_rule("None"), ENV) == NULL
    assert infer(parse_rule("ecog > 1 or None"), ENV) == BOOL
    assert infer(ChildTable("lesions").count(), ENV) == INT
    assert infer(when(col("ecog") > 1).then("B").otherwise("C"), ENV) == Type(
        "str", frozenset({"B", "C"})
    )
    assert infer(lit(None).fill_null(col("sex")), ENV).values == frozenset({"female", "male"})


def test_text_features_carry_their_vocabulary() -> None:
    by_name = {f.name: f for f in CASE_FEATURES}
    assert by_name["sex"].values == ("female", "male")
    assert by_name["acute_problem"].values and "sepsis" in by_name["acute_problem"].values
    symptom = CHILD_FEATURES["symptoms"][0]
    assert symptom.values and "itching" in symptom.values and "pain" not in symptom.values
    assert ENV["lesions.vessel_relation"].values == frozenset({"clear", "abutting", "involving"})


# Problems in the knowledge as found (the knowledge branch removes them): dead symptom ids.
KNOWN_DEAD_LITERALS = {"'pain'", "'itch'", "'pruritus'", "'fever'"}


def test_todays_knowledge_is_well_typed_apart_from_known_dead_literals() -> None:
    types, problems = check_steps(steps())
    for problem in problems:
        assert isinstance(problem, UnknownReferenceError), problem
        assert any(literal in str(problem) for literal in KNOWN_DEAD_LITERALS), problem
    assert len(types) == len(steps())
    kinds = {s.name: s.kind for s in steps()}
    for name, found in types.items():
        if kinds[name] in ("criterion", "prompt", "prognosis"):
            assert found == BOOL, name


def test_check_steps_locates_problems_by_origin() -> None:
    class Step:
        def __init__(self, name: str, text: str, kind: str, origin: str) -> None:
            self.name, self.kind, self.origin = name, kind, origin
            self.expr = parse_rule(text, child_tables=TABLES)

    ordered = [
        Step("criterion:x.a", "ecog <= 2", "criterion", "options/x.yaml#a"),
        Step("criterion:x.b", "x.a and not nope", "criterion", "options/x.yaml#b"),
        Step("criterion:c", "ecog + 1", "criterion", "options/y.yaml#c"),
        Step("criterion:d", "None", "criterion", "options/y.yaml#d"),
    ]
    types, problems = check_steps(ordered)
    assert types["criterion:x.a"] == BOOL
    assert types["criterion:d"] == BOOL  # always unknown: its kind's type
    located = [(type(p), p.file, p.rule) for p in problems]
    assert located == [
        (UnknownReferenceError, "options/x.yaml", "b"),  # 'nope' (x.a is known)
        (RuleTypeError, "options/y.yaml", "c"),  # a criterion that is a number
    ], problems


def test_derived_text_columns_get_the_vocabulary_of_their_rule() -> None:
    """Score categories and option statuses: a misspelt literal is caught at load time."""
    types, _ = check_steps(steps())
    assert types["option__resection"].values == frozenset(
        {"candidate", "consider_after", "needs_data", "not_suitable"}
    )
    env = {**base_environment(), **types}
    typo = check(parse_rule("option__resection == 'candiate'"), env)
    assert len(typo) == 1 and "'candiate'" in str(typo[0])
    category = types["fong_crs__category"]
    assert category.values and all(
        not check(parse_rule(f"fong_crs__category == {v!r}"), env) for v in category.values
    )
