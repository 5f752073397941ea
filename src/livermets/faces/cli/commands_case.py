"""Case commands: ``livermets assess`` and ``livermets schema``. Thin: read, call the core, show."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from livermets.errors import InputError
from livermets.faces.cli.main import app


class OutputFormat(StrEnum):
    text = "text"
    json = "json"
    markdown = "markdown"
    html = "html"


class Audience(StrEnum):
    mdt = "mdt"
    patient = "patient"


def fail(message: str) -> typer.Exit:
    """Print a one-line error to stderr; the caller raises the returned exit (status 2)."""
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code=2)


def read_input(path: str) -> tuple[str, str]:
    """The text of a file, or of stdin for ``-``; returns (text, name for messages)."""
    if path == "-":
        return sys.stdin.read(), "<stdin>"
    file = Path(path)
    try:
        return file.read_text(encoding="utf-8"), str(file)
    except FileNotFoundError:
        raise fail(f"{path}: no such file") from None
    except IsADirectoryError:
        raise fail(f"{path}: is a folder, not a case file") from None
    except UnicodeDecodeError:
        raise fail(f"{path}: not a UTF-8 text file") from None
    except OSError as error:
        raise fail(f"{path}: {error.strerror}") from None


def write_output(path: Path, text: str) -> None:
    """Write a whole file or nothing: write beside it, then rename over it."""
    target = path.resolve()
    temporary = target.with_name(f".{target.name}.tmp")
    try:
        temporary.write_text(text, encoding="utf-8")
        temporary.replace(target)
    except OSError as error:
        temporary.unlink(missing_ok=True)
        raise fail(f"{path}: cannot write ({error.strerror})") from None


@app.command()
def assess(
    case_file: Annotated[
        str, typer.Argument(metavar="CASE", help="Case file (JSON or YAML), or - for stdin.")
    ],
    output_format: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="text for people, json for machines.")
    ] = OutputFormat.text,
    report: Annotated[
        Path | None,
        typer.Option("--report", help="Also write the one-page MDT summary (.html or .md)."),
    ] = None,
    audience: Annotated[
        Audience, typer.Option("--for", help="mdt (default) or patient (a plain-English letter).")
    ] = Audience.mdt,
    country: Annotated[
        str | None,
        typer.Option(
            "--country", help="Country code for emergency numbers in the patient letter (e.g. GB)."
        ),
    ] = None,
    show_all: Annotated[
        bool, typer.Option("--all", help="Show not-suitable options in full.")
    ] = False,
) -> None:
    """Assess a liver-metastasis case: scores, options with reasons, missing data."""
    from livermets.assessment.build import assess as assess_case
    from livermets.case.parse import parse_case

    text, name = read_input(case_file)
    try:
        case = parse_case(text, source=name)
    except InputError as error:
        raise fail(str(error)) from None
    assessment = assess_case(case)
    if report is not None:
        kinds = {".html": "html", ".htm": "html", ".md": "markdown", ".markdown": "markdown"}
        kind = kinds.get(report.suffix.lower())
        if kind is None:
            raise fail(f"--report {report}: use a file name ending in .html or .md")
        from livermets.faces.report import render_report

        write_output(report, render_report(assessment, kind))
    if audience is Audience.patient:
        from livermets.faces.patient_letter import render_patient_letter

        typer.echo(render_patient_letter(assessment, output_format.value, country=country))
        return
    if output_format is OutputFormat.json:
        from livermets.faces.assessment_json import render_assessment_json

        typer.echo(render_assessment_json(assessment))
    elif output_format is OutputFormat.text:
        from livermets.faces.terminal import render_terminal

        render_terminal(assessment, Console(), show_all=show_all)
    else:
        from livermets.faces.report import render_report

        typer.echo(render_report(assessment, output_format.value))


@app.command()
def schema() -> None:
    """Print the JSON Schema of the case format."""
    from livermets.case.model import Case

    document = Case.model_json_schema()
    document["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    typer.echo(json.dumps(document, indent=2, ensure_ascii=False))
