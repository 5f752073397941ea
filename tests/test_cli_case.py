"""`livermets assess` and `livermets schema` as a user runs them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from livermets.faces.cli.main import _register, app

_register()
runner = CliRunner()

CASE = {
    "schema_version": "1.0",
    "case_id": "cli-1",
    "patient": {"age_years": 60, "sex": "female"},
    "primary": {"site": "colorectal", "side": "left", "node_positive": False},
    "liver": {"lesions": [{"segments": [6], "diameter": {"value": 25, "unit": "mm"}}]},
    "labs": {
        "bilirubin": {"value": 10, "unit": "µmol/L"},
        "albumin": {"value": 40, "unit": "g/L"},
        "inr": {"value": 1.0, "unit": "ratio"},
    },
    "liver_function": {"ascites": "none", "encephalopathy_grade": 0},
}


@pytest.fixture()
def case_file(tmp_path: Path) -> Path:
    path = tmp_path / "case.json"
    path.write_text(json.dumps(CASE), encoding="utf-8")
    return path


def test_assess_json_carries_scores_with_category_inputs_and_source(case_file: Path) -> None:
    result = runner.invoke(app, ["assess", str(case_file), "--format", "json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    child_pugh = next(s for s in out["scores"] if s["id"] == "child_pugh")
    assert child_pugh["value"] == 5 and child_pugh["category"] == "A"
    assert child_pugh["inputs"]["bilirubin_mg_dl"] == pytest.approx(10 / 17.1, rel=1e-6)
    assert child_pugh["sources"] and child_pugh["sources"][0]["citation"]
    assert out["format"] == "1.1" and "not a prescription" in out["notice"]


def test_assess_reads_stdin(case_file: Path) -> None:
    result = runner.invoke(app, ["assess", "-", "-f", "json"], input=case_file.read_text())
    assert result.exit_code == 0
    assert json.loads(result.stdout)["case"]["case_id"] == "cli-1"


def test_assess_text_is_readable(case_file: Path) -> None:
    result = runner.invoke(app, ["assess", str(case_file)])
    assert result.exit_code == 0
    assert "Child-Pugh" in result.stdout and "cli-1" in result.stdout


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ('{"schema_version": "1.0", "case_id": "x", "primary": {"site": "liver"}}', "primary.site"),
        ("{not json", "malformed JSON"),
        (
            '{"schema_version": "1.0", "case_id": "x", "primary": {"site": "colorectal"},'
            ' "labs": {"inr": {"value": 50, "unit": "ratio"}}}',
            "labs.inr.value",
        ),
    ],
)
def test_bad_input_is_one_line_exit_2(tmp_path: Path, content: str, words: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")
    result = runner.invoke(app, ["assess", str(path)])
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and words in lines[0] and lines[0].startswith("error: ")


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["assess", str(tmp_path / "nope.json")])
    assert result.exit_code == 2 and "no such file" in result.stderr


def test_report_with_unknown_extension_writes_nothing(case_file: Path, tmp_path: Path) -> None:
    target = tmp_path / "report.pdf"
    result = runner.invoke(app, ["assess", str(case_file), "--report", str(target)])
    assert result.exit_code == 2 and ".html or .md" in result.stderr
    assert not target.exists()


def test_schema_prints_json_schema() -> None:
    result = runner.invoke(app, ["schema"])
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    assert schema["title"] == "livermets case" and "$schema" in schema


def test_installed_command_never_shows_a_traceback(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(
        "schema_version: '1.0'\ncase_id: x\nprimary: {site: colorectal}\nperformance: {ecog: 7}\n",
        encoding="utf-8",
    )
    script = Path(sys.executable).with_name("livermets")
    if not script.exists():
        pytest.skip("console script not installed in this environment")
    done = subprocess.run(
        [str(script), "assess", str(path)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr and "performance.ecog" in done.stderr


def test_assessment_json_doc_is_true() -> None:
    """docs/assessment-json.md names every top-level field and every direction code."""
    from livermets.assessment.model import Assessment
    from livermets.assessment.pipeline import guidance
    from livermets.scores.registry import SCORES

    doc = (Path(__file__).resolve().parents[1] / "docs" / "assessment-json.md").read_text("utf-8")
    for name in Assessment.model_fields:
        assert f"`{name}`" in doc, name
    for direction in guidance().directions:
        assert f"`{direction.code}`" in doc, direction.code
    for score in SCORES:
        assert f"`{score.id}`" in doc, score.id
