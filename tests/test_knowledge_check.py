"""``livermets knowledge check``: the packaged knowledge is clean, and the check can fail."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

import livermets.assessment.pipeline as pipeline
from livermets.assessment.pipeline import Step
from livermets.engine.parse import parse_rule
from livermets.errors import RuleTypeError, UnknownReferenceError
from livermets.faces.cli.main import _register, app
from livermets.knowledge_check import check_knowledge


def test_the_packaged_knowledge_is_clean() -> None:
    report = check_knowledge()
    assert report.problems == [] and report.unused == [], [str(f) for f in report.problems]
    assert report.counts["options"] >= 39 and report.counts["criteria"] > 100


def test_the_command_reports_and_exits_zero_when_clean() -> None:
    _register()
    result = CliRunner().invoke(app, ["knowledge", "check"])
    assert result.exit_code == 0, result.output
    assert "0 problems, 0 unused declarations" in result.output


def _with_extra_steps(monkeypatch: pytest.MonkeyPatch, *extra: Step) -> None:
    real = pipeline.all_steps()
    monkeypatch.setattr(pipeline, "all_steps", lambda: (*real, *extra))


def test_every_type_problem_is_reported_with_its_file_and_rule(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ill_typed = Step(
        "criterion:x.bad", parse_rule("lesion_count and ecog"), "criterion", "options/x.yaml: x.bad"
    )
    dead_literal = Step(
        "criterion:x.dead",
        parse_rule("symptoms.any(symptom == 'pain')", child_tables=frozenset({"symptoms"})),
        "criterion",
        "options/x.yaml: x.dead",
    )
    _with_extra_steps(monkeypatch, ill_typed, dead_literal)
    report = check_knowledge()
    lines = [str(f) for f in report.problems]
    # both operands of the 'and' are wrong, and the dead literal: every problem, each located
    assert len(lines) == 3, lines
    assert all(line.startswith("problem: options/x.yaml: x.") for line in lines)
    assert sum("x.bad" in line for line in lines) == 2
    assert any("'pain'" in line and "x.dead" in line for line in lines)


def test_loading_refuses_an_ill_typed_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    bad = Step("criterion:x.bad", parse_rule("not lesion_count"), "criterion", "options/x.yaml: x")
    _with_extra_steps(monkeypatch, bad)
    with pytest.raises(RuleTypeError) as caught:
        pipeline.steps.__wrapped__()
    assert caught.value.file == "options/x.yaml"


def test_loading_refuses_an_unknown_column(monkeypatch: pytest.MonkeyPatch) -> None:
    bad = Step(
        "criterion:x.bad", parse_rule("no_such_column > 1"), "criterion", "options/x.yaml: x"
    )
    _with_extra_steps(monkeypatch, bad)
    with pytest.raises(UnknownReferenceError):
        pipeline.steps.__wrapped__()
