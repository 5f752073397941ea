"""One error tree: the classes the docstring of ``livermets.errors`` draws, input errors that keep
every problem with its field path, knowledge errors that name the file and the rule, the CLI's
one-line messages and exit statuses, and the public API end to end."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import livermets
from livermets import api, errors
from livermets.case.units import UnitError, to_canonical
from livermets.engine.parse import parse_rule
from livermets.errors import (
    AnswersInputError,
    CaseInputError,
    DuplicateIdError,
    FieldProblem,
    InputError,
    KnowledgeError,
    LivermetsError,
    RuleSyntaxError,
    UnknownReferenceError,
)
from livermets.faces.cli.main import _register, app, run
from livermets.importers.case_text import case_from_data, field_problem
from livermets.knowledge import cite, merge_sources, parse_yaml
from livermets.patient.glossary import Glossary, GlossaryEntry
from livermets.patient.library import parse_topic
from livermets.patient.symptoms import parse_answers

_register()
runner = CliRunner()
ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples/cases/colorectal-two-right-lobe-resectable.json"
MINIMAL: dict[str, Any] = {
    "schema_version": "1.0",
    "case_id": "e-1",
    "primary": {"site": "colorectal"},
}
#: A case with four problems in four places.
BAD_CASE: dict[str, Any] = {
    **MINIMAL,
    "labs": {
        "bilirubin": {"value": 1.0, "unit": "mg%"},
        "inr": {"value": 50, "unit": "ratio"},
    },
    "performance": {"ecog": 7},
    "symptoms": ["headache"],
}
BAD_CASE_PATHS = ["labs.bilirubin.unit", "labs.inr.value", "performance.ecog", "symptoms"]


# ----------------------------------------------------------------------------------------------
# the tree
# ----------------------------------------------------------------------------------------------


def drawn_tree() -> list[tuple[str, str | None]]:
    """(class, parent) for every class drawn in the docstring of ``livermets.errors``."""
    assert errors.__doc__
    pairs: list[tuple[str, str | None]] = []
    stack: list[tuple[int, str]] = []
    for line in errors.__doc__.splitlines():
        found = re.match(r"^(\s*(?:[│├└]──?\s*|│\s+|\s)*)([A-Z]\w+Error)\b", line)
        if not found:
            continue
        depth = len(found.group(1))
        while stack and stack[-1][0] >= depth:
            stack.pop()
        pairs.append((found.group(2), stack[-1][1] if stack else None))
        stack.append((depth, found.group(2)))
    return pairs


def test_every_class_in_the_docstring_exists_where_it_is_drawn() -> None:
    drawn = drawn_tree()
    assert [name for name, _ in drawn] == [
        "LivermetsError",
        "InputError",
        "CaseInputError",
        "AnswersInputError",
        "ImportInputError",
        "KnowledgeError",
        "RuleSyntaxError",
        "RuleTypeError",
        "UnknownReferenceError",
        "DuplicateIdError",
    ]
    for name, parent in drawn:
        cls = getattr(errors, name)
        assert issubclass(cls, Exception), name
        if parent is not None:
            assert cls.__bases__[0] is getattr(errors, parent), (name, parent)


def test_every_error_class_of_the_module_is_drawn() -> None:
    drawn = {name for name, _ in drawn_tree()}
    defined = {
        name
        for name, value in vars(errors).items()
        if isinstance(value, type) and issubclass(value, LivermetsError)
    }
    assert defined == drawn


def test_errors_raised_elsewhere_are_in_the_tree() -> None:
    assert issubclass(UnitError, CaseInputError)
    with pytest.raises(RuleSyntaxError) as caught:
        parse_rule("lesion_count +")
    assert isinstance(caught.value, KnowledgeError) and isinstance(caught.value, LivermetsError)


# ----------------------------------------------------------------------------------------------
# input errors: every problem, each with its path
# ----------------------------------------------------------------------------------------------


def test_a_case_with_several_problems_reports_all_of_them_with_paths() -> None:
    with pytest.raises(CaseInputError) as caught:
        case_from_data(BAD_CASE, source="bad.json")
    error = caught.value
    assert error.paths == BAD_CASE_PATHS
    assert str(error) == f"bad.json: {error.problems[0]} (and 3 more problems)"
    assert error.lines() == [f"bad.json: {p.path}: {p.problem}" for p in error.problems]
    assert "not recognised" in error.problems[0].problem
    assert "not a possible inr" in error.problems[1].problem


def test_one_problem_is_one_line_without_a_count() -> None:
    error = CaseInputError([FieldProblem("primary.site", "'liver' is not allowed")])
    assert str(error) == "primary.site: 'liver' is not allowed"
    assert str(CaseInputError([FieldProblem("", "the input is empty")])) == "the input is empty"


def test_the_path_comes_from_the_error_context_never_from_the_message() -> None:
    # A unit problem whose message does not start with "unit" still points at the unit ...
    located = field_problem(
        {
            "type": "unit_not_accepted",
            "loc": ("labs", "bilirubin"),
            "msg": "mg% is not a bilirubin unit",
            "ctx": {"field": "unit", "message": "mg% is not a bilirubin unit"},
        }
    )
    assert located == FieldProblem("labs.bilirubin.unit", "mg% is not a bilirubin unit")
    # ... and a message that happens to start with "unit" does not move the path.
    plain = field_problem(
        {"type": "value_error", "loc": ("care", "hospital"), "msg": "Value error, unit 4 closed"}
    )
    assert plain.path == "care.hospital"


def test_unit_error_outside_a_case_is_an_input_error_at_unit() -> None:
    with pytest.raises(InputError) as caught:
        to_canonical("bilirubin", 1.0, "mg%")
    assert caught.value.paths == ["unit"] and "not recognised" in str(caught.value)


def test_answers_with_several_problems_report_all_of_them() -> None:
    with pytest.raises(AnswersInputError) as caught:
        parse_answers(
            {
                "symptoms": {"itching": {"severity": "awful", "days": -2}},
                "context": {"temperature": "38 K", "colour": "red"},
            }
        )
    assert sorted(caught.value.paths) == [
        "context.colour",
        "context.temperature",
        "symptoms.itching.days",
        "symptoms.itching.severity",
    ]
    temperature = next(p for p in caught.value.problems if p.path == "context.temperature")
    assert temperature.problem == "unknown unit 'K'; use C or F"  # the validator's own words


def test_several_unknown_symptom_ids_are_named_together() -> None:
    with pytest.raises(AnswersInputError) as caught:
        parse_answers({"symptoms": ["headache", "itching", "earache"]})
    assert caught.value.paths == ["symptoms"]
    assert "'headache', 'earache'" in str(caught.value)


# ----------------------------------------------------------------------------------------------
# knowledge errors: file, rule, problem
# ----------------------------------------------------------------------------------------------


def test_a_source_declared_twice_names_both_files_and_the_id() -> None:
    one = [{"id": "x2020", "citation": "X. A paper. 2020."}]
    with pytest.raises(DuplicateIdError) as caught:
        merge_sources([("sources/a.yaml", one), ("sources/b.yaml", one)])
    error = caught.value
    assert (error.file, error.rule) == ("sources/b.yaml", "x2020")
    assert str(error).startswith("sources/b.yaml: x2020: ") and "sources/a.yaml" in str(error)


def test_a_malformed_source_names_the_file_the_id_and_the_field() -> None:
    with pytest.raises(KnowledgeError) as caught:
        merge_sources([("sources/a.yaml", [{"id": "y2021", "citation": "Y.", "colour": "red"}])])
    assert (caught.value.file, caught.value.rule) == ("sources/a.yaml", "y2021")
    assert "colour" in caught.value.problem


def test_malformed_knowledge_yaml_names_the_file_and_the_line() -> None:
    with pytest.raises(KnowledgeError) as caught:
        parse_yaml("a: [1, 2\nb: 3\n", "options/surgery.yaml")
    assert caught.value.file == "options/surgery.yaml"
    assert re.search(r"malformed YAML at line \d+", str(caught.value))


def test_an_unknown_cited_source_is_an_unknown_reference() -> None:
    with pytest.raises(UnknownReferenceError, match="no-such-source"):
        cite(["no-such-source"])


def test_patient_knowledge_files_raise_knowledge_errors_naming_the_file() -> None:
    with pytest.raises(KnowledgeError) as caught:
        parse_topic("# No front matter\n", "stray.md")
    assert caught.value.file == "library/stray.md"
    entry = GlossaryEntry(
        id="ct", term="CT", forms=("CT",), short="a scan", explanation="A scan.", sources=()
    )
    with pytest.raises(DuplicateIdError) as twice:
        Glossary([entry, entry])
    assert (twice.value.file, twice.value.rule) == ("glossary.yaml", "ct")


def test_located_fills_in_file_and_rule_once() -> None:
    error = RuleSyntaxError("expected a number").located(file="options/x.yaml", rule="crit.a")
    assert isinstance(error, RuleSyntaxError)
    assert str(error) == "options/x.yaml: crit.a: expected a number"
    assert error.located(file="other.yaml").file == "options/x.yaml"


# ----------------------------------------------------------------------------------------------
# the CLI: one line, exit 2 for input, exit 3 for knowledge; never a message parsed
# ----------------------------------------------------------------------------------------------


def cli(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), input=stdin)
    return result.exit_code, result.stdout, result.stderr


def test_cli_case_error_is_one_line_naming_the_first_field(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(BAD_CASE), encoding="utf-8")
    code, out, err = cli("assess", str(path))
    assert (code, out) == (2, "")
    lines = err.splitlines()
    assert len(lines) == 1 and "Traceback" not in err
    assert lines[0].startswith(f"error: {path}: labs.bilirubin.unit: unit 'mg%' is not recogn")
    assert lines[0].endswith("(and 3 more problems)")


def test_cli_all_errors_lists_every_problem_one_per_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(BAD_CASE), encoding="utf-8")
    code, out, err = cli("assess", str(path), "--all-errors")
    assert (code, out) == (2, "")
    lines = err.splitlines()
    assert len(lines) == len(BAD_CASE_PATHS)
    for line, field in zip(lines, BAD_CASE_PATHS, strict=True):
        assert line.startswith(f"error: {path}: {field}: "), line


def test_cli_answers_errors_one_line_or_all(tmp_path: Path) -> None:
    path = tmp_path / "answers.yaml"
    path.write_text(
        "symptoms: {itching: {severity: awful}}\ncontext: {temperature: 38 K}\n", encoding="utf-8"
    )
    code, out, err = cli("symptoms", "--answers", str(path))
    assert (code, out) == (2, "")
    assert len(err.splitlines()) == 1 and "(and 1 more problem)" in err
    code, _, err = cli("symptoms", "--answers", str(path), "--all-errors")
    assert code == 2
    assert err.splitlines() == [
        f"error: {path}: symptoms.itching.severity: Input should be 'mild', 'moderate' or 'severe'",
        f"error: {path}: context.temperature: unknown unit 'K'; use C or F",
    ]


def test_cli_knowledge_error_is_one_line_and_exit_3(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(case: object) -> None:
        raise DuplicateIdError("criterion declared twice", file="options/surgery.yaml", rule="a.b")

    monkeypatch.setattr(api, "assess", broken)
    code, out, err = cli("assess", str(EXAMPLE))
    assert (code, out) == (3, "")
    lines = err.splitlines()
    assert len(lines) == 1 and "Traceback" not in err
    assert "options/surgery.yaml: a.b: criterion declared twice" in lines[0]


def test_installed_entry_point_knowledge_error_exit_3(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(text: str, *, source: str = "") -> None:
        raise KnowledgeError("malformed YAML at line 3, column 1", file="units.yaml")

    monkeypatch.setattr(api, "parse_case", broken)
    monkeypatch.setattr(sys, "argv", ["livermets", "assess", str(EXAMPLE)])
    with pytest.raises(SystemExit) as caught:
        run()
    assert caught.value.code == 3
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and "units.yaml: malformed YAML" in err


# ----------------------------------------------------------------------------------------------
# the public API, end to end
# ----------------------------------------------------------------------------------------------


def test_package_exports_the_api() -> None:
    from livermets import assess, parse_case

    assert assess is api.assess and parse_case is api.parse_case
    for name in ("triage", "evaluate_cohort", "render", "case_from_data"):
        assert getattr(livermets, name) is getattr(api, name)


def test_api_end_to_end_on_an_example_renders_every_face() -> None:
    case = api.parse_case(EXAMPLE.read_text(encoding="utf-8"), source=EXAMPLE.name)
    assessment = api.assess(case)
    resection = next(o for o in assessment.options if o.id == "resection")
    assert resection.status == "candidate"  # two right-lobe lesions, fit, adequate remnant
    rendered = {
        (face, fmt): api.render(assessment, face, format=fmt)
        for face, formats in api.FACES.items()
        for fmt in formats
    }
    assert len(rendered) == 8
    assert json.loads(rendered[("json", "json")])["case"]["case_id"] == case.case_id
    assert json.loads(rendered[("letter", "json")])["kind"] == "patient_letter"
    assert rendered[("report", "html")].startswith("<!DOCTYPE html>")
    assert rendered[("report", "markdown")].startswith(f"# MDT summary: {case.case_id}")
    assert rendered[("letter", "html")].startswith("<!DOCTYPE html>")
    assert case.case_id in rendered[("terminal", "text")]
    assert "\x1b[" not in rendered[("terminal", "text")]
    assert "\x1b[" in api.render(assessment, "terminal", color=True)
    for (face, fmt), text in rendered.items():
        assert text.strip(), (face, fmt)


def test_api_render_refuses_unknown_faces_and_formats() -> None:
    assessment = api.assess(api.case_from_data(MINIMAL))
    with pytest.raises(ValueError, match="unknown face"):
        api.render(assessment, "pdf")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="not 'pdf'"):
        api.render(assessment, "report", format="pdf")


def test_api_evaluate_cohort_agrees_with_assess() -> None:
    cases = [
        api.parse_case(EXAMPLE.read_text(encoding="utf-8")),
        api.case_from_data(MINIMAL),
    ]
    columns = [f"option__{o.id}" for o in api.assess(cases[0]).options]
    cohort = api.evaluate_cohort(cases, only=columns).collect()
    assert cohort["case_id"].to_list() == [c.case_id for c in cases]
    for row, case in zip(cohort.iter_rows(named=True), cases, strict=True):
        statuses = {f"option__{o.id}": o.status for o in api.assess(case).options}
        assert {k: row[k] for k in columns} == statuses


def test_api_evaluate_cohort_names_a_repeated_case_id() -> None:
    case = api.case_from_data(MINIMAL)
    with pytest.raises(CaseInputError) as caught:
        api.evaluate_cohort([case, api.case_from_data({**MINIMAL, "case_id": "e-2"}), case])
    assert caught.value.paths == ["[2].case_id"]


def test_api_triage_takes_raw_answers_and_names_bad_fields() -> None:
    result = api.triage({"symptoms": ["black_stools"], "context": {"cancer": "past"}}, country="GB")
    assert result.level == "emergency" and "999" in result.action
    with pytest.raises(AnswersInputError) as caught:
        api.triage({"symptoms": ["itching"]}, fever_threshold_c=39.5)
    assert caught.value.paths == ["fever_threshold_c"]
