"""Patient commands: ``symptoms``, ``library`` and ``glossary``. A thin face over
``livermets.patient``: it reads files and the terminal, the core decides."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markdown import Markdown

from livermets.errors import AnswersInputError
from livermets.faces.cli.main import ALL_ERRORS_HELP, app, fail, user_errors
from livermets.importers.text import parse_document
from livermets.patient.glossary import load_glossary
from livermets.patient.library import SECTIONS, get_topic, list_topics, render
from livermets.patient.questionnaire import Option, Question, questions, summary, to_answers
from livermets.patient.symptoms import (
    TriageResult,
    load_catalog,
    parse_answers,
    parse_temperature_c,
    render_body,
)

BACK = object()
LEVEL_STYLE = {"emergency": "bold white on red", "today": "bold red", "soon": "bold yellow",
               "routine": "bold green"}  # fmt: skip


class OutputFormat(StrEnum):
    TEXT = "text"
    JSON = "json"


def _read_answers(path: Path) -> Any:
    """The parsed answers file; a malformed one is an :class:`AnswersInputError`."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise fail(f"{path}: not a UTF-8 text file") from None
    except OSError as error:
        raise fail(f"{path}: cannot read the answers file ({error.strerror})") from None
    return parse_document(text, source=str(path), error=AnswersInputError)


def _show_result(result: TriageResult, fmt: OutputFormat) -> None:
    if fmt is OutputFormat.JSON:
        typer.echo(result.model_dump_json(indent=2))
        return
    console = Console(highlight=False, soft_wrap=True)
    console.print(result.headline.upper(), style=LEVEL_STYLE[result.level])
    console.print(render_body(result), markup=False)


# ------------------------------------------------------------------------------------------------
# asking questions: arrow keys when a terminal and questionary are available, numbers otherwise
# ------------------------------------------------------------------------------------------------


def _interactive_terminal() -> bool:
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        return False
    try:
        import questionary  # noqa: F401
    except ImportError:
        return False
    return True


def _ask_with_numbers(question: Question, step: int, total: int) -> Any:
    typer.echo("")
    typer.echo(f"[{step}/{total}] {question.group}")
    typer.echo(question.text)
    if question.kind == "temperature":
        typer.echo(question.hint)
    else:
        for n, option in enumerate(question.options, start=1):
            typer.echo(f"  {n}. {option.label}")
    if step > 1:
        typer.echo("  b. Go back")
    while True:
        try:
            raw = input("> ").strip()
        except EOFError:
            raise fail("input ended before all questions were answered") from None
        if raw.lower() in ("b", "back") and step > 1:
            return BACK
        if question.kind == "temperature":
            try:
                parse_temperature_c(raw)
            except ValueError as error:
                typer.echo(f"Sorry: {error}. Try again, or type b to go back.")
                continue
            return raw
        if raw.isdigit() and 1 <= int(raw) <= len(question.options):
            return question.options[int(raw) - 1].value
        typer.echo(f"Please type a number from 1 to {len(question.options)}, or b to go back.")


def _ask_with_arrows(question: Question, step: int, total: int) -> Any:
    import questionary

    prompt = f"[{step}/{total}] {question.text}"
    if question.kind == "temperature":

        def valid(text: str) -> bool | str:
            if text.strip().lower() in ("b", "back"):
                return True
            try:
                parse_temperature_c(text)
            except ValueError as error:
                return str(error)
            return True

        answer = questionary.text(f"{prompt} {question.hint} (b to go back)", validate=valid).ask()
        if answer is None:
            raise typer.Exit(130)
        return BACK if answer.strip().lower() in ("b", "back") else answer.strip()
    choices = [questionary.Choice(o.label, value=n) for n, o in enumerate(question.options)]
    if step > 1:
        choices.append(questionary.Choice("Go back", value=-1, shortcut_key="b"))
    picked = questionary.select(prompt, choices=choices, use_shortcuts=True).ask()
    if picked is None:
        raise typer.Exit(130)
    return BACK if picked == -1 else question.options[picked].value


