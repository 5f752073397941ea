"""The ``livermets`` command: a thin face over the core. Each command lives in its own module.

Errors reach the user through the one tree of :mod:`livermets.errors`, never by message text:
an :class:`~livermets.errors.InputError` prints one line naming the field (every problem, one per
line, with ``--all-errors``) and exits with status 2; a
:class:`~livermets.errors.KnowledgeError` (a defect of the packaged knowledge) prints one line
naming the file and exits with status 3. Never a traceback.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import typer

from livermets.errors import InputError, KnowledgeError

app = typer.Typer(
    name="livermets",
    help="Decision support for liver metastases (secondary liver cancer). "
    "Decision support for a team, never a prescription.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

#: Exit statuses: bad input, and a defect of the packaged knowledge.
EXIT_INPUT = 2
EXIT_KNOWLEDGE = 3

ALL_ERRORS_HELP = "On bad input, list every problem (one per line), not only the first."


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def one_line(text: str) -> str:
    """``text`` safe for a terminal line: control characters (escape sequences, line breaks,
    bidi overrides), e.g. from a file name or an echoed value, are shown escaped, never raw."""
    return _CONTROL.sub(lambda m: repr(m[0])[1:-1], text)


def echo_error(message: str) -> None:
    """One ``error:`` line on stderr, with control characters escaped."""
    typer.echo(f"error: {one_line(message)}", err=True)


def fail(message: str) -> typer.Exit:
    """Print a one-line error to stderr; the caller raises the returned exit (status 2)."""
    echo_error(message)
    return typer.Exit(code=EXIT_INPUT)


def input_error_lines(error: InputError, *, all_errors: bool = False) -> list[str]:
    """What the user reads: the summary line, or every problem with ``all_errors``."""
    return error.lines() if all_errors else [error.summary()]


def knowledge_error_line(error: KnowledgeError) -> str:
    return (
        f"packaged knowledge cannot be used: {error} "
        "(a defect of this livermets installation, not of your input; please report it)"
    )


@contextmanager
def user_errors(*, all_errors: bool = False) -> Iterator[None]:
    """Turn the error tree into messages and exit statuses (2 for input, 3 for knowledge)."""
    try:
        yield
    except InputError as error:
        for line in input_error_lines(error, all_errors=all_errors):
            echo_error(line)
        raise typer.Exit(code=EXIT_INPUT) from None
    except KnowledgeError as error:
        echo_error(knowledge_error_line(error))
        raise typer.Exit(code=EXIT_KNOWLEDGE) from None


def _register() -> None:
    # Importing a command module registers its commands on ``app``.
    from livermets.faces.cli import (
        commands_case,  # noqa: F401
        commands_knowledge,  # noqa: F401
        commands_patient,  # noqa: F401
    )


def run() -> None:
    try:
        _register()
        app()
    except InputError as error:  # anything a command did not catch itself
        for line in input_error_lines(error):
            echo_error(line)
        sys.exit(EXIT_INPUT)
    except KnowledgeError as error:
        echo_error(knowledge_error_line(error))
        sys.exit(EXIT_KNOWLEDGE)
