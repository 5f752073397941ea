"""Case commands: ``livermets assess`` and ``livermets schema``. Thin: read, call the core, show."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from livermets.faces.cli.main import ALL_ERRORS_HELP, app, fail, user_errors


class OutputFormat(StrEnum):
    text = "text"
    json = "json"
    markdown = "markdown"
    html = "html"


class Audience(StrEnum):
    mdt = "mdt"
    patient = "patient"


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
    all_errors: Annotated[bool, typer.Option("--all-errors", help=ALL_ERRORS_HELP)] = False,
) -> None:
    """Assess a liver-metastasis case: scores, options with reasons, missing data."""
    from livermets.api import assess as assess_case
    from livermets.api import parse_case, render
    from livermets.patient.symptoms import load_catalog

    with user_errors(all_errors=all_errors):
        # options first: an unknown country is refused before anything is read or written
        load_catalog().emergency(country)
    text, name = read_input(case_file)
    with user_errors(all_errors=all_errors):
        case = parse_case(text, source=name)
        assessment = assess_case(case)
        if report is not None:
            kinds = {".html": "html", ".htm": "html", ".md": "markdown", ".markdown": "markdown"}
            kind = kinds.get(report.suffix.lower())
            if kind is None:
                raise fail(f"--report {report}: use a file name ending in .html or .md")
            write_output(report, render(assessment, "report", format=kind))
        if audience is Audience.patient:
            letter = render(assessment, "letter", format=output_format.value, country=country)
            typer.echo(letter)
            return
        if output_format is OutputFormat.json:
            typer.echo(render(assessment, "json"))
        elif output_format is OutputFormat.text:
            color = sys.stdout.isatty()
            typer.echo(render(assessment, "terminal", show_all=show_all, color=color), nl=False)
        else:
            typer.echo(render(assessment, "report", format=output_format.value))


@app.command()
def schema() -> None:
    """Print the JSON Schema of the case format."""
    from livermets.case.model import Case

    document = Case.model_json_schema()
    document["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    typer.echo(json.dumps(document, indent=2, ensure_ascii=False))
