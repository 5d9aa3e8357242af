"""Where grading jobs run: a local thread pool, or an existing Dask distributed cluster.

Both implement :class:`Executor`: ``run`` yields each job with its report JSON (or the
exception it raised) as jobs finish, in any order. Closing the generator early (an error or
Ctrl-C in the consumer) cancels the jobs not yet started.
"""

from __future__ import annotations

import os
from collections.abc import Generator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import TYPE_CHECKING, Any, Protocol

from grader.batch.jobs import GradeJob, grade_job, grade_on_worker
from grader.errors import ConfigError

# distributed ships without type hints for Client's methods.
# mypy: disable-error-code="no-untyped-call"

if TYPE_CHECKING:
    from distributed import Client

    from grader.core import Grader

Outcome = tuple[GradeJob, str | BaseException]


class Executor(Protocol):
    #: How many jobs run at once (shown in the summary).
    workers: int

    def run(self, jobs: Sequence[GradeJob], grader: Grader) -> Generator[Outcome, None, None]: ...


class LocalExecutor:
    """Threads in this process; each job's work is in its own sandboxed child process."""

    def __init__(self, workers: int | None = None) -> None:
        self.workers = max(1, workers or os.cpu_count() or 1)

    def run(self, jobs: Sequence[GradeJob], grader: Grader) -> Generator[Outcome, None, None]:
        pool = ThreadPoolExecutor(self.workers, thread_name_prefix="grade")
        pending: dict[Future[str], GradeJob] = {}
        try:
            pending = {pool.submit(grade_job, j, grader): j for j in jobs}
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for fut in done:
                    job = pending.pop(fut)
                    exc = fut.exception()
                    yield job, exc if exc is not None else fut.result()
        finally:
            # Jobs already running finish (each is bounded by the part time limits).
            pool.shutdown(wait=True, cancel_futures=True)


class DaskExecutor:
    """Jobs sent to a running Dask cluster; each worker grades in its own sandbox."""

    def __init__(self, scheduler: str | Client) -> None:
        try:
            from distributed import Client
        except ImportError:
            raise ConfigError(
                "--executor dask needs the 'distributed' package: "
                "pip install 'bptt-grader[cluster]'"
            ) from None
        if isinstance(scheduler, str):
            try:
                self.client = Client(scheduler, timeout=10)
            except (OSError, TimeoutError) as exc:
                raise ConfigError(
                    f"cannot reach the Dask scheduler at {scheduler}: {exc} (start one with "
                    "`dask scheduler` and workers with `dask worker tcp://HOST:8786`)"
                ) from None
            self._own_client = True
        else:
            self.client, self._own_client = scheduler, False
        self.workers = max(1, sum(w.get("nthreads", 1) for w in self._workers().values()))

    def _workers(self) -> dict[str, Any]:
        info: dict[str, Any] = self.client.scheduler_info()
        workers: dict[str, Any] = info.get("workers", {})
        return workers

    def run(self, jobs: Sequence[GradeJob], grader: Grader) -> Generator[Outcome, None, None]:
        from distributed import as_completed

        shared = self.client.scatter(grader, broadcast=True)
        futures = {
            self.client.submit(grade_on_worker, j.filename, j.data, shared, pure=False): j
            for j in jobs
        }
        try:
            for fut in as_completed(list(futures)):
                job = futures.pop(fut)
                exc = fut.exception()
                yield job, exc if exc is not None else str(fut.result())
        finally:
            if futures:
                self.client.cancel(list(futures))

    def close(self) -> None:
        if self._own_client:
            self.client.close()
