"""The one input boundary (``importers/text.py`` and the models): every text that enters is
checked for size, depth, number length, duplicate keys and YAML tags/aliases/timestamps before
validation; the models refuse truth values as numbers, NaN/infinity, implausible upper limits of
normal and control characters; every failure is one located line, exit 2, never a traceback."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import require_shared
from typer.testing import CliRunner

from livermets.api import parse_case, render, triage
from livermets.errors import AnswersInputError, CaseInputError, shown
from livermets.faces.cli.main import _register, app, one_line
from livermets.importers.text import (
    MAX_DEPTH,
    MAX_NUMBER_CHARS,
    MAX_TEXT_CHARS,
    MAX_VALUES,
    parse_document,
)
from livermets.patient.symptoms import parse_answers, parse_temperature_c

_register()
runner = CliRunner()

BASE = '"schema_version": "1.0", "case_id": "r", "primary": {"site": "colorectal"}'
YAML_BASE = 'schema_version: "1.0"\ncase_id: r\nprimary: {site: colorectal}\n'


def case_json(extra: str = "") -> str:
    return "{" + BASE + (", " + extra if extra else "") + "}"


def problem_paths(text: str) -> list[str]:
    with pytest.raises(CaseInputError) as caught:
        parse_case(text)
    return caught.value.paths


def only_problem(text: str) -> str:
    with pytest.raises(CaseInputError) as caught:
        parse_case(text)
    assert len(caught.value.problems) == 1, caught.value.problems
    return str(caught.value.problems[0])


# --- limits ------------------------------------------------------------------------------------


def test_size_limit() -> None:
    text = case_json('"notes": "' + "x" * MAX_TEXT_CHARS + '"')
    assert "characters; at most" in only_problem(text)


@pytest.mark.parametrize("kind", ["json", "yaml"])
def test_depth_limit_refused_without_recursion(kind: str) -> None:
    deep = "[" * (MAX_DEPTH + 5) + "]" * (MAX_DEPTH + 5)
    text = case_json(f'"notes": {deep}') if kind == "json" else YAML_BASE + f"notes: {deep}\n"
    assert f"nested more than {MAX_DEPTH} levels deep" in only_problem(text)
    # a very deep document (beyond Python's recursion limit) is the same clean error
    very = "[" * 5000 + "]" * 5000
    assert "nested more than" in only_problem(very)


def test_depth_within_limit_is_read() -> None:
    nested = "[" * (MAX_DEPTH - 2) + "]" * (MAX_DEPTH - 2)
    assert parse_document('{"a": ' + nested + "}") is not None


@pytest.mark.parametrize(
    "text",
    [
        case_json('"liver": {"lesion_count": ' + "9" * 4301 + "}"),
        YAML_BASE + "liver: {lesion_count: " + "9" * 4301 + "}\n",
        YAML_BASE + "liver: {lesion_count: 0x" + "f" * 4000 + "}\n",
        case_json('"patient": {"age_years": 1.' + "0" * 100 + "}"),
    ],
)
def test_number_length_limit(text: str) -> None:
    message = only_problem(text)
    assert "too long" in message and len(message) < 200, message
    assert message.split(":")[0] in {"liver.lesion_count", "patient.age_years"}


def test_numbers_up_to_the_limit_are_read() -> None:
    assert parse_document('{"a": ' + "1" * MAX_NUMBER_CHARS + "}") == {
        "a": int("1" * MAX_NUMBER_CHARS)
    }


# --- duplicate keys ----------------------------------------------------------------------------


def test_duplicate_json_key_names_its_path() -> None:
    text = case_json('"performance": {"ecog": 4, "ecog": 0}')
    assert only_problem(text).startswith("performance.ecog: this key is given twice")
    top = '{"schema_version": "1.0", "case_id": "a", "case_id": "b", "primary": {}}'
    assert "case_id" in problem_paths(top)


def test_duplicate_yaml_key_names_its_path() -> None:
    text = YAML_BASE + "performance:\n  ecog: 4\n  ecog: 0\n"
    assert only_problem(text).startswith("performance.ecog: this key is given twice")


def test_duplicate_answers_key_and_symptom() -> None:
    with pytest.raises(AnswersInputError) as caught:
        parse_document(
            "symptoms:\n  jaundice: {severity: severe}\n  jaundice: {severity: mild}\n",
            error=AnswersInputError,
        )
    assert caught.value.paths == ["symptoms.jaundice"]
    with pytest.raises(AnswersInputError, match="given twice"):
        parse_answers({"symptoms": [{"id": "jaundice", "severity": "severe"}, "jaundice"]})


# --- YAML: tags, aliases, timestamps -----------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("!!int abc", "cannot be read as an integer"),
        ("!!float abc", "cannot be read as a number"),
        ("!!bool maybe", "cannot be read as true or false"),
        ("!!timestamp not-a-date", "is not a possible date"),
        ("!!python/object:os.system x", "is not accepted"),
        ("!custom x", "is not accepted"),
        ("2020-02-30", "is not a possible date"),
        ("2020-01-01 00:00:00 +25:00", "is not a possible date"),
        (".nan", "not a finite number"),
        ("-.inf", "not a finite number"),
    ],
)
def test_yaml_scalars_are_clean_errors(value: str, words: str) -> None:
    message = only_problem(YAML_BASE + f"notes: {value}\n")
    assert message.startswith("notes: ") and words in message, message


def test_impossible_date_named_anywhere() -> None:
    assert problem_paths(YAML_BASE + "as_of: 2020-02-30\n") == ["as_of"]
    deep = (
        YAML_BASE
        + "prior_treatments:\n  systemic:\n    - {regimen_class: x, start_date: 2021-13-01}\n"
    )
    assert problem_paths(deep) == ["prior_treatments.systemic[0].start_date"]


def test_billion_laughs_refused_fast_with_a_short_message() -> None:
    lines = [YAML_BASE.rstrip(), "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for i in range(1, 12):
        refs = ", ".join([f"*a{i - 1}"] * 9)
        lines.append(f"a{i}: &a{i} [{refs}]")
    lines.append("acute_problems: *a11")
    message = only_problem("\n".join(lines) + "\n")
    assert f"more than {MAX_VALUES:,} values" in message and len(message) < 200


def test_small_aliases_are_fine() -> None:
    text = YAML_BASE + "x: &v 2020-01-01\nas_of: *v\n"
    assert parse_document(text)["as_of"].isoformat() == "2020-01-01"


def test_yaml_flow_mapping_is_yaml() -> None:
    case = parse_case('{schema_version: "1.0", case_id: r, primary: {site: colorectal}}')
    assert case.case_id == "r"


def test_schema_version_written_as_a_yaml_number() -> None:
    case = parse_case("schema_version: 1.0\ncase_id: r\nprimary: {site: colorectal}\n")
    assert case.schema_version == "1.0"


def test_malformed_documents_stay_located() -> None:
    assert "malformed JSON at line 1" in only_problem('{"a": 1,,}')
    assert "malformed YAML at line" in only_problem("a: [1, 2\nb: 3\n")
    assert "one document" in only_problem(YAML_BASE + "---\n" + YAML_BASE)


# --- strict types ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("extra", "path"),
    [
        ('"performance": {"ecog": true}', "performance.ecog"),
        ('"liver": {"lesions": [{"segments": [false]}]}', "liver.lesions[0].segments"),
        ('"patient": {"age_years": true}', "patient.age_years"),
        ('"labs": {"bilirubin": {"value": true, "unit": "mg/dL"}}', "labs.bilirubin.value"),
        ('"primary": {"site": "neuroendocrine", "grade": true}', "primary.grade"),
    ],
)
def test_truth_value_is_never_a_number(extra: str, path: str) -> None:
    text = "{" + BASE.replace(', "primary": {"site": "colorectal"}', "") + ", " + extra + "}"
    if '"primary"' not in extra:
        text = case_json(extra)
    message = only_problem(text)
    assert message.startswith(f"{path}: ") and "is not a number" in message, message


def test_truth_values_still_fill_truth_fields() -> None:
    assert parse_case(case_json('"background_liver": {"cirrhosis": true}')).background_liver


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_non_finite_numbers_refused(constant: str) -> None:
    message = only_problem(case_json('"patient": {"age_years": ' + constant + "}"))
    assert message.startswith("patient.age_years: ") and "not a finite number" in message


def test_api_data_refuses_non_finite_and_huge_integers() -> None:
    from livermets.api import case_from_data

    data = {"schema_version": "1.0", "case_id": "r", "primary": {"site": "colorectal"}}
    with pytest.raises(CaseInputError) as caught:
        case_from_data({**data, "patient": {"age_years": float("nan")}})
    assert caught.value.paths == ["patient.age_years"]
    with pytest.raises(CaseInputError) as caught:
        case_from_data({**data, "liver": {"lesion_count": 10**5000}})
    assert caught.value.paths == ["liver.lesion_count"] and len(str(caught.value)) < 300


def test_shown_shortens_values() -> None:
    assert len(shown("x" * 10_000)) <= 60
    assert "digits" in shown(10**5000)
    assert shown("\x1b[2J") == "'\\x1b[2J'"


# --- plausible reference ranges ----------------------------------------------------------------


@pytest.mark.parametrize("uln", ["5e-324", "1e300", "0.0001"])
def test_implausible_upper_limit_of_normal(uln: str) -> None:
    lab = '"labs": {"ast": {"value": 100, "unit": "U/L", "uln": ' + uln + "}}"
    message = only_problem(case_json(lab))
    assert message.startswith("labs.ast.uln: ") and "not plausible" in message
    marker = '"tumour_markers": [{"marker": "cea", "value": 3, "unit": "ng/mL", "uln": ' + uln
    assert problem_paths(case_json(marker + "}]")) == ["tumour_markers[0].uln"]


def test_usual_upper_limits_of_normal_are_accepted() -> None:
    labs = (
        '"labs": {"ast": {"value": 100, "unit": "U/L", "uln": 40},'
        ' "bilirubin": {"value": 30, "unit": "µmol/L", "uln": 21}}'
    )
    case = parse_case(case_json(labs))
    assert case.labs.ast is not None and case.labs.ast.canonical_uln == 40


# --- symptom answers ---------------------------------------------------------------------------


def test_answers_days_not_bool() -> None:
    with pytest.raises(AnswersInputError) as caught:
        parse_answers({"symptoms": {"jaundice": {"days": True}}})
    assert caught.value.paths == ["symptoms.jaundice.days"]


@pytest.mark.parametrize("value", [10**400, float("nan"), float("inf"), {"value": 10**400}])
def test_temperatures_that_are_no_number(value: object) -> None:
    with pytest.raises(ValueError, match="not a body temperature"):
        parse_temperature_c(value)
    with pytest.raises(AnswersInputError) as caught:
        parse_answers({"context": {"temperature": value}})
    assert caught.value.paths == ["context.temperature"]


def test_same_symptom_twice_is_never_silently_the_last() -> None:
    answers = {"symptoms": [{"id": "jaundice", "severity": "severe"}, {"id": "jaundice"}]}
    with pytest.raises(AnswersInputError):
        triage(answers)


# --- free text reaching terminals and Markdown -------------------------------------------------


@pytest.mark.parametrize("text", ["\x1b]0;PWNED\x07", "a\x9bb", "a\nb", "\u202eabc"])
def test_control_characters_refused_in_single_line_text(text: str) -> None:
    message = only_problem(
        case_json('"case_id": ' + json.dumps(text)).replace('"case_id": "r", ', "")
    )
    assert message.startswith("case_id: ") and not re.search(r"[\x00-\x1f\x7f-\x9f]", message)


def test_line_breaks_allowed_in_notes() -> None:
    assert parse_case(case_json('"notes": "line one\\nline two"')).notes == "line one\nline two"


def test_error_lines_never_carry_raw_control_characters() -> None:
    assert one_line("a\x1b[2J\nb") == "a\\x1b[2J\\nb"


def test_markdown_link_in_free_text_is_not_active() -> None:
    from livermets.api import assess

    case = parse_case(
        case_json('"case_id": "[click](javascript:alert(1))"').replace('"case_id": "r", ', "")
    )
    markdown = render(assess(case), "report", format="markdown")
    assert "[click](" not in markdown and "\\[click\\]" in markdown
    html = render(assess(case), "report", format="html")
    assert 'href="javascript' not in html


# --- the command line --------------------------------------------------------------------------


def test_unknown_country_is_one_line_exit_2(tmp_path: Path) -> None:
    case = tmp_path / "c.json"
    case.write_text(case_json(), encoding="utf-8")
    report = tmp_path / "r.md"
    result = runner.invoke(app, ["assess", str(case), "--country", "XX", "--report", str(report)])
    assert result.exit_code == 2 and "unknown country code 'XX'" in result.output
    assert not report.exists()  # nothing half-written
    answers = tmp_path / "a.json"
    answers.write_text('{"symptoms": []}', encoding="utf-8")
    result = runner.invoke(app, ["symptoms", "--answers", str(answers), "--country", "XX"])
    assert result.exit_code == 2 and "unknown country code" in result.output


def test_error_line_names_file_and_field(tmp_path: Path) -> None:
    case = tmp_path / "c.yaml"
    case.write_text(YAML_BASE + "as_of: 2020-02-30\n", encoding="utf-8")
    result = runner.invoke(app, ["assess", str(case)])
    assert result.exit_code == 2
    assert (
        result.output.strip() == f"error: {case}: as_of: '2020-02-30' is not a possible date "
        "(or date and time)"
    )
    answers = tmp_path / "a.yaml"
    answers.write_bytes(b"symptoms: [jaundice]\n# \xff\xfe\n")
    result = runner.invoke(app, ["symptoms", "--answers", str(answers)])
    assert (
        result.exit_code == 2
        and result.output.strip() == f"error: {answers}: not a UTF-8 text file"
    )


# --- every shared reproducer through the CLI, in-process ---------------------------------------

_DUPLICATE_OR_TWICE = re.compile(r"^(data01-|sym09b-|sym09c-|sym09-dup-)")
_REJECTED = re.compile(r"^(bug09|data02-|sym07-|bug14-yaml-billion)")


def _reproducers() -> list[Path]:
    folder = require_shared("fuzz-repro")
    return sorted(p for p in folder.iterdir() if p.suffix in {".json", ".yaml"})


def _run(path: Path, *args: str) -> tuple[int, str, str]:
    if path.name.startswith("sym"):
        command = ["symptoms", "--answers", str(path), "--format", "json", *args]
    else:
        command = ["assess", str(path), "--format", "json", *args]
    result = runner.invoke(app, command)
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        path.name,
        repr(result.exception),
    )
    return result.exit_code, result.stdout, result.stderr


def test_every_reproducer_replays_cleanly() -> None:
    control = None
    for path in _reproducers():
        code, out, err = _run(path)
        assert code in (0, 2), (path.name, code, err)
        assert "Traceback" not in out + err, path.name
        if code == 2:
            lines = err.strip().splitlines()
            assert len(lines) == 1 and lines[0].startswith("error: "), (path.name, err)
            assert len(lines[0]) < 1000, path.name
        name = path.name
        if _REJECTED.match(name):
            assert code == 2, name
        if name in {"valid-minimal.json", "bug08-yaml-flow-mapping-rejected.yaml"}:
            assert code == 0, (name, err)
        if name == "sym09-control-single-severe-jaundice.yaml":
            control = json.loads(out)["level"]
        if _DUPLICATE_OR_TWICE.match(name) and code == 0:
            assert control is not None
            levels = ("routine", "soon", "today", "emergency")
            assert levels.index(json.loads(out)["level"]) >= levels.index(control), name
        if name.startswith("bug16-") and code == 0:
            assessment = json.loads(out)
            assert assessment  # a count accepted is a count the format writes and reads back


def test_free_text_reproducers_in_every_format() -> None:
    folder = require_shared("fuzz-repro")
    raw = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
    for name in (
        "bug11-terminal-escape-in-case-id.json",
        "check-markdown-link-in-case-id-is-escaped.json",
    ):
        path = folder / name
        for args in (
            ["-f", "text"],
            ["-f", "json"],
            ["-f", "markdown"],
            ["-f", "html"],
            ["--for", "patient", "-f", "text"],
            ["--for", "patient", "-f", "markdown"],
            ["--for", "patient", "-f", "html"],
            ["--for", "patient", "-f", "json"],
        ):
            result = runner.invoke(app, ["assess", str(path), *args])
            assert result.exit_code in (0, 2), (name, args)
            assert not raw.search(result.output), (name, args)
            if "markdown" in args:
                assert "](javascript" not in result.output.replace("\\]", ""), (name, args)
            assert 'href="javascript' not in result.output, (name, args)


# --- marker kinetics far from 1970 ------------------------------------------------------------


@pytest.mark.parametrize("year", [1970, 2024, 9000])
def test_flat_marker_is_stable_whatever_the_year(year: int) -> None:
    from livermets.api import assess

    markers = ", ".join(
        json.dumps({"marker": "cea", "value": 5, "unit": "ng/mL", "date": f"{year}-01-0{day}"})
        for day in (1, 2)
    )
    assessment = assess(parse_case(case_json(f'"tumour_markers": [{markers}]')))
    score = next(s for s in assessment.scores if s.id == "cea_doubling_time")
    assert score.category == "stable"
