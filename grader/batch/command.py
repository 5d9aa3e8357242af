"""``grader batch`` behind its option parsing: settings, the secret, the sandbox check, a
rich progress bar, the outputs. The CLI module only turns flags into :class:`BatchOptions`."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from grader.batch.archive import submissions_folder
from grader.batch.discover import discover
from grader.batch.executors import DaskExecutor, Executor, LocalExecutor
from grader.batch.gradebook import CanvasRoster, canvas_column, read_canvas_roster, write_canvas
from grader.batch.outputs import GRADEBOOK, SUMMARY, write_outputs
from grader.batch.run import BatchResult, Row, run_batch
from grader.core import Grader
from grader.report import Lang
from grader.settings import get_settings


class BatchOptions(BaseModel):
    model_config = ConfigDict(frozen=True)

    folder: Path
    out: Path
    workers: int | None = None
    secret_file: Path | None = None
    lang: Lang = "en"
    allow_unconfined: bool = False
    canvas_roster: Path | None = None
    canvas_column: str | None = None  # None: the roster's only assignment column
    scheduler: str | None = None  # a Dask scheduler address: grade on that cluster
    assignment: Path | None = None


class RateColumn(ProgressColumn):
    """Submissions graded per second."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:.2f}/s" if speed else "–/s", style="cyan")


def run_batch_command(opts: BatchOptions, console: Console | None = None) -> BatchResult:
    out = Console(highlight=False) if console is None else console
    err = Console(stderr=True, highlight=False) if console is None else console
    settings = get_settings(
        secret_file=opts.secret_file,
        allow_unconfined=True if opts.allow_unconfined else None,
        assignment=opts.assignment,
    )
    settings.resolved_secret()  # no secret: exit 2 before anything else
    canvas = _canvas_target(opts)  # a bad roster or column: exit 2 before grading
    grader = Grader(
        settings, case_set="hidden", untrusted=True, warm=True, defer_backend=bool(opts.scheduler)
    )
    assignment = grader.assignment
    for note in grader.notes:
        err.print(f"note: {note}", markup=False, emoji=False)
    folder = submissions_folder(opts.folder, opts.out)  # a zip is unpacked first
    found = discover(folder, [p.function for p in assignment.parts])
    out.print(
        f"{len(found.submissions)} students found in {opts.folder} ({found.layout} layout)",
        markup=False,
        emoji=False,
    )
    for sub in found.submissions:
        for note in sub.notes:
            out.print(f"  {sub.student}: {note}", markup=False, emoji=False)
    executor: Executor
    dask: DaskExecutor | None = None
    if opts.scheduler:
        executor = dask = DaskExecutor(opts.scheduler)
    else:
        executor = LocalExecutor(opts.workers)
    progress = Progress(
        TextColumn("grading"),
        BarColumn(),
        MofNCompleteColumn(),
        RateColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=False,
    )
    task = progress.add_task("grading", total=None)

    def on_start(jobs: int) -> None:
        progress.update(task, total=jobs)
        progress.start()

    def on_result(row: Row) -> None:
        if row.failure is not None:
            progress.console.print(f"✗ {row.student}: {row.failure}", markup=False, emoji=False)
        if row.regraded:
            progress.advance(task)

    try:
        result = run_batch(
            found.submissions, opts.out, grader, executor, on_result=on_result, on_start=on_start
        )
    finally:
        progress.stop()
        if dask is not None:
            dask.close()
        grader.close()
    write_outputs(result, assignment, opts.out, opts.lang)
    failures = sum(1 for r in result.rows if r.failure is not None)
    out.print(
        f"graded {result.graded}, reused {result.reused}, {failures} errored or timed out, "
        f"in {result.wall_s:.1f} s with {result.workers} workers",
        markup=False,
        emoji=False,
    )
    out.print(f"gradebook: {opts.out / GRADEBOOK}", markup=False, emoji=False)
    out.print(f"summary:   {opts.out / SUMMARY}", markup=False, emoji=False)
    if canvas is not None:
        roster, column = canvas
        ids = {s.student: s.canvas_user_id for s in found.submissions if s.canvas_user_id}
        export = write_canvas(result.rows, ids, roster, opts.out / "canvas.csv", column)
        out.print(
            f"canvas:    {opts.out / 'canvas.csv'} ({export.matched} matched, column {column!r})",
            markup=False,
            emoji=False,
        )
        if export.unmatched_students:
            out.print(
                "not in the Canvas roster: " + ", ".join(export.unmatched_students),
                markup=False,
                emoji=False,
            )
        if export.no_submission:
            out.print(
                "no submission: " + ", ".join(export.no_submission), markup=False, emoji=False
            )
        if export.late:
            out.print(
                f"late:      {len(export.late)} ({', '.join(export.late)}): Canvas marked the "
                "file LATE; canvas.csv has the scores as graded (gradebook.csv, a late column)",
                markup=False,
                emoji=False,
            )
    return result


def _canvas_target(opts: BatchOptions) -> tuple[CanvasRoster, str] | None:
    """The Canvas roster and the assignment column to fill in it, when one was given."""
    if opts.canvas_roster is None:
        return None
    roster = read_canvas_roster(opts.canvas_roster)
    return roster, canvas_column(roster, opts.canvas_column)
