"""One grading job, the same wherever it runs: a thread here or a Dask worker elsewhere.

A job carries the submission's bytes (read once, in the parent, which also hashes them for
resumability) and returns the report as JSON text, which crosses any process boundary.
Every job is graded by the run's one :class:`~grader.core.Grader`: its hidden case set is built
once, and the secret itself never travels to a worker (the Grader holds the case set, not the
secret; a Dask worker unpickles it and chooses its own sandbox on first use).
"""

from __future__ import annotations

from dataclasses import dataclass

from grader.core import Grader


@dataclass(frozen=True)
class GradeJob:
    key: str  # the student's file-name slug
    filename: str
    data: bytes


def grade_job(job: GradeJob, grader: Grader) -> str:
    """Grade one submission; the GradeReport as JSON text."""
    return grader.grade_bytes(job.filename, job.data).model_dump_json()


def grade_on_worker(filename: str, data: bytes, grader: Grader) -> str:
    """The function a Dask worker runs (a module-level function, so that it pickles)."""
    return grader.grade_bytes(filename, data).model_dump_json()
