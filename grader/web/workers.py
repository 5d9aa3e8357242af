"""The grading worker pool: threads that claim queued submissions and grade them in the sandbox.

The queue is the database (see :meth:`Store.claim_next`), so it survives a restart: at start
jobs a killed server left ``running`` are queued again. Each thread drives one sandboxed child
process at a time, off the event loop. A new upload wakes a thread; an idle thread also polls.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Protocol

from grader.report import GradeReport
from grader.web.store import Store, StoreBusyError, SubmissionRecord
from grader.web.uploads import Uploads

log = logging.getLogger("grader.web")
POLL_S = 1.0


class BytesGrader(Protocol):
    """Grades one submission's bytes: the service's :class:`~grader.core.Grader` (hidden
    cases, in the sandbox)."""

    def grade_bytes(self, filename: str, data: bytes) -> GradeReport: ...


class WorkerPool:
    def __init__(self, store: Store, uploads: Uploads, grader: BytesGrader, size: int) -> None:
        self.store, self.uploads, self.grader, self.size = store, uploads, grader, size
        self._wake = threading.Condition()
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> int:
        """Re-queue what a killed server left running, then start the threads."""
        requeued = self.store.requeue_running() if self.size else 0
        if requeued:
            log.warning("re-queued %d submission(s) left running by a stopped server", requeued)
        for n in range(self.size):
            thread = threading.Thread(target=self._run, name=f"grader-{n}", daemon=True)
            thread.start()
            self._threads.append(thread)
        return requeued

    def wake(self) -> None:
        with self._wake:
            self._wake.notify()

    def stop(self, timeout_s: float = 30.0) -> None:
        """Let each thread finish its job; one still running after the timeout is re-queued at
        the next start."""
        self._stopping.set()
        with self._wake:
            self._wake.notify_all()
        deadline = time.monotonic() + timeout_s
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                job = self.store.claim_next()
            except StoreBusyError:
                job = None
            if job is None:
                with self._wake:
                    self._wake.wait(POLL_S)
                continue
            try:
                self._grade(job)
            except Exception:  # nothing may end a grading thread
                log.exception("grading submission %d failed", job.id)

    def _grade(self, job: SubmissionRecord) -> None:
        outcome: dict[str, object]
        try:
            report = self.grader.grade_bytes(job.filename, self.uploads.load(job.sha256))
            outcome = {
                "report_json": report.model_dump_json(),
                "score": report.score,
                "max_score": report.max_score,
            }
        except Exception as exc:  # a grader fault must not kill the thread or lose the job
            log.exception("grading submission %d failed", job.id)
            outcome = {"error": _printable(f"{type(exc).__name__}: {exc}")}
        # The report must not be lost to a locked database: keep trying until it is written.
        while True:
            try:
                self.store.finish(job.id, **outcome)  # type: ignore[arg-type]
                return
            except StoreBusyError:
                if self._stopping.is_set():
                    return  # still `running`: re-queued at the next start
                time.sleep(0.5)
            except Exception as exc:  # the store refused what it was given: record why
                log.exception("storing the outcome of submission %d failed", job.id)
                if "report_json" not in outcome:
                    return  # not even the error could be stored: re-queued at the next start
                outcome = {"error": _printable(f"the report could not be stored: {exc}")}


def _printable(text: str) -> str:
    """An error message as storable text: bounded, and encodable as UTF-8."""
    return text[:2000].encode("utf-8", "backslashreplace").decode("utf-8")
