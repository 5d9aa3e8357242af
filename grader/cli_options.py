"""What the grader's command shells share: common options and the usage-error exit.

Imports typer alone, so that each shell (``grader.cli``, ``grader.batch.cli``,
``grader.web.cli``) stays cheap to load.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Optional

import typer

#: Exit status of a caller's mistake (click's usage-error status).
EXIT_USAGE = 2

AssignmentOpt = Annotated[
    Optional[Path],  # noqa: UP045
    typer.Option("--assignment", help="assignment.toml (default: the installed assignment)"),
]
SecretFileOpt = Annotated[
    Optional[Path],  # noqa: UP045
    typer.Option("--secret-file", help="file holding the secret (default: GRADER_SECRET)"),
]


def fail(message: str) -> typer.Exit:
    """Print a caller's mistake to stderr; the exit for it (status 2)."""
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(EXIT_USAGE)


def command_group(**options: Any) -> typer.Typer:
    """A typer app or sub-command group as every shell builds it. Help is click's plain layout:
    rich's layout prints a ``<bool>`` type beside flags that take no value."""
    return typer.Typer(
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
        rich_markup_mode=None,
        **options,
    )
