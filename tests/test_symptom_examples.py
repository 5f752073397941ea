"""The shipped symptom-checker answer files give the level their comment promises."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from livermets.faces.cli.main import _register, app

_register()
FOLDER = Path(__file__).resolve().parents[1] / "examples" / "symptoms"
EXPECTED = {
    "fever-on-chemotherapy.yaml": "today",
    "tiredness-and-fullness.yaml": "soon",
    "yellow-skin-and-fever.yaml": "emergency",
}


def test_every_example_has_an_expectation() -> None:
    assert sorted(p.name for p in FOLDER.glob("*.yaml")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_example_answers_give_their_level(name: str) -> None:
    result = CliRunner().invoke(
        app, ["symptoms", "--answers", str(FOLDER / name), "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["level"] == EXPECTED[name]
