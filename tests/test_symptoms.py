"""Symptom checker: every trigger reaches its level whatever else is answered, the fever and
escalation rules, safe wording, and clear input errors."""

from __future__ import annotations

import ast
import inspect
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from livermets.errors import AnswersInputError
from livermets.knowledge import sources
from livermets.patient import symptoms as sym
from livermets.patient.symptoms import (
    Condition,
    SymptomAnswers,
    TriageSettings,
    level_rank,
    load_catalog,
    parse_answers,
    render_text,
    triage,
)

CAT = load_catalog()
IDS = CAT.symptom_ids()
FEVER_DEFAULT = CAT.settings.fever_threshold_c.default
FORBIDDEN = (
    "you have liver metastases",
    "you have liver metastasis",
    "you have metastases",
    "you have secondary liver cancer",
    "you have liver cancer",
    "you have cancer",
    "you have a tumour",
    "this is cancer",
    "it is cancer",
    "your cancer has spread",
)


# ----------------------------------------------------------------------------------------------
# helpers: a minimal set of answers that makes a condition hold, and random other answers
# ----------------------------------------------------------------------------------------------


def witness(cond: Condition) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    """Symptoms and context that make ``cond`` hold (first branch of each ``any``)."""
    symptoms: dict[str, dict[str, Any]] = {}
    context: dict[str, Any] = {}
    if cond.symptom is not None:
        sid = IDS[0] if cond.symptom == "any" else cond.symptom
        symptoms[sid] = {
            "severity": (cond.min_severity or sym.Severity.MILD).value,
            "days": cond.min_days if cond.min_days is not None else 1,
            "new_or_worse": bool(cond.new_or_worse),
        }
    if cond.fever:
        context["temperature"] = max(CAT.settings.fever_threshold_c.allowed) + 0.5
    if cond.low_temperature:
        context["temperature"] = CAT.settings.low_temperature_c.value - 1.0
    if cond.on_treatment:
        context["treatments"] = ["chemotherapy"]
    if cond.cancer:
        context["cancer"] = cond.cancer[0]
    children = list(cond.all or ()) + ([cond.any[0]] if cond.any else [])
    for child in children:
        s, c = witness(child)
        symptoms.update(s)
        context.update(c)
    return symptoms, context


details = st.fixed_dictionaries(
    {
        "days": st.one_of(st.none(), st.integers(0, 90)),
        "severity": st.sampled_from(["mild", "moderate", "severe"]),
        "new_or_worse": st.booleans(),
    }
)
other_symptoms = st.dictionaries(st.sampled_from(IDS), details, max_size=8)
contexts = st.fixed_dictionaries(
    {
        "cancer": st.sampled_from(["no", "past", "current", "not_sure"]),
        "treatments": st.lists(
            st.sampled_from(["chemotherapy", "immunotherapy", "targeted", "liver_procedure"]),
            unique=True,
            max_size=4,
        ),
        "temperature": st.one_of(st.none(), st.floats(34.0, 41.5).map(lambda t: round(t, 1))),
    }
)
answers_strategy = st.builds(
    lambda s, c: SymptomAnswers.model_validate({"symptoms": s, "context": c}),
    other_symptoms,
    contexts,
)


def combined(trigger: sym.Trigger, others: dict[str, Any], ctx: dict[str, Any]) -> SymptomAnswers:
    w_symptoms, w_context = witness(trigger.when)
    return SymptomAnswers.model_validate(
        {"symptoms": {**others, **w_symptoms}, "context": {**ctx, **w_context}}
    )


def fired(result: sym.TriageResult) -> set[str]:
    return {r.trigger for r in result.reasons + result.other_reasons}


# ----------------------------------------------------------------------------------------------
# the knowledge file
# ----------------------------------------------------------------------------------------------


def test_catalog_covers_every_seed_symptom() -> None:
    wanted = {
        "appetite_loss", "early_fullness", "weight_loss", "tiredness", "nausea", "vomiting",
        "right_upper_pain", "right_shoulder_pain", "lump_right_ribs", "swollen_tummy",
        "jaundice", "dark_urine", "pale_stools", "itching", "fever_sweats", "confusion",
        "severe_vomiting", "vomiting_blood", "black_stools", "difficulty_swallowing",
        "recent_unexplained_weight_loss",
    }  # fmt: skip
    assert wanted <= set(IDS)


def test_every_source_id_exists() -> None:
    known = sources()
    cited = {s for t in CAT.triggers for s in t.sources}
    cited |= {s for x in CAT.symptoms for s in x.sources}
    cited |= {s for lv in CAT.levels for s in lv.sources}
    cited |= set(CAT.escalation.sources) | set(CAT.emergency_numbers.sources)
    cited |= set(CAT.settings.fever_threshold_c.sources)
    assert cited - set(known) == set()


def test_every_symptom_and_level_is_reachable() -> None:
    named = {c.symptom for t in CAT.triggers for c in sym._walk(t.when)}
    assert set(IDS) <= named
    assert {t.level for t in CAT.triggers} == set(sym.LEVELS)


