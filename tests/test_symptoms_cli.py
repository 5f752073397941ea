"""The patient commands through typer's CliRunner: answers files, errors as one line with exit
status 2, and the question-by-question flow fed with numbers on stdin."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from livermets.faces.cli.main import _register, app
from livermets.patient.symptoms import load_catalog

_register()
runner = CliRunner()
N_SYMPTOMS = len(load_catalog().symptoms)
N_TREATMENTS = len(load_catalog().treatments.items)


def run(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), input=stdin)
    return result.exit_code, result.stdout, result.stderr


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# ----------------------------------------------------------------------------------------------
# answers files
# ----------------------------------------------------------------------------------------------


def test_answers_file_json_gives_level_first(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "a.json",
        json.dumps({"symptoms": {"black_stools": {}}, "context": {"cancer": "past"}}),
    )
    code, out, _ = run("symptoms", "--answers", str(path), "--country", "GB")
    assert code == 0
    assert out.splitlines()[0] == "CALL EMERGENCY SERVICES NOW"
    assert "Call 999 now" in out


def test_answers_file_yaml_and_json_output(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "a.yaml",
        "symptoms:\n  fever_sweats: {days: 1}\ncontext:\n  treatments: [chemotherapy]\n"
        "  temperature: 100.9 F\n",
    )
    code, out, _ = run("symptoms", "--answers", str(path), "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["level"] == "today"
    assert data["headline"] == "Contact your cancer team or doctor today"
    assert data["fever_threshold_c"] == 37.5


def test_fever_threshold_option(tmp_path: Path) -> None:
    path = write(tmp_path, "a.yaml", "context: {temperature: 37.8, treatments: [targeted]}\n")
    _, low, _ = run("symptoms", "--answers", str(path), "--format", "json")
    _, high, _ = run(
        "symptoms", "--answers", str(path), "--format", "json", "--fever-threshold", "38"
    )
    assert json.loads(low)["level"] == "today"
    assert json.loads(high)["level"] == "routine"


@pytest.mark.parametrize(
    ("content", "name", "expected"),
    [
        ("symptoms: {headache: {}}\n", "a.yaml", "symptoms: unknown symptom id 'headache'"),
        ("context: {temperature: 38 K}\n", "a.yaml", "context.temperature: unknown unit 'K'"),
        ("context: {temperature: 101}\n", "a.yaml", "context.temperature: 101 °C"),
        ("symptoms: {itching: {severity: awful}}\n", "a.yaml", "symptoms.itching.severity"),
        ("{not json", "a.json", "a.json: malformed JSON at line 1"),
        ("symptoms: [unclosed\n", "a.yaml", "a.yaml: malformed YAML"),
        ("- just\n- a list\n", "a.yaml", "the answers must be an object"),
    ],
)
def test_bad_answers_file_is_one_line_exit_2(
    tmp_path: Path, content: str, name: str, expected: str
) -> None:
    code, out, err = run("symptoms", "--answers", str(write(tmp_path, name, content)))
    assert code == 2
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("error: ")
    assert expected in lines[0]
    assert "Traceback" not in err


def test_missing_answers_file(tmp_path: Path) -> None:
    code, _, err = run("symptoms", "--answers", str(tmp_path / "nope.json"))
    assert code == 2
    assert err.startswith(f"error: {tmp_path / 'nope.json'}: cannot read the answers file")


def test_unknown_country(tmp_path: Path) -> None:
    path = write(tmp_path, "a.yaml", "symptoms: [itching]\n")
    code, _, err = run("symptoms", "--answers", str(path), "--country", "XX")
    assert code == 2
    assert err.startswith("error: country: unknown country code 'XX'")


# ----------------------------------------------------------------------------------------------
# the question-by-question flow, fed with numbers on stdin
# ----------------------------------------------------------------------------------------------


def lines(*answers: str) -> str:
    return "\n".join(answers) + "\n"


def test_interactive_all_no_is_routine() -> None:
    stdin = lines(*["1"] * N_SYMPTOMS, "2", *["1"] * N_TREATMENTS, "1", "1")
    code, out, err = run("symptoms", stdin=stdin)
    assert code == 0, err
    assert "Your answers:" in out
    assert "No symptoms from the list" in out
    assert "MENTION IT AT YOUR NEXT CHECK-UP" in out


def test_interactive_yes_with_follow_ups_and_temperature_in_fahrenheit() -> None:
    ids = load_catalog().symptom_ids()
    answers: list[str] = []
    for sid in ids:
        if sid == "tiredness":
            answers += ["2", "4", "2", "2"]  # yes, 1-2 weeks, moderate, new or worse
        else:
            answers.append("1")
    answers += ["3", "2", "1", "1", "1", "2", "101 F", "1"]
    code, out, err = run("symptoms", "--country", "GB", stdin=lines(*answers))
    assert code == 0, err
    assert "Tiredness, 1 to 2 weeks, moderate, new or getting worse" in out
    assert "Treatment now or recently: chemotherapy" in out
    assert "CONTACT YOUR CANCER TEAM OR DOCTOR TODAY" in out
    assert "Your temperature was 38.3 °C." in out


def test_interactive_back_changes_an_earlier_answer() -> None:
    # yes to the first question, then go back and answer no instead
    stdin = lines("2", "b", "1", *["1"] * (N_SYMPTOMS - 1), "1", *["1"] * N_TREATMENTS, "1", "1")
    code, out, err = run("symptoms", stdin=stdin)
    assert code == 0, err
    assert "CALL EMERGENCY SERVICES NOW" not in out
    assert "No symptoms from the list" in out


def test_interactive_summary_can_go_back() -> None:
    stdin = lines(
        *["1"] * N_SYMPTOMS, "1", *["1"] * N_TREATMENTS, "1",
        "2",  # summary: go back (to "measured")
        "2", "38.5", "1",
    )  # fmt: skip
    code, out, err = run("symptoms", stdin=stdin)
    assert code == 0, err
    assert out.count("Your answers:") == 2
    assert "Temperature: 38.5" in out
    assert "BOOK AN APPOINTMENT IN THE NEXT FEW DAYS" in out


def test_interactive_bad_input_is_asked_again() -> None:
    no_treatment = ["1"] * N_TREATMENTS
    stdin = lines("7", "yes", *["1"] * N_SYMPTOMS, "1", *no_treatment, "2", "hot", "37", "1")
    code, out, err = run("symptoms", stdin=stdin)
    assert code == 0, err
    assert "Please type a number from 1 to 2" in out
    assert "Sorry: cannot read 'hot'" in out


def test_interactive_input_ending_early_is_exit_2() -> None:
    code, _, err = run("symptoms", stdin=lines("1", "1"))
    assert code == 2
    assert err.strip() == "error: input ended before all questions were answered"


# ----------------------------------------------------------------------------------------------
# library and glossary
# ----------------------------------------------------------------------------------------------


def test_library_lists_topics() -> None:
    code, out, _ = run("library")
    assert code == 0
    assert "ct-scan" in out and "Tests and scans" in out


def test_library_prints_one_topic_with_terms_explained() -> None:
    code, out, _ = run("library", "symptoms")
    assert code == 0
    assert out.startswith("# Symptoms and when to get help")
    assert "jaundice (yellowing of the skin and eyes)" in out
    assert "Sources: seed-000" in out


def test_library_unknown_topic() -> None:
    code, _, err = run("library", "nothing-like-this")
    assert code == 2
    assert err.startswith("error: topic: no topic called")


def test_glossary_term_and_list() -> None:
    code, out, _ = run("glossary", "TACE")
    assert code == 0
    assert out.startswith("chemoembolisation: ")
    code, out, _ = run("glossary")
    assert code == 0 and "jaundice: " in out
    code, _, err = run("glossary", "qwerty")
    assert code == 2 and err.startswith("error: term:")
