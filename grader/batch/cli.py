"""CLI commands of batch grading (registered on the main app by grader.cli).

Only typer and the standard library are imported at load time; each command imports what it
uses, so ``grader check`` does not pay for Jinja2, YAML or Dask.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from grader.cli_options import AssignmentOpt, SecretFileOpt, command_group, fail

#: Exit statuses of grader batch: 0 every student has a grade (whatever the score), 1 some
#: student's file could not be graded (their row says why), 2 a usage or set-up error,
#: 130 interrupted (the reports written so far are kept).
EXIT_UNGRADED, EXIT_INTERRUPTED = 1, 130


class Format(StrEnum):
    csv = "csv"
    canvas = "canvas"


class ExecutorKind(StrEnum):
    local = "local"
    dask = "dask"


class Language(StrEnum):
    en = "en"
    zh = "zh"


def batch(
    folder: Annotated[
        Path,
        typer.Argument(
            help="the submissions: flat, per-student folders, a Canvas download (the folder "
            "or its submissions.zip, unpacked into OUT/_extracted) or a Gradescope export"
        ),
    ],
    out: Annotated[Path, typer.Option("--out", help="output folder (re-runs resume in it)")],
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            min=1,
            help="parallel jobs (default: one per core)",
        ),
    ] = None,
    secret_file: SecretFileOpt = None,
    lang: Annotated[
        Language, typer.Option("--lang", help="language of the feedback files")
    ] = Language.en,
    allow_unconfined: Annotated[
        bool,
        typer.Option(
            "--allow-unconfined", help="accept the plain backend when bubblewrap cannot run"
        ),
    ] = False,
    fmt: Annotated[
        Format, typer.Option("--format", help="csv, or canvas (also OUT/canvas.csv)")
    ] = Format.csv,
    canvas_roster: Annotated[
        Path | None,
        typer.Option(
            "--canvas-roster",
            help="Canvas gradebook export CSV (for --format canvas)",
        ),
    ] = None,
    canvas_column: Annotated[
        str | None,
        typer.Option(
            "--canvas-column",
            help="the roster's assignment column to fill, exactly as in its header, e.g. "
            "'HW3 BPTT (98765)' (default: the roster's only assignment column)",
        ),
    ] = None,
    executor: Annotated[
        ExecutorKind, typer.Option("--executor", help="local, or dask")
    ] = ExecutorKind.local,
    scheduler: Annotated[
        str | None,
        typer.Option(
            "--scheduler",
            help="Dask scheduler address, tcp://HOST:8786",
        ),
    ] = None,
    assignment: AssignmentOpt = None,
) -> None:
    """Grade every student's submission in FOLDER on the hidden cases, into OUT. Exit status:
    0 every student graded, 1 some file could not be graded (see its row), 2 usage error."""
    from grader.batch.command import BatchOptions, run_batch_command
    from grader.errors import GraderError

    if fmt is Format.canvas and canvas_roster is None:
        raise fail("--format canvas needs --canvas-roster FILE (the Canvas gradebook export)")
    if canvas_column is not None and canvas_roster is None:
        raise fail("--canvas-column needs --canvas-roster FILE (the Canvas gradebook export)")
    if executor is ExecutorKind.dask and not scheduler:
        raise fail("--executor dask needs --scheduler tcp://HOST:8786")
    options = BatchOptions(
        folder=folder, out=out, workers=workers, secret_file=secret_file, lang=lang.value,
        allow_unconfined=allow_unconfined, canvas_roster=canvas_roster,
        canvas_column=canvas_column, scheduler=scheduler if executor is ExecutorKind.dask else None,
        assignment=assignment,
    )  # fmt: skip
    try:
        result = run_batch_command(options)
    except GraderError as exc:
        raise fail(str(exc)) from None
    except KeyboardInterrupt:
        typer.echo(
            "interrupted: the reports written so far are kept; run the same command again to "
            "grade the rest",
            err=True,
        )
        raise typer.Exit(EXIT_INTERRUPTED) from None
    if any(row.error is not None for row in result.rows):
        raise typer.Exit(EXIT_UNGRADED)  # some student has no grade: their row says why


gradescope_app = command_group(name="gradescope", help="Gradescope autograder packaging.")


@gradescope_app.command("build")
def gradescope_build(
    out: Annotated[Path, typer.Option("--out", help="the zip to write")] = Path("autograder.zip"),
    secret_file: SecretFileOpt = None,
    assignment: AssignmentOpt = None,
) -> None:
    """Build the autograder zip to upload to a Gradescope programming assignment."""
    from grader.batch.gradescope import build_autograder
    from grader.errors import GraderError
    from grader.settings import get_settings

    try:
        secret = get_settings(secret_file=secret_file).resolved_secret()
        path = build_autograder(out, secret, assignment)
    except GraderError as exc:
        raise fail(str(exc)) from None
    typer.echo(
        f"wrote {path}: upload it as the autograder of a Gradescope programming assignment "
        "(Ubuntu 24.04 base image). It holds the secret: keep it among the course staff."
    )


def bundle(
    out: Annotated[Path, typer.Option("--out", help="folder for the student package")],
    assignment: AssignmentOpt = None,
) -> None:
    """Build the student package: the grader, the public cases, no reference code or secrets."""
    from grader.batch.bundle import build_bundle
    from grader.errors import GraderError

    try:
        path = build_bundle(out, assignment)
    except GraderError as exc:
        raise fail(str(exc)) from None
    typer.echo(f"student package written to {path}; students install it with: pip install {path}")


def register(app: typer.Typer) -> None:
    """Add the instructor's commands for classes to ``app``: batch grading and packaging."""
    app.command("batch")(batch)
    app.command("bundle")(bundle)
    app.add_typer(gradescope_app, name="gradescope")