def test_no_clinical_threshold_in_python() -> None:
    """The engine's only numbers are unit conversion (°F), rounding and sanity bounds."""
    tree = ast.parse(inspect.getsource(sym))
    numbers = {
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, int | float)
        and not isinstance(node.value, bool)
    }
    assert numbers <= {0, 1, 5.0, 9.0, 32.0, 36500}, numbers


# ----------------------------------------------------------------------------------------------
# every trigger, alone and combined with anything else
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("trigger", CAT.triggers, ids=lambda t: t.id)
def test_trigger_alone_reaches_its_level(trigger: sym.Trigger) -> None:
    result = triage(combined(trigger, {}, {}))
    assert level_rank(result.level) >= level_rank(trigger.level)
    assert trigger.id in fired(result)


@pytest.mark.parametrize("trigger", CAT.triggers, ids=lambda t: t.id)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(others=other_symptoms, ctx=contexts)
def test_trigger_with_any_other_answers_reaches_its_level(
    trigger: sym.Trigger, others: dict[str, Any], ctx: dict[str, Any]
) -> None:
    result = triage(combined(trigger, others, ctx))
    assert level_rank(result.level) >= level_rank(trigger.level)


@settings(max_examples=200, deadline=None)
@given(answers=answers_strategy, extra=st.sampled_from(IDS))
def test_adding_a_symptom_never_lowers_the_level(answers: SymptomAnswers, extra: str) -> None:
    before = triage(answers)
    more = dict(answers.symptoms)
    more.setdefault(extra, sym.SymptomDetail())
    after = triage(answers.model_copy(update={"symptoms": more}))
    assert level_rank(after.level) >= level_rank(before.level)


@pytest.mark.parametrize("red_flag", ["vomiting_blood", "black_stools"])
@settings(max_examples=80, deadline=None)
@given(answers=answers_strategy)
def test_red_flags_always_win(red_flag: str, answers: SymptomAnswers) -> None:
    more = {**answers.symptoms, red_flag: sym.SymptomDetail()}
    result = triage(answers.model_copy(update={"symptoms": more}))
    assert result.level == "emergency"
    assert result.headline == "Call emergency services now"


# ----------------------------------------------------------------------------------------------
# fever on treatment, escalation, settings
# ----------------------------------------------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(
    answers=answers_strategy,
    temp=st.floats(FEVER_DEFAULT, 41.0),
    treatment=st.sampled_from(["chemotherapy", "immunotherapy", "targeted", "liver_procedure"]),
)
def test_fever_on_treatment_is_at_least_today(
    answers: SymptomAnswers, temp: float, treatment: str
) -> None:
    ctx = answers.context.model_copy(
        update={"temperature_c": round(temp, 1), "treatments": (treatment,)}
    )
    result = triage(answers.model_copy(update={"context": ctx}))
    assert level_rank(result.level) >= level_rank("today")


def test_feeling_feverish_on_treatment_without_thermometer_is_today() -> None:
    a = parse_answers({"symptoms": ["fever_sweats"], "context": {"treatments": "immunotherapy"}})
    assert triage(a).level == "today"


def test_fever_threshold_is_a_setting_with_the_lower_default() -> None:
    a = parse_answers({"context": {"temperature": 37.7, "treatments": ["chemotherapy"]}})
    assert triage(a).fever_threshold_c == 37.5
    assert triage(a).level == "today"
    strict = triage(a, settings=TriageSettings(fever_threshold_c=38.0))
    assert strict.level == "routine"
    with pytest.raises(AnswersInputError, match="fever_threshold_c"):
        triage(a, settings=TriageSettings(fever_threshold_c=39.0))


def test_fever_without_treatment_is_soon() -> None:
    a = parse_answers({"context": {"temperature": "38.4 C", "cancer": "past"}})
    assert triage(a).level == "soon"


def test_two_new_and_worsening_soon_items_escalate_to_today() -> None:
    a = parse_answers(
        {
            "symptoms": {
                "appetite_loss": {"days": 5, "new_or_worse": True},
                "right_shoulder_pain": {"days": 3, "new_or_worse": True},
            }
        }
    )
    result = triage(a)
    assert result.level == "today"
    assert result.escalated
    assert "escalation" in {r.trigger for r in result.reasons}


def test_one_new_item_or_two_stable_items_do_not_escalate() -> None:
    one = parse_answers({"symptoms": {"appetite_loss": {"new_or_worse": True}}})
    two_stable = parse_answers({"symptoms": ["appetite_loss", "right_shoulder_pain"]})
    assert triage(one).level == "soon"
    assert triage(two_stable).level == "soon"
    assert not triage(two_stable).escalated


def test_routine_when_nothing_is_reported() -> None:
    result = triage(SymptomAnswers())
    assert result.level == "routine"
    assert result.headline == "Mention it at your next check-up"
    assert result.reasons[0].text


def test_stable_mild_tiredness_is_routine() -> None:
    a = parse_answers({"symptoms": {"tiredness": {"days": 30, "severity": "mild"}}})
    assert triage(a).level == "routine"


