"""The command line: ``grader check``, ``show-case``, ``cases``, ``template``, ``schema``, …

A thin shell: it parses options, calls the core and renders what comes back. Heavy modules are
imported inside the commands, so that each command loads only what it uses.
"""

from __future__ import annotations

import gc
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

from grader.cli_options import EXIT_USAGE, AssignmentOpt, command_group, fail
from grader.errors import GraderError
from grader.runner.backend import CHILD_ENV

if TYPE_CHECKING:
    from grader.assignment import Assignment

app = command_group(
    name="grader",
    help="Auto-grader for the BPTT homework: read it, check a submission, inspect the public "
    "cases.",
)

#: ``grader check``: 0 when every required part passed (bonus parts never change it), else 1.
EXIT_FULL_MARKS, EXIT_LESS = 0, 1

LangOpt = Annotated[Optional[str], typer.Option("--lang", help="en or zh (default: GRADER_LANG)")]  # noqa: UP045


@app.command()
def check(
    file: Annotated[Path, typer.Argument(help="your submission (.py or .ipynb)")],
    as_json: Annotated[bool, typer.Option("--json", help="print the report as JSON")] = False,
    lang: LangOpt = None,
    part: Annotated[
        Optional[list[str]],  # noqa: UP045
        typer.Option("--part", help="grade only this part (repeatable), e.g. --part W"),
    ] = None,
    assignment: AssignmentOpt = None,
) -> None:
    """Grade FILE on the public cases. Exit status: 0 every required part passed (bonus parts
    do not count), 1 otherwise, 2 usage error."""
    try:
        from grader.runner.launcher import Launcher
        from grader.runner.select import choose_backend
        from grader.settings import get_settings

        settings = get_settings(lang=lang, assignment=assignment)
        choice = choose_backend(settings)
        with Launcher(
            choice.backend, settings.limits, fallback=settings.sandbox == "auto"
        ) as launcher:
            if file.is_file():
                launcher.prestart()  # it boots while numpy and the cases load
            from grader.core import Grader

            grader = Grader(settings, backend=choice)
            report = grader.grade_file(file, parts=part, launcher=launcher)
    except GraderError as exc:
        raise fail(str(exc)) from None
    global _released
    _released = True
    if as_json:
        sys.stdout.write(report.model_dump_json(indent=2) + "\n")
    else:
        from grader.render import print_report

        print_report(report)
    raise typer.Exit(EXIT_FULL_MARKS if report.full_marks else EXIT_LESS)


