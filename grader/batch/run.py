"""Batch grading: every discovered submission graded once, resumably, into ``OUT/reports``.

A report already in ``OUT/reports/<slug>.json`` is reused when it graded the same bytes (its
``submission.sha256``) with the same grader version on the same case set (a fingerprint of
the case set's data, kept in ``OUT/state.json``). Everything else is graded again. Each report
is written atomically as soon as it arrives, so an interrupted run loses only the jobs that
were running, and a re-run grades only what is missing or changed.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, ValidationError

from grader.batch.discover import Submission
from grader.batch.executors import Executor
from grader.batch.files import slugs_for, write_atomic
from grader.batch.jobs import GradeJob
from grader.cases import CaseSet
from grader.core import Grader
from grader.errors import GraderError, SubmissionFileError
from grader.report import GradeReport
from grader.source import read_regular_file, source_from_bytes
from grader.version import __version__

REPORTS, FEEDBACK, STATE = "reports", "feedback", "state.json"
ErrorKind = Literal["file", "grading"]


class Row(BaseModel):
    """One student's line of the gradebook: a report, or why there is none."""

    model_config = ConfigDict(frozen=True)

    student: str
    slug: str
    file: str
    report: GradeReport | None = None
    error: str | None = None
    #: "file": the student's file cannot be graded (scores 0); "grading": the grader failed
    #: (no score; a re-run tries again).
    error_kind: ErrorKind | None = None
    regraded: bool = False
    #: Canvas marked the file LATE.
    late: bool = False
    #: Which of the student's several files was graded, and why (empty: there was one).
    file_choice: str = ""

    @property
    def failure(self) -> str | None:
        """Why this submission errored or timed out, if it did (for the run's failure lines)."""
        if self.error is not None:
            return self.error
        assert self.report is not None
        if self.report.load_error is not None:
            return self.report.load_error.en.splitlines()[0]
        bad = [p for p in self.report.parts if p.status in ("error", "timeout")]
        if bad:
            return "; ".join(f"{p.name}: {p.status}" for p in bad)
        return None


class BatchResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    rows: tuple[Row, ...]
    graded: int
    reused: int
    wall_s: float
    workers: int


def case_set_fingerprint(case_set: CaseSet) -> str:
    """A hash of the case set's data: changes when the secret or the reference changes,
    and reveals neither."""
    h = hashlib.sha256(f"{case_set.assignment}/{case_set.kind}".encode())
    for case in case_set.cases:
        for group in (case.inputs, case.expected):
            for name in sorted(group):
                h.update(name.encode())
                h.update(np.ascontiguousarray(group[name], dtype=np.float64).tobytes())
    return h.hexdigest()


def run_batch(
    submissions: Sequence[Submission],
    out: Path,
    grader: Grader,
    executor: Executor,
    *,
    on_result: Callable[[Row], None] | None = None,
    on_start: Callable[[int], None] | None = None,
) -> BatchResult:
    """Grade what is missing or changed; ``on_result`` sees every row as it is settled
    (reused ones first), ``on_start`` how many jobs will run."""
    started = time.monotonic()
    (out / REPORTS).mkdir(parents=True, exist_ok=True)
    fingerprint = case_set_fingerprint(grader.case_set)
    state = _load_state(out / STATE)
    slugs = slugs_for(s.student for s in submissions)
    write_atomic(out / "students.json", json.dumps(slugs, indent=2, ensure_ascii=False) + "\n")
    rows: dict[str, Row] = {}
    jobs: list[GradeJob] = []
    subs_by_slug: dict[str, Submission] = {}
    notify = on_result or (lambda row: None)
    for sub in submissions:
        slug = slugs[sub.student]
        subs_by_slug[slug] = sub
        row = Row(
            student=sub.student,
            slug=slug,
            file=sub.path.name if sub.path else "",
            late=sub.late,
            file_choice=sub.file_choice,
        )
        try:
            data = _read(sub, grader.settings.max_source_kb)
        except SubmissionFileError as exc:
            rows[slug] = row.model_copy(update={"error": str(exc), "error_kind": "file"})
            notify(rows[slug])
            continue
        digest = hashlib.sha256(data).hexdigest()
        cached = _reusable(out / REPORTS / f"{slug}.json", digest, state.get(slug), fingerprint)
        if cached is not None:
            rows[slug] = row.model_copy(update={"report": cached})
            notify(rows[slug])
        else:
            state.pop(slug, None)
            jobs.append(GradeJob(slug, sub.path.name if sub.path else "", data))
    if on_start is not None:
        on_start(len(jobs))
    graded = 0
    with contextlib.closing(executor.run(jobs, grader)) as outcomes:
        for job, outcome in outcomes:
            sub = subs_by_slug[job.key]
            row = Row(
                student=sub.student,
                slug=job.key,
                file=job.filename,
                regraded=True,
                late=sub.late,
                file_choice=sub.file_choice,
            )
            if isinstance(outcome, BaseException):
                kind: ErrorKind = "file" if isinstance(outcome, SubmissionFileError) else "grading"
                if not isinstance(outcome, GraderError | OSError):
                    outcome = RuntimeError(f"{type(outcome).__name__}: {outcome}")
                row = row.model_copy(update={"error": str(outcome), "error_kind": kind})
            else:
                report = GradeReport.model_validate_json(outcome)
                if sub.notes:
                    report = report.model_copy(update={"notes": [*report.notes, *sub.notes]})
                write_atomic(out / REPORTS / f"{job.key}.json", report.model_dump_json(indent=2))
                state[job.key] = {"sha256": report.submission.sha256, "cases": fingerprint}
                write_atomic(out / STATE, json.dumps(state, indent=1, sort_keys=True))
                row = row.model_copy(update={"report": report})
                graded += 1
            rows[job.key] = row
            notify(row)
    ordered = tuple(rows[slugs[s.student]] for s in submissions)
    return BatchResult(
        rows=ordered,
        graded=graded,
        reused=sum(1 for r in ordered if r.report is not None and not r.regraded),
        wall_s=round(time.monotonic() - started, 3),
        workers=executor.workers,
    )


def _read(sub: Submission, max_kb: int) -> bytes:
    """The student's file, never through a symbolic link (it may have been swapped for one
    since discovery); anything wrong with it is that student's SubmissionFileError."""
    if sub.path is None:
        raise SubmissionFileError(sub.error or "no submission file")
    try:
        data = read_regular_file(sub.path, max_kb << 10, inside=sub.root)
        # Decode here too, so an unreadable file is an error row before any job is sent.
        source_from_bytes(sub.path.name, data)
    except SubmissionFileError:
        raise
    except Exception as exc:  # one student's file must never stop the class
        raise SubmissionFileError(
            f"{sub.path.name} cannot be read: {type(exc).__name__}: {exc}"
        ) from None
    return data


def _reusable(
    path: Path, digest: str, entry: dict[str, str] | None, fingerprint: str
) -> GradeReport | None:
    if entry is None or entry.get("sha256") != digest or entry.get("cases") != fingerprint:
        return None
    try:
        report = GradeReport.model_validate_json(path.read_bytes())
    except (OSError, ValidationError):
        return None
    if report.submission.sha256 != digest or report.grader_version != __version__:
        return None
    return report


def _load_state(path: Path) -> dict[str, dict[str, str]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}
