"""The durable queue in the store (atomic claims, recovery of running jobs, one report each) and
the caps on uploads, decided in the transaction that inserts: on SQLite and on PostgreSQL."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_web_support import DATABASES, postgres_database

from grader.web.db import make_engine
from grader.web.limits import (
    QueueFull,
    QuotaExceeded,
    RateLimited,
    TooManyPending,
    UploadLimits,
    UploadRefused,
)
from grader.web.store import Store, StoreBusyError

ROOMY = UploadLimits(
    per_minute=1000, pending_per_student=1000, stored_bytes_per_student=1 << 30, queue_max=1000
)


@pytest.fixture(params=DATABASES)
def url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'q.db'}"
        return
    with postgres_database() as url:
        yield url


@pytest.fixture
def store(url: str) -> Iterator[Store]:
    engine = make_engine(url)
    yield Store(engine)
    engine.dispose()


def test_concurrent_workers_never_claim_the_same_submission(store: Store) -> None:
    s = store
    s.add_student("alice")
    ids = [s.add_submission("alice", "a.py", f"{n:064x}", size=1) for n in range(60)]
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


def test_running_jobs_are_requeued_and_a_stale_finish_is_refused(store: Store) -> None:
    s = store
    s.add_student("alice")
    first = s.add_submission("alice", "a.py", "0" * 64, size=1)
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


CAPS = [
    # (id, the cap, how many of 24 simultaneous 1 KiB uploads fit under it, the refusal)
    pytest.param(dict(per_minute=5), 5, RateLimited, id="rate"),
    pytest.param(dict(pending_per_student=4), 4, TooManyPending, id="pending"),
    pytest.param(dict(stored_bytes_per_student=6 << 10), 6, QuotaExceeded, id="stored"),
    pytest.param(dict(queue_max=3), 3, QueueFull, id="queue"),
]
UPLOADERS = 24


@pytest.mark.parametrize(("cap", "fits", "refusal"), CAPS)
def test_simultaneous_uploads_never_pass_a_cap(
    store: Store, cap: dict[str, int], fits: int, refusal: type[UploadRefused]
) -> None:
    """Threads released together, each with its own sessions as the API's thread pool has:
    exactly the uploads that fit are accepted, and only those are saved."""
    limits = UploadLimits(**(ROOMY.__dict__ | cap))
    store.add_student("alice")
    start = threading.Barrier(UPLOADERS)
    outcomes: list[object] = []
    saved: list[int] = []

    def upload(n: int) -> None:
        mine = Store(store.engine)
        start.wait(30)
        try:
            mine.add_submission(
                "alice",
                f"{n}.py",
                f"{n:064x}",
                size=1 << 10,
                limits=limits,
                save=lambda: saved.append(n),
            )
            outcomes.append("accepted")
        except UploadRefused as exc:
            outcomes.append(type(exc))

    threads = [threading.Thread(target=upload, args=(n,)) for n in range(UPLOADERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert outcomes.count("accepted") == fits, outcomes
    assert outcomes.count(refusal) == UPLOADERS - fits, outcomes
    assert len(saved) == fits  # a refused upload is never saved
    assert len(store.list("alice", with_reports=False)) == fits


def test_caps_are_each_students_own_and_free_up(store: Store) -> None:
    limits = UploadLimits(
        per_minute=1000, pending_per_student=2, stored_bytes_per_student=3000, queue_max=1000
    )
    for sid in ("alice", "bob"):
        store.add_student(sid)
    first = store.add_submission("alice", "a.py", "a" * 64, size=1000, limits=limits)
    store.add_submission("alice", "a.py", "a" * 64, size=1000, limits=limits)
    with pytest.raises(TooManyPending, match="you have 2 submissions waiting to be graded"):
        store.admission("alice", limits)  # the early answer says the same
    with pytest.raises(TooManyPending):
        store.add_submission("alice", "b.py", "b" * 64, size=1, limits=limits)
    store.add_submission("bob", "a.py", "a" * 64, size=1000, limits=limits)  # bob is not alice
    job = store.claim_next()
    assert job is not None and job.id == first
    store.finish(first, report_json="{}", score=1.0, max_score=1.0)
    store.admission("alice", limits)
    # The same bytes again count again: a student's room is the sum of their submissions.
    with pytest.raises(QuotaExceeded, match=r"your submissions take 2 KiB of the 2\.9 KiB"):
        store.add_submission("alice", "a.py", "a" * 64, size=1001, limits=limits)
    store.add_submission("alice", "a.py", "a" * 64, size=1000, limits=limits)


def test_the_rate_window_slides(url: str) -> None:
    """Retry-After is when the oldest upload in the window leaves it; then one more fits."""
    from datetime import UTC, datetime, timedelta

    clock = [datetime(2025, 1, 1, 12, 0, 0, tzinfo=UTC)]
    engine = make_engine(url)
    store = Store(engine, now=lambda: clock[0])
    limits = UploadLimits(**(ROOMY.__dict__ | {"per_minute": 2}))
    store.add_student("alice")
    store.add_submission("alice", "a.py", "a" * 64, size=1, limits=limits)
    clock[0] += timedelta(seconds=20)
    store.add_submission("alice", "a.py", "a" * 64, size=1, limits=limits)
    clock[0] += timedelta(seconds=15)
    with pytest.raises(RateLimited, match="try again in 25 s") as info:
        store.add_submission("alice", "a.py", "a" * 64, size=1, limits=limits)
    assert info.value.retry_after_s == 25
    clock[0] += timedelta(seconds=25)
    store.add_submission("alice", "a.py", "a" * 64, size=1, limits=limits)
    engine.dispose()


def test_a_database_from_before_the_size_column_still_opens(url: str) -> None:
    """``make_engine`` adds the column; rows written before it count as no bytes."""
    engine = make_engine(url)
    store = Store(engine)
    store.add_student("alice")
    old = store.add_submission("alice", "a.py", "a" * 64, size=5000)
    with engine.begin() as conn:
        conn.exec_driver_sql("ALTER TABLE submissions DROP COLUMN size")
    engine.dispose()
    engine = make_engine(url)
    store = Store(engine)
    assert store.get(old) is not None
    limits = UploadLimits(**(ROOMY.__dict__ | {"stored_bytes_per_student": 1000}))
    store.add_submission("alice", "b.py", "b" * 64, size=1000, limits=limits)
    with pytest.raises(QuotaExceeded):
        store.add_submission("alice", "c.py", "c" * 64, size=1, limits=limits)
    make_engine(url).dispose()  # opening it again adds nothing
    engine.dispose()


def test_on_sqlite_reads_never_wait_for_a_writer_and_writes_do(tmp_path: Path) -> None:
    """Every write transaction begins IMMEDIATE (it queues behind another writer); one that
    only reads begins deferred, so a long write never stalls a page or a status poll."""
    engine = make_engine(f"sqlite:///{tmp_path / 'q.db'}", busy_timeout_s=0.2)
    store = Store(engine)
    store.add_student("alice")
    sub_id = store.add_submission("alice", "a.py", "a" * 64, size=1)
    writer = sqlite3.connect(tmp_path / "q.db", isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    try:
        assert [s.id for s in store.list("alice", with_reports=False)] == [sub_id]
        assert store.get(sub_id) is not None and store.students() == ["alice"]
        store.admission("alice", ROOMY)  # a waiting read would be a StoreBusyError here
        with pytest.raises(StoreBusyError):
            store.add_submission("alice", "a.py", "a" * 64, size=1, limits=ROOMY)
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    engine.dispose()
