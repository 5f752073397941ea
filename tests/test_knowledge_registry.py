"""Loading the knowledge folder: one file per option, named definitions, references checked at
load, and every problem a KnowledgeError naming the file and the rule."""

from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path

import pytest
import yaml

from livermets.assessment.pipeline import Step, order_steps, steps
from livermets.criteria.registry import Registry, load_registry, registry, step_label
from livermets.engine.scalar import compile_scalar
from livermets.errors import (
    DuplicateIdError,
    KnowledgeError,
    RuleSyntaxError,
    UnknownReferenceError,
)


@pytest.fixture
def knowledge(tmp_path: Path) -> Path:
    """A scratch copy of the packaged knowledge folder."""
    packaged = Path(str(resources.files("livermets.knowledge")))
    copy = tmp_path / "knowledge"
    shutil.copytree(packaged, copy, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    return copy


def _edit(path: Path, edit: dict[str, object]) -> None:
    raw = yaml.safe_load(path.read_text("utf-8"))
    raw.update(edit)
    path.write_text(yaml.safe_dump(raw, sort_keys=False, allow_unicode=True), "utf-8")


def _add_definition(folder: Path, **fields: object) -> None:
    path = folder / "definitions.yaml"
    raw = yaml.safe_load(path.read_text("utf-8"))
    raw["definitions"].append({"statement": "test", "sources": ["ref-clinical-logic"], **fields})
    path.write_text(yaml.safe_dump(raw, sort_keys=False, allow_unicode=True), "utf-8")


def _definition_steps(rules: Registry) -> list[Step]:
    return [
        Step(d.column, d.expr, "definition", f"{d.file}: definition {d.id}")
        for d in rules.definitions.values()
    ]


# --- the packaged knowledge ---------------------------------------------------------------------


def test_packaged_knowledge_loads_and_orders() -> None:
    names = [s.name for s in steps()]
    position = {name: i for i, name in enumerate(names)}
    for step in steps():
        assert step.origin, step.name
        for column in step.expr.columns():
            if column in position:
                assert position[column] < position[step.name], (step.name, column)
    assert steps()[0].origin == "features/derived.py"
    origins = {s.name: s.origin for s in steps()}
    assert origins["criterion:resection.sflr_adequate"] == (
        "criteria/surgery.yaml: criterion resection.sflr_adequate"
    )
    assert origins["liver_dominant"] == "definitions.yaml: definition liver_dominant"


def test_definitions_are_steps_any_rule_reads_by_name() -> None:
    kinds = {s.name: s.kind for s in steps()}
    for definition in registry().definitions:
        assert kinds[definition] == "definition"
    # the liver-dominant rule is written once: the criterion reads the definition
    assert registry().criteria["local.liver_dominant"].decl.rule == "liver_dominant"


def test_option_roles_are_computed_once() -> None:
    resection = registry().options["resection"]
    assert resection.applies == ("resection.primary_site",)
    assert resection.hard[0] == "resection.primary_site"
    assert "local.child_pugh_a" in resection.hard
    assert "resection.sflr_adequate" in resection.soft
    assert "resection.sflr_adequate" not in resection.hard
    assert resection.excludes == ("local.unfit_recorded",)
    assert resection.fixable()["resection.sflr_adequate"] == ["portal_vein_embolisation"]
    assert step_label("portal_vein_embolisation") == "portal vein embolisation"
    assert step_label("conversion_systemic_therapy") == "conversion systemic therapy"


def test_patient_texts_live_with_the_option() -> None:
    from livermets.faces.patient_letter import load_texts

    assert load_texts().options["resection"].short == "liver surgery"
    assert registry().options["resection"].decl.patient is not None


# --- a new option is one file --------------------------------------------------------------------

NEW_OPTION = """\
id: scratch_trial_option
name: Scratch trial option
group: trial
summary: "A trial option written for a test."
applies: [scratch.colorectal]
requires: [scratch.liver_only, local.ecog_0_2]
pathways:
  - after: control_of_primary
    fixes: [scratch.liver_only]
sources: [ref-clinical-logic]
rank: 999
patient:
  name: A research study
  short: a research study
  involves: "A study."
  aim: "To learn."
  recovery: "Ask your team."
criteria:
  - id: scratch.colorectal
    statement: "Bowel cancer"
    rule: "primary_site == 'colorectal'"
    sources: [ref-clinical-logic]
  - id: scratch.liver_only
    statement: "Liver-dominant disease"
    rule: "liver_dominant"
    sources: [ref-clinical-logic]
"""


def test_a_new_option_file_is_picked_up_with_nothing_else_edited(knowledge: Path) -> None:
    before = {p: p.read_bytes() for p in knowledge.rglob("*") if p.is_file()}
    (knowledge / "options" / "scratch_trial_option.yaml").write_text(NEW_OPTION, "utf-8")
    after = {p: p.read_bytes() for p in knowledge.rglob("*") if p.is_file()}
    assert set(after) - set(before) == {knowledge / "options" / "scratch_trial_option.yaml"}
    assert all(after[p] == content for p, content in before.items())

    rules = load_registry(knowledge)
    option = rules.options["scratch_trial_option"]
    assert option.file == "options/scratch_trial_option.yaml"
    assert option.hard == ("scratch.colorectal", "local.ecog_0_2")
    assert option.soft == ("scratch.liver_only",)
    assert option in rules.group_options("trial")
    assert "scratch.liver_only" in rules.criteria
    status = compile_scalar(option.status)
    base = {
        "criterion:scratch.colorectal": True,
        "criterion:local.ecog_0_2": True,
        "criterion:scratch.liver_only": True,
    }
    assert status(base) == "candidate"
    assert status({**base, "criterion:scratch.liver_only": False}) == "consider_after"
    assert status({**base, "criterion:scratch.colorectal": False}) == "not_suitable"
    assert status({**base, "criterion:local.ecog_0_2": None}) == "needs_data"


# --- problems are KnowledgeErrors naming file and rule ------------------------------------------


def test_duplicate_criterion_id(knowledge: Path) -> None:
    path = knowledge / "options" / "resection.yaml"
    raw = yaml.safe_load(path.read_text("utf-8"))
    raw["criteria"].append({**raw["criteria"][0], "id": "local.child_pugh_a"})
    path.write_text(yaml.safe_dump(raw, sort_keys=False, allow_unicode=True), "utf-8")
    with pytest.raises(DuplicateIdError) as caught:
        load_registry(knowledge)
    assert caught.value.file == "options/resection.yaml"
    assert caught.value.rule == "local.child_pugh_a"


def test_duplicate_definition_id(knowledge: Path) -> None:
    _add_definition(knowledge, id="liver_dominant", rule="True")
    with pytest.raises(DuplicateIdError) as caught:
        load_registry(knowledge)
    assert (caught.value.file, caught.value.rule) == ("definitions.yaml", "liver_dominant")


def test_unknown_criterion_named_by_an_option(knowledge: Path) -> None:
    _edit(knowledge / "options" / "sabr.yaml", {"excludes": ["local.no_such_criterion"]})
    with pytest.raises(UnknownReferenceError) as caught:
        load_registry(knowledge)
    assert (caught.value.file, caught.value.rule) == ("options/sabr.yaml", "sabr")
    assert "local.no_such_criterion" in str(caught.value)


def test_unknown_reference_inside_a_rule(knowledge: Path) -> None:
    _add_definition(knowledge, id="scratch", rule="local.no_such_criterion or liver_dominant")
    with pytest.raises(UnknownReferenceError) as caught:
        load_registry(knowledge)
    assert (caught.value.file, caught.value.rule) == ("definitions.yaml", "scratch")


def test_unknown_name_inside_a_rule(knowledge: Path) -> None:
    _add_definition(knowledge, id="scratch", rule="no_such_definition and liver_dominant")
    with pytest.raises(UnknownReferenceError) as caught:
        load_registry(knowledge)
    assert caught.value.rule == "scratch"
    assert "no_such_definition" in str(caught.value)


def test_unknown_pathway_step_and_group(knowledge: Path) -> None:
    path = knowledge / "options" / "resection.yaml"
    raw = yaml.safe_load(path.read_text("utf-8"))
    raw["pathways"][0]["after"] = "no_such_step"
    path.write_text(yaml.safe_dump(raw, sort_keys=False, allow_unicode=True), "utf-8")
    with pytest.raises(UnknownReferenceError, match="no_such_step") as caught:
        load_registry(knowledge)
    assert (caught.value.file, caught.value.rule) == ("options/resection.yaml", "resection")
    raw["pathways"][0]["after"] = "portal_vein_embolisation"
    raw["group"] = "no_such_group"
    path.write_text(yaml.safe_dump(raw, sort_keys=False, allow_unicode=True), "utf-8")
    with pytest.raises(UnknownReferenceError, match="no_such_group"):
        load_registry(knowledge)


def test_unknown_source_id(knowledge: Path) -> None:
    _edit(knowledge / "options" / "tace.yaml", {"sources": ["seed-002", "no-such-source"]})
    with pytest.raises(UnknownReferenceError, match="no-such-source") as caught:
        load_registry(knowledge)
    assert (caught.value.file, caught.value.rule) == ("options/tace.yaml", "tace")


def test_rule_syntax_error(knowledge: Path) -> None:
    _add_definition(knowledge, id="scratch", rule="lesion_count >")
    with pytest.raises(RuleSyntaxError) as caught:
        load_registry(knowledge)
    assert (caught.value.file, caught.value.rule) == ("definitions.yaml", "scratch")


def test_reference_cycle(knowledge: Path) -> None:
    _add_definition(knowledge, id="scratch_a", rule="scratch_b and liver_dominant")
    _add_definition(knowledge, id="scratch_b", rule="not scratch_a")
    rules = load_registry(knowledge)  # each reference exists ...
    with pytest.raises(KnowledgeError, match="cycle") as caught:  # ... but they go round
        order_steps(_definition_steps(rules))
    assert caught.value.file == "definitions.yaml"
    assert caught.value.rule == "definition scratch_a"
    assert "scratch_a -> scratch_b -> scratch_a" in str(caught.value)


def test_option_file_named_after_its_id(knowledge: Path) -> None:
    (knowledge / "options" / "tae.yaml").rename(knowledge / "options" / "bland.yaml")
    with pytest.raises(KnowledgeError, match=r"options/tae\.yaml"):
        load_registry(knowledge)
