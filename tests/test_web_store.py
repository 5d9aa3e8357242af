"""The durable queue in the store: atomic claims, recovery of running jobs, one report each."""

from __future__ import annotations

import threading
from pathlib import Path

from grader.web.db import make_engine
from grader.web.store import Store


def store(tmp_path: Path) -> Store:
    return Store(make_engine(f"sqlite:///{tmp_path / 'q.db'}"))


def test_concurrent_workers_never_claim_the_same_submission(tmp_path: Path) -> None:
    s = store(tmp_path)
    s.add_student("alice")
    ids = [s.add_submission("alice", "a.py", f"{n:064x}") for n in range(60)]
    claimed: list[int] = []
    lock = threading.Lock()

    def worker() -> None:
        mine = Store(s.engine)  # each worker with its own sessions, as in the pool
        while (job := mine.claim_next()) is not None:
            with lock:
                claimed.append(job.id)
            assert mine.finish(job.id, report_json="{}", score=1.0, max_score=1.0)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(claimed) == ids
    assert {(r.status, r.attempts, r.graded_count) for r in s.list()} == {("done", 1, 1)}


def test_running_jobs_are_requeued_and_a_stale_finish_is_refused(tmp_path: Path) -> None:
    s = store(tmp_path)
    s.add_student("alice")
    first = s.add_submission("alice", "a.py", "0" * 64)
    job = s.claim_next()
    assert job is not None and job.id == first and s.claim_next() is None
    assert s.requeue_running() == 1
    again = s.claim_next()
    assert again is not None and again.attempts == 2
    assert s.finish(first, error="boom")
    assert not s.finish(first, report_json="{}")  # no longer running: nothing written twice
    row = s.get(first)
    assert row is not None and (row.status, row.graded_count, row.error) == ("error", 1, "boom")
    assert s.requeue_finished("alice") == 1 and s.get(first).status == "queued"  # type: ignore[union-attr]
