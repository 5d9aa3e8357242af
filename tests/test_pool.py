"""The warm pool: jobs forked from a warm worker, concurrently, surviving the worker's death."""

from __future__ import annotations

import os
import signal
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from grader.assignment import load_assignment
from grader.cases import load_case_set
from grader.core import grade
from grader.settings import get_settings

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.pool


@pytest.fixture(scope="module")
def pool():  # type: ignore[no-untyped-def]
    from grader.runner.zygote import PoolBackend

    backend = PoolBackend()
    yield backend
    backend.close()


VERDICTS = [
    pytest.param("correct_vectorized.py", None, id="correct"),  # full marks
    pytest.param("mistake_uses_h_t.py", ("W", "uses_h_t"), id="uses_h_t"),  # W diagnosed
    pytest.param("mistake_reversed_product.py", ("h", "reversed_product"), id="reversed"),
]


def test_concurrent_jobs_get_their_own_verdicts(pool) -> None:  # type: ignore[no-untyped-def]
    assignment = load_assignment()
    cases = load_case_set(assignment, "public")
    settings = get_settings()
    files = [p.values[0] for p in VERDICTS] * 4
    with ThreadPoolExecutor(4) as ex:
        reports = list(
            ex.map(
                lambda f: grade(
                    ROOT / "submissions" / f, assignment, settings, case_set=cases, backend=pool
                ),
                files,
            )
        )
    expected = {p.values[0]: p.values[1] for p in VERDICTS}
    for f, report in zip(files, reports, strict=True):
        assert report.sandbox == "bwrap-pool"
        failing = [(p.name, p.diagnosis) for p in report.parts if p.status != "passed"]
        wanted = expected[f]
        assert failing == ([] if wanted is None else [wanted]), f


def test_a_dead_worker_is_replaced(pool) -> None:  # type: ignore[no-untyped-def]
    pool.warm_up()
    pid = pool.worker_pid
    assert pid is not None
    os.kill(pid, signal.SIGKILL)  # the worker dies between jobs
    for _ in range(100):
        if pool.worker_pid is None:
            break
        time.sleep(0.02)
    report = grade(ROOT / "submissions" / "correct_loops.py", backend=pool)
    assert report.full_marks and report.sandbox == "bwrap-pool"
