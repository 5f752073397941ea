"""The ``livermets`` command: a thin face over the core. Each command lives in its own module."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="livermets",
    help="Decision support for liver metastases (secondary liver cancer). "
    "Decision support for a team, never a prescription.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _register() -> None:
    # Importing a command module registers its commands on ``app``.
    from livermets.faces.cli import (
        commands_case,  # noqa: F401
        commands_patient,  # noqa: F401
    )


def run() -> None:
    _register()
    app()