def test_level_headlines_are_the_agreed_wording() -> None:
    assert {lv.id: lv.headline for lv in CAT.levels} == {
        "emergency": "Call emergency services now",
        "today": "Contact your cancer team or doctor today",
        "soon": "Book an appointment in the next few days",
        "routine": "Mention it at your next check-up",
    }


# ----------------------------------------------------------------------------------------------
# wording of the output
# ----------------------------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(answers=answers_strategy, country=st.sampled_from([None, "GB", "US", "AU", "IE"]))
def test_output_never_says_what_the_person_has(
    answers: SymptomAnswers, country: str | None
) -> None:
    result = triage(answers, country=country)
    text = render_text(result).lower()
    assert text.startswith(result.headline.lower())
    for phrase in FORBIDDEN:
        assert phrase not in text
    dumped = result.model_dump_json().lower()
    for phrase in FORBIDDEN:
        assert phrase not in dumped


def test_output_lists_what_to_tell_and_other_causes() -> None:
    a = parse_answers(
        {
            "symptoms": {"itching": {"days": 10, "severity": "moderate", "new_or_worse": True}},
            "context": {"temperature": "100.4 F", "cancer": "current"},
        }
    )
    result = triage(a)
    joined = " ".join(result.tell_doctor)
    assert "Itchy skin: for 10 days, moderate, new or getting worse." in joined
    assert "38 °C" in joined
    assert result.other_causes[0].symptom == "itching"
    assert "dry skin" in result.other_causes[0].causes


# ----------------------------------------------------------------------------------------------
# emergency numbers
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("country", "number"),
    [("GB", "999"), ("gb", "999"), ("US", "911"), ("IE", "112"), ("EU", "112"), ("AU", "000"),
     ("NZ", "111"), ("CA", "911"), ("IN", "112")],
)  # fmt: skip
def test_emergency_number_by_country(country: str, number: str) -> None:
    result = triage(parse_answers({"symptoms": ["black_stools"]}), country=country)
    assert result.action.startswith(f"Call {number}")
    assert number in result.safety_net


def test_default_emergency_number_text() -> None:
    result = triage(parse_answers({"symptoms": ["chest_pain"]}))
    assert "112 or your local emergency number" in result.action


def test_unknown_country_names_the_field() -> None:
    with pytest.raises(AnswersInputError, match="unknown country code 'XX'") as info:
        triage(SymptomAnswers(), country="XX")
    assert info.value.paths == ["country"]


def test_gb_today_mentions_nhs_111() -> None:
    a = parse_answers({"symptoms": ["difficulty_swallowing"]})
    assert "NHS 111" in triage(a, country="GB").action
    assert "NHS 111" not in triage(a, country="US").action


# ----------------------------------------------------------------------------------------------
# input errors and units
# ----------------------------------------------------------------------------------------------


def test_unknown_symptom_id_names_the_field() -> None:
    with pytest.raises(AnswersInputError) as info:
        parse_answers({"symptoms": {"headache": {}}})
    assert info.value.paths == ["symptoms"]
    assert "unknown symptom id 'headache'" in str(info.value)


def test_unknown_symptom_in_list_form() -> None:
    with pytest.raises(AnswersInputError, match="unknown symptom id 'x'"):
        parse_answers({"symptoms": [{"id": "x"}]})


@pytest.mark.parametrize("bad", ["38 K", {"value": 38, "unit": "kelvin"}, "hot", True])
def test_bad_temperature_names_the_field(bad: Any) -> None:
    with pytest.raises(AnswersInputError) as info:
        parse_answers({"context": {"temperature": bad}})
    assert info.value.paths == ["context.temperature"]


def test_fahrenheit_without_unit_is_refused_with_a_hint() -> None:
    with pytest.raises(AnswersInputError, match="needs the unit"):
        parse_answers({"context": {"temperature": 101}})


@pytest.mark.parametrize(
    ("given_value", "celsius"),
    [("101 F", 38.3), ("100.4°F", 38.0), ({"value": 98.6, "unit": "F"}, 37.0), ("38,2", 38.2),
     (37, 37.0), ("36.5 c", 36.5)],
)  # fmt: skip
def test_temperature_units_are_converted_on_the_way_in(given_value: Any, celsius: float) -> None:
    a = parse_answers({"context": {"temperature": given_value}})
    assert a.context.temperature_c == pytest.approx(celsius)


@pytest.mark.parametrize(
    ("answers", "path"),
    [
        ({"symptoms": {"itching": {"severity": "awful"}}}, "symptoms.itching.severity"),
        ({"context": {"colour": "red"}}, "context.colour"),
        ({"context": {"treatments": ["surgery"]}}, "context.treatments[0]"),
    ],
)
def test_bad_severity_and_unknown_fields_name_the_field(answers: Any, path: str) -> None:
    with pytest.raises(AnswersInputError) as info:
        parse_answers(answers)
    assert info.value.paths == [path]
    assert str(info.value).startswith(f"{path}: ")