def _run_questions() -> dict[str, Any]:
    ask = _ask_with_arrows if _interactive_terminal() else _ask_with_numbers
    state: dict[str, Any] = {}
    typer.echo("Symptom checker. This asks about each change, one at a time.")
    typer.echo("It cannot tell you the cause. If you feel very unwell now, call for help at once.")
    typer.echo("Choose an answer by its number. Type b to go back.")
    index = 0
    while True:
        asked = questions(state)
        if index >= len(asked):
            typer.echo("")
            typer.echo("Your answers:")
            for line in summary(state):
                typer.echo(f"  - {line}")
            done = Question(
                "done",
                "Is this right?",
                options=(
                    Option("Yes, show my result", "show"),
                    Option("Go back and change an answer", "back"),
                ),
                group="Check your answers",
            )
            choice = ask(done, len(asked) + 1, len(asked) + 1)
            if choice == "show":
                return state
            index = max(0, len(asked) - 1)
            continue
        question = asked[index]
        answer = ask(question, index + 1, len(asked))
        if answer is BACK:
            index = max(0, index - 1)
            continue
        state[question.key] = answer
        index += 1


# ------------------------------------------------------------------------------------------------
# commands
# ------------------------------------------------------------------------------------------------


@app.command("symptoms")
def symptoms_command(
    answers: Annotated[
        Path | None,
        typer.Option("--answers", help="JSON or YAML file of answers, instead of questions."),
    ] = None,
    output: Annotated[
        OutputFormat, typer.Option("--format", help="text (default) or json.")
    ] = OutputFormat.TEXT,
    country: Annotated[
        str | None,
        typer.Option("--country", help="Country code for the emergency number, e.g. GB, US."),
    ] = None,
    fever_threshold: Annotated[
        float | None,
        typer.Option("--fever-threshold", help="Fever threshold in °C allowed by local policy."),
    ] = None,
    all_errors: Annotated[bool, typer.Option("--all-errors", help=ALL_ERRORS_HELP)] = False,
) -> None:
    """Check symptoms: how soon to get help, and why. Never a diagnosis."""
    from livermets.api import triage

    with user_errors(all_errors=all_errors):
        load_catalog().emergency(country)
        if answers is not None:
            parsed = parse_answers(_read_answers(answers), source=str(answers))
        else:
            parsed = parse_answers(to_answers(_run_questions()))
        result = triage(parsed, country=country, fever_threshold_c=fever_threshold)
    if answers is None:
        typer.echo("")
    _show_result(result, output)


@app.command("library")
def library_command(
    topic: Annotated[str | None, typer.Argument(help="Topic id or title; omit to list.")] = None,
) -> None:
    """Plain-English explainers about secondary liver cancer."""
    console = Console(highlight=False, soft_wrap=True)
    if topic is None:
        current = ""
        for t in list_topics():
            if t.section != current:
                current = t.section
                console.print(f"\n{SECTIONS[current]}", style="bold")
            console.print(f"  {t.id:30} {t.summary}", markup=False)
        console.print("\nRead one with: livermets library TOPIC")
        return
    with user_errors():
        found = get_topic(topic)
    if sys.stdout.isatty():
        console.print(Markdown(render(found)))
    else:
        typer.echo(render(found))
    typer.echo(f"\nSources: {', '.join(found.sources)}")


@app.command("glossary")
def glossary_command(
    term: Annotated[str | None, typer.Argument(help="A medical word; omit to list all.")] = None,
) -> None:
    """Medical words explained in plain English."""
    glossary = load_glossary()
    if term is None:
        for entry in sorted(glossary.entries, key=lambda e: e.term.lower()):
            typer.echo(f"{entry.term}: {entry.explanation}")
        return
    hits = glossary.search(term)
    if not hits:
        raise fail(f"term: {term!r} is not in the glossary; run 'livermets glossary' for all")
    for entry in hits[:5]:
        others = [f for f in entry.forms if f.lower() != entry.term.lower()]
        typer.echo(f"{entry.term}: {entry.explanation}")
        if others:
            typer.echo(f"  Also written: {', '.join(others)}")
