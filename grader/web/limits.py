"""The caps on a student's uploads, and the refusal when an upload would pass one.

:meth:`Store.add_submission <grader.web.store.Store.add_submission>` decides them in the
transaction that inserts the submission, so concurrent uploads cannot all slip under a cap; the
API turns each refusal into its status::

    GraderError
    └── UploadRefused       nothing was stored
        ├── RateLimited     too many uploads in the last minute             429, Retry-After
        ├── TooManyPending  too many of the student's waiting to be graded  429, Retry-After
        ├── QuotaExceeded   the student's stored bytes would pass the cap   413
        └── QueueFull       everyone's waiting submissions fill the queue   503, Retry-After
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from grader.errors import GraderError

RATE_WINDOW = timedelta(minutes=1)
#: Statuses of a submission that is waiting to be graded or being graded.
PENDING = ("queued", "running")
#: When to try again after a refusal that no clock decides: grading takes seconds a job.
PENDING_RETRY_S = 30


class UploadRefused(GraderError):
    """An upload would pass a cap: nothing was stored. ``retry_after_s``: when trying again
    may succeed, if waiting helps."""

    def __init__(self, message: str, retry_after_s: int | None = None) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class RateLimited(UploadRefused):
    pass


class TooManyPending(UploadRefused):
    pass


class QuotaExceeded(UploadRefused):
    pass


class QueueFull(UploadRefused):
    pass


@dataclass(frozen=True)
class UploadLimits:
    per_minute: int
    pending_per_student: int
    stored_bytes_per_student: int
    queue_max: int


@dataclass(frozen=True)
class Usage:
    """A student's use of the service at the moment an upload is decided."""

    recent: int  # their uploads within RATE_WINDOW
    oldest_recent: datetime | None  # the first of those
    pending: int  # theirs waiting or being graded
    stored_bytes: int  # the sizes of all their submissions, added up
    queued: int  # everyone's waiting or being graded


def admit(usage: Usage, limits: UploadLimits, size: int, now: datetime) -> None:
    """Return if an upload of ``size`` bytes may be stored; else raise the refusal for the
    first cap it would pass."""
    if usage.recent >= limits.per_minute:
        # Clamped: a reader's clock may be read before an upload it then counts was made.
        oldest = min(usage.oldest_recent or now, now)
        retry = max(1, math.ceil((oldest + RATE_WINDOW - now).total_seconds()))
        raise RateLimited(
            f"at most {limits.per_minute} uploads a minute: try again in {retry} s", retry
        )
    if usage.pending >= limits.pending_per_student:
        waiting = f"{usage.pending} submission{'s' if usage.pending != 1 else ''}"
        raise TooManyPending(
            f"you have {waiting} waiting to be graded: wait for one to finish",
            PENDING_RETRY_S,
        )
    if usage.stored_bytes + size > limits.stored_bytes_per_student:
        raise QuotaExceeded(
            f"this file ({_kib(size)} KiB) does not fit: your submissions take "
            f"{_kib(usage.stored_bytes)} KiB of the {_kib(limits.stored_bytes_per_student)} KiB "
            "each student may store; ask the instructor for more room"
        )
    if usage.queued >= limits.queue_max:
        raise QueueFull("the grading queue is full: try again shortly", PENDING_RETRY_S)


def _kib(size: int) -> str:
    return f"{size / 1024:.1f}".removesuffix(".0")
