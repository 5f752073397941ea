"""``livermets knowledge check``: every problem and unused declaration of the packaged
knowledge, for the clinicians and engineers who maintain it (CI runs it)."""

from __future__ import annotations

from typing import Annotated

import typer

from livermets.faces.cli.main import app

knowledge_app = typer.Typer(
    name="knowledge",
    help="Check the packaged clinical knowledge (rules, definitions, criteria, sources).",
    no_args_is_help=True,
)
app.add_typer(knowledge_app)


@knowledge_app.command("check")
def check(
    strict: Annotated[
        bool,
        typer.Option("--strict/--no-strict", help="Unused declarations fail the check too."),
    ] = True,
) -> None:
    """Report every problem (type errors, unknown references, duplicates) and every unused
    declaration, one per line. Exit status 0 when clean, 1 otherwise."""
    from livermets.knowledge_check import check_knowledge

    report = check_knowledge()
    for finding in [*report.problems, *report.unused]:
        typer.echo(str(finding))
    counted = ", ".join(f"{n} {what}" for what, n in report.counts.items())
    typer.echo(
        f"{len(report.problems)} problems, {len(report.unused)} unused declarations"
        + (f" ({counted} checked)" if counted else "")
    )
    if report.problems or (strict and report.unused):
        raise typer.Exit(code=1)
