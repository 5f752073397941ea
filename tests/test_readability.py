"""Readability and own-words checks for every patient-facing text: explainers, symptom-checker
texts and outputs, glossary entries. Flesch-Kincaid grade <= 8 (aim 6); no 8-word run copied
from the seed pages."""

from __future__ import annotations

import pytest
from conftest import require_shared

from livermets.patient import readability as rd
from livermets.patient.glossary import load_glossary
from livermets.patient.library import list_topics, render
from livermets.patient.symptoms import (
    SymptomAnswers,
    load_catalog,
    parse_answers,
    render_text,
    triage,
)

MAX_GRADE = 8.0
CAT = load_catalog()


def explainer_texts() -> dict[str, str]:
    return {t.id: render(t) for t in list_topics()}


def glossary_texts() -> dict[str, str]:
    return {e.id: e.explanation for e in load_glossary().entries}


def symptom_texts() -> dict[str, str]:
    """Every text of the symptom checker, grouped so each is scored as a person reads it."""
    fmt = {"threshold_c": "37.5", "low_c": "36", "number": "999", "urgent_advice": "", "count": 2}
    out: dict[str, str] = {}
    for lv in CAT.levels:
        out[f"level:{lv.id}"] = f"{lv.headline}. {lv.action.format(**fmt)}"
    for t in CAT.triggers:
        out[f"reason:{t.id}"] = t.reason.format(**fmt)
    out["reason:escalation"] = CAT.escalation.reason.format(**fmt)
    for s in CAT.symptoms:
        out[f"question:{s.id}"] = s.question
        out[f"causes:{s.id}"] = f"- {s.label}:\n" + "\n".join(f"  - {c}" for c in s.other_causes)
    for key, text in CAT.texts.items():
        if "{" not in text:
            out[f"text:{key}"] = text
    out["severities"] = " ".join(f"{c.label.capitalize()}. {c.description}" for c in CAT.severities)
    return out


def sample_outputs() -> dict[str, str]:
    """Whole results as shown, for a spread of answers."""
    cases = {
        "none": SymptomAnswers(),
        "emergency": parse_answers({"symptoms": ["vomiting_blood", "jaundice"]}),
        "today": parse_answers(
            {"symptoms": ["fever_sweats"], "context": {"treatments": ["chemotherapy"]}}
        ),
        "soon": parse_answers(
            {"symptoms": {"weight_loss": {"days": 30, "severity": "moderate"}, "itching": {}}}
        ),
        "escalated": parse_answers(
            {
                "symptoms": {
                    "appetite_loss": {"days": 5, "new_or_worse": True},
                    "right_upper_pain": {"days": 4, "new_or_worse": True},
                    "tiredness": {"days": 20},
                },
                "context": {"cancer": "past", "temperature": "99.5 F"},
            }
        ),
        "all": parse_answers({"symptoms": list(CAT.symptom_ids())}),
    }
    return {k: render_text(triage(a, country="GB")) for k, a in cases.items()}


KINDS = {
    "explainer": explainer_texts,
    "symptom text": symptom_texts,
    "symptom output": sample_outputs,
    "glossary": glossary_texts,
}


def grades(kind: str) -> dict[str, float]:
    return {name: rd.grade(text) for name, text in KINDS[kind]().items()}


@pytest.mark.parametrize("kind", list(KINDS))
def test_every_text_is_grade_8_or_below(kind: str) -> None:
    scored = grades(kind)
    too_hard = {name: g for name, g in scored.items() if g > MAX_GRADE}
    assert not too_hard, f"{kind}: Flesch-Kincaid grade above {MAX_GRADE}: {too_hard}"


def test_explainers_aim_for_grade_6_on_average() -> None:
    scored = grades("explainer")
    assert sum(scored.values()) / len(scored) <= 6.5


# ----------------------------------------------------------------------------------------------
# own words: no 8-word run of ours appears in a seed page
# ----------------------------------------------------------------------------------------------


def seed_texts() -> list[str]:
    folder = require_shared("seeds")
    texts = [p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.txt"))]
    if not texts:
        pytest.skip(f"no seed pages in {folder}")
    return texts


@pytest.mark.parametrize("kind", list(KINDS))
def test_no_sentence_copied_from_the_seeds(kind: str) -> None:
    seeds = seed_texts()
    copied = {
        name: sorted(rd.shared_shingles(text, seeds, 8)) for name, text in KINDS[kind]().items()
    }
    copied = {name: runs for name, runs in copied.items() if runs}
    assert not copied, f"{kind}: 8-word runs also found in a seed page: {copied}"


def test_long_sentences_of_ours_are_not_in_the_seeds() -> None:
    seeds = seed_texts()
    pool = " ".join(rd.normalise(s) for s in seeds)
    for kind in KINDS:
        for text in KINDS[kind]().values():
            for sentence in rd.sentences(text):
                norm = rd.normalise(sentence)
                if len(norm.split()) >= 8:
                    assert norm not in pool, f"{kind}: copied sentence {sentence!r}"


# ----------------------------------------------------------------------------------------------
# the helpers themselves
# ----------------------------------------------------------------------------------------------


def test_plain_text_strips_markdown_and_ends_items() -> None:
    md = "---\nid: x\n---\n# Title\n\n- **bold** item\n- [link](http://x) two\n\nText here."
    assert rd.plain_text(md) == "Title.\n\nbold item.\nlink two.\n\nText here."


def test_grade_is_low_for_plain_and_high_for_dense_text() -> None:
    assert rd.grade("The cat sat on the mat. It was warm.") < 3
    dense = (
        "Hepatocellular carcinoma necessitates multidisciplinary evaluation incorporating "
        "comprehensive radiological characterisation, histopathological confirmation and "
        "individualised therapeutic stratification."
    )
    assert rd.grade(dense) > 12


def test_shingles_ignore_case_and_punctuation() -> None:
    a = "One two three, four five six seven eight nine."
    b = "ONE TWO THREE FOUR FIVE SIX SEVEN EIGHT"
    assert rd.shared_shingles(a, [b]) == {"one two three four five six seven eight"}
    assert rd.shared_shingles("short text", [b]) == set()
