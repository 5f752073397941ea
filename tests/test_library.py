"""Library and glossary: every topic the brief names exists, sources resolve, terms are explained
where first used, and lookups behave."""

from __future__ import annotations

import pytest

from livermets.errors import InputError
from livermets.knowledge import sources
from livermets.patient.glossary import Glossary, GlossaryEntry, explain_terms, load_glossary
from livermets.patient.library import get_topic, list_topics, parse_topic, render

TOPICS = list_topics()
GLOSSARY = load_glossary()


def test_every_required_topic_exists() -> None:
    ids = {t.id for t in TOPICS}
    required = {
        "secondary-liver-cancer", "the-liver", "how-cancer-spreads", "which-cancers-spread",
        "symptoms", "tests", "blood-tests", "tumour-markers", "ultrasound", "ct-scan", "mri-scan",
        "pet-ct", "angiogram", "laparoscopy", "biopsy", "staging", "treatments", "mdt", "surgery",
        "portal-vein-embolisation", "two-stage-surgery", "liver-transplant", "ablation",
        "irreversible-electroporation", "ethanol-injection", "embolisation", "sirt",
        "hepatic-arterial-infusion", "sabr", "palliative-radiotherapy", "histotripsy",
        "electrochemotherapy", "chemotherapy", "targeted-therapy", "immunotherapy",
        "hormone-therapy", "somatostatin-analogues-prrt", "palliative-care", "living-well",
        "complementary-therapies", "clinical-trials", "follow-up", "support", "common-questions",
        "questions-to-ask",
    }  # fmt: skip
    assert required - ids == set()


def test_six_steps_of_spread_are_all_there() -> None:
    body = get_topic("how-cancer-spreads").body
    assert all(f"\n{n}. " in body for n in range(1, 7))


@pytest.mark.parametrize("topic", TOPICS, ids=lambda t: t.id)
def test_topic_sources_and_defines_resolve(topic: object) -> None:
    from livermets.patient.library import Topic

    assert isinstance(topic, Topic)
    assert topic.sources, topic.id
    assert set(topic.sources) <= set(sources())
    for term_id in topic.defines:
        entry = next(e for e in GLOSSARY.entries if e.id == term_id)
        assert any(f.lower() in topic.body.lower() for f in entry.forms)


def test_glossary_sources_resolve_and_cover_the_seed_terms() -> None:
    assert {s for e in GLOSSARY.entries for s in e.sources} <= set(sources())
    for term in [
        "metastasis", "primary cancer", "secondary cancer", "resection", "hepatectomy",
        "ablation", "embolisation", "TACE", "chemoembolisation", "SIRT", "biopsy", "CT", "MRI",
        "PET-CT", "ultrasound", "jaundice", "ascites", "palliative care", "MDT", "oncologist",
        "tumour marker", "CEA", "chemotherapy", "immunotherapy", "portal vein", "lobe",
        "segment", "lymph node", "stent", "angiogram", "laparoscopy", "radiofrequency ablation",
        "SABR", "histotripsy", "electrochemotherapy", "paracentesis", "bilirubin", "albumin",
        "neuroendocrine tumour", "GIST", "melanoma", "micrometastases", "angiogenesis",
    ]:  # fmt: skip
        assert GLOSSARY.lookup(term) is not None, term


@pytest.mark.parametrize("topic", TOPICS, ids=lambda t: t.id)
def test_every_glossary_term_is_explained_where_first_used(topic: object) -> None:
    from livermets.patient.library import Topic

    assert isinstance(topic, Topic)
    body = topic.body
    shown = render(topic)
    previous_end = 0
    for use in GLOSSARY.first_uses(body):
        start, previous_end = max(previous_end, use.start - 30), use.end
        if use.entry.id in topic.defines:
            continue
        if body[use.end : use.end + 2] == " (":
            continue  # the writer explained it in place
        before = body[start : use.end]
        assert f"{before} ({use.entry.short})" in shown, (
            f"{topic.id}: {use.text!r} is not explained at its first use"
        )


def test_explain_terms_first_use_only_and_longest_form() -> None:
    text = "Jaundice can come back. Jaundice is common. A PET-CT scan, then a CT scan."
    out = explain_terms(text)
    assert out.count("(yellowing of the skin and eyes)") == 1
    assert out.startswith("Jaundice (yellowing of the skin and eyes) can come back.")
    pet = GLOSSARY.lookup("PET-CT")
    ct = GLOSSARY.lookup("CT scan")
    assert pet is not None and ct is not None
    assert f"PET-CT scan ({pet.short})" in out
    assert f"a CT scan ({ct.short})" in out


def test_explain_terms_respects_case_sensitive_short_forms_and_headings() -> None:
    out = explain_terms("# Jaundice\n\nA safety net. The NET grew.")
    assert out.startswith("# Jaundice\n")
    assert "safety net." in out
    entry = GLOSSARY.lookup("NET")
    assert entry is not None and f"NET ({entry.short})" in out


def test_explain_terms_leaves_writer_explanations_and_skipped_terms() -> None:
    assert explain_terms("Ascites (fluid in the tummy) can be drained.") == (
        "Ascites (fluid in the tummy) can be drained."
    )
    assert explain_terms("Ascites can be drained.", skip=["ascites"]) == "Ascites can be drained."


def test_explain_terms_with_a_custom_glossary() -> None:
    g = Glossary(
        [GlossaryEntry(id="x", term="widget", forms=("widget", "widgets"), short="a small thing",
                       explanation="A small thing.", sources=())]
    )  # fmt: skip
    assert explain_terms("Two widgets and a widget.", g) == (
        "Two widgets (a small thing) and a widget."
    )


def test_glossary_lookup_and_search() -> None:
    tace = GLOSSARY.lookup("tace")
    assert tace is not None and tace.id == "chemoembolisation"
    assert GLOSSARY.lookup("no such term") is None
    hits = [e.id for e in GLOSSARY.search("ablation")]
    assert hits[0] == "ablation" and "radiofrequency-ablation" in hits


def test_get_topic_by_id_title_and_prefix() -> None:
    assert get_topic("ct-scan").title == "CT scan"
    assert get_topic("CT scan").id == "ct-scan"
    assert get_topic("histo").id == "histotripsy"
    with pytest.raises(InputError, match="no topic called") as info:
        get_topic("zzz")
    assert info.value.paths == ["topic"]
    with pytest.raises(InputError, match="several topics"):
        get_topic("the")


def test_parse_topic_rejects_missing_front_matter() -> None:
    with pytest.raises(ValueError, match="front-matter"):
        parse_topic("# Title\n\nText.", "x.md")
