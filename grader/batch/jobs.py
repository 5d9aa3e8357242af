"""One grading job, the same wherever it runs: a thread here or a Dask worker elsewhere.

A job carries the submission's bytes (read once, in the parent, which also hashes them for
resumability) and returns the report as JSON text, which crosses any process boundary.
The hidden case set is built once by the caller and shared by every job; the secret itself
never travels to a worker.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from grader.assignment import Assignment
from grader.cases import CaseSet
from grader.core import grade_source
from grader.runner.backend import SandboxBackend
from grader.runner.select import choose_backend, require_confined
from grader.settings import Settings
from grader.source import source_from_bytes


@dataclass(frozen=True)
class GradeJob:
    key: str  # the student's file-name slug
    filename: str
    data: bytes


@dataclass(frozen=True)
class GradeContext:
    """What every job needs; built once per run. ``settings`` carries no secret."""

    assignment: Assignment
    settings: Settings
    case_set: CaseSet


def grade_job(job: GradeJob, context: GradeContext, backend: SandboxBackend) -> str:
    """Grade one submission on the shared case set; the GradeReport as JSON text."""
    source = source_from_bytes(job.filename, job.data)
    report = grade_source(
        source, context.assignment, context.settings, case_set=context.case_set, backend=backend
    )
    return report.model_dump_json()


_worker_backends: dict[str, SandboxBackend] = {}
_worker_lock = threading.Lock()


def grade_on_worker(filename: str, data: bytes, context: GradeContext) -> str:
    """The function a Dask worker runs: its own sandbox (probed once per worker process),
    refused when it is the plain backend and the instructor did not allow that."""
    settings = context.settings
    with _worker_lock:
        backend = _worker_backends.get(key := f"{settings.sandbox}/{settings.allow_unconfined}")
        if backend is None:
            backend = choose_backend(settings, probe=True, warm=True)
            require_confined(backend, settings)
            _worker_backends[key] = backend
    return grade_job(GradeJob(filename, filename, data), context, backend)