@app.command("show-case")
def show_case(
    index: Annotated[int, typer.Argument(help="the case number shown by grader check")],
    part: Annotated[str | None, typer.Option("--part", help="show only this part's answer")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the case as JSON")] = False,
    assignment: AssignmentOpt = None,
) -> None:
    """Print the inputs and the expected output of public case INDEX, to debug by hand."""
    from grader.render import print_case

    case_set, loaded = _public_cases(assignment)
    by_index = {c["index"]: c for c in case_set["cases"]}
    if index not in by_index:
        raise fail(f"no public case {index}: the cases are 0..{len(by_index) - 1}")
    case = by_index[index]
    parts = [p.name for p in loaded.parts]
    if part is not None and part not in parts:
        raise fail(f"unknown part {part!r}: the parts are {', '.join(parts)}")
    if part is not None:
        case = {**case, "expected": {part: case["expected"][part]}}
    if as_json:
        sys.stdout.write(json.dumps(case) + "\n")
    else:
        print_case(case)


@app.command()
def cases(
    as_json: Annotated[
        bool, typer.Option("--json", help="print the whole public case set")
    ] = False,
    assignment: AssignmentOpt = None,
) -> None:
    """The public case set: inputs and expected outputs (arrays as nested lists with --json)."""
    case_set, _ = _public_cases(assignment)
    if as_json:
        sys.stdout.write(json.dumps(case_set) + "\n")
        return
    from grader.render import print_case_list

    print_case_list(case_set)


@app.command()
def template(
    out: Annotated[Path, typer.Option("--out", help="where to write it")] = Path("submission.py"),
    force: Annotated[bool, typer.Option("--force", help="overwrite an existing file")] = False,
    assignment: AssignmentOpt = None,
) -> None:
    """Write a starting submission with the contract's signatures and docstrings."""
    from grader.assignment import load_assignment

    try:
        loaded = load_assignment(assignment)
    except GraderError as exc:
        raise fail(str(exc)) from None
    if out.exists() and not force:
        raise fail(f"{out} exists already: choose another --out or pass --force")
    out.write_text(loaded.template_path.read_text(encoding="utf-8"), encoding="utf-8")
    typer.echo(f"wrote {out}: fill in the functions, then run: grader check {out}")


@app.command()
def schema() -> None:
    """Print the JSON Schema of the report that `grader check --json` prints."""
    from grader.report import GradeReport

    sys.stdout.write(json.dumps(GradeReport.model_json_schema(), indent=2) + "\n")


@app.command()
def homework(lang: LangOpt = None, assignment: AssignmentOpt = None) -> None:
    """Print the homework: the problem, what to derive, the submission contract (Markdown)."""
    from grader.assignment import load_assignment
    from grader.settings import get_settings

    try:
        settings = get_settings(lang=lang, assignment=assignment)
        text = load_assignment(settings.assignment).homework_text(settings.lang)
    except GraderError as exc:
        raise fail(str(exc)) from None
    sys.stdout.write(text if text.endswith("\n") else text + "\n")


@app.command("settings")
def settings_help() -> None:
    """Every setting: its environment variable, the value in effect, where that value came
    from (environment, settings file or default) and what it means."""
    from grader.settings import settings_in_effect

    try:
        rows = settings_in_effect()
    except GraderError as exc:
        raise fail(str(exc)) from None
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    for row in rows:
        typer.echo("  ".join(cell.ljust(w) for cell, w in zip(row, [*widths, 0], strict=True)))


def _public_cases(assignment: Path | None) -> tuple[dict[str, Any], Assignment]:
    from grader.assignment import load_assignment
    from grader.cases import load_case_set

    try:
        loaded = load_assignment(assignment)
        return load_case_set(loaded, "public").to_json(), loaded
    except GraderError as exc:
        raise fail(str(exc)) from None


def _register_instructor_commands() -> None:
    # Each shell registers its own commands; their modules import only typer at load time.
    # The student copy (grader bundle) ships without them.
    import importlib

    for name in ("grader.batch.cli", "grader.web.cli"):
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name not in {"grader.batch", "grader.web", name}:
                raise
            continue
        module.register(app)


_register_instructor_commands()


#: Set by a command that has released everything it opened (``check``): :func:`main` then
#: lets the process end without a final garbage collection.
_released = False


#: BLAS thread counts for the grader's own process (the sandboxed child's), unless the caller
#: set them. Its arithmetic is elementwise on small arrays; OpenBLAS would start a thread per
#: core when numpy loads, which costs start-up and competes with the sandboxed child: about
#: 60 ms of a 0.37 s check.
ONE_BLAS_THREAD = {k: v for k, v in CHILD_ENV.items() if k.endswith("_NUM_THREADS")}


def _print_version(asked: bool) -> None:
    if asked:
        from grader.version import __version__

        typer.echo(f"bptt-grader {__version__}")
        raise typer.Exit()


@app.callback()
def _before_any_command(
    ctx: typer.Context,
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            help="Print the version and exit.",
            callback=_print_version,
            is_eager=True,
        ),
    ] = False,
) -> None:
    if ctx.invoked_subcommand != "check":
        gc.enable()  # main() paused it; only check, which ends in a second, goes without


def main() -> None:
    """The ``grader`` command (and ``python -m grader``)."""
    if "numpy" not in sys.modules:  # read when numpy loads, not after
        for key, value in ONE_BLAS_THREAD.items():
            os.environ.setdefault(key, value)
    # Loading typer, pydantic and numpy makes hundreds of thousands of objects, and the cyclic
    # collector walks them again and again as they come: about 25 ms of a check. A check lives
    # a second and makes little cyclic garbage, so it runs without the collector; every other
    # command turns it back on before it starts (see _before_any_command).
    gc.disable()
    try:
        app()
    except ModuleNotFoundError as exc:  # an optional library a command needs: no traceback
        typer.echo(
            f"error: this command needs the Python module {exc.name!r}, which is not installed "
            f"here: install it (pip install {exc.name}) and run the command again",
            err=True,
        )
        sys.exit(EXIT_USAGE)
    finally:
        if _released:
            # A final collection that walks every object numpy and pydantic made costs
            # 50-100 ms, a fifth of a check. Frozen objects are skipped by it (exit handlers
            # still run, but cyclic garbage is not finalized: check leaves none that matters;
            # its child is closed and its output goes to sys.stdout, flushed at exit).
            gc.freeze()
