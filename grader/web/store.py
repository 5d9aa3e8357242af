"""Students, tokens and submissions in the database; the atomic claim of a queued job and the
atomic decision to accept an upload (see :mod:`grader.web.limits`).

Every write is one short transaction (BEGIN IMMEDIATE on SQLite, see :mod:`grader.web.db`);
reads take no write lock. A locked SQLite database is waited for (busy_timeout), then retried
a few times; if it stays locked, :class:`StoreBusyError` reaches the API as a 503 and nothing
was changed.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ParamSpec, TypeVar

from sqlalchemy import Engine, case, delete, func, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, defer, sessionmaker

from grader.errors import ConfigError, GraderError
from grader.web.db import READ_ONLY, Student, Submission
from grader.web.limits import PENDING, RATE_WINDOW, UploadLimits, Usage, admit

P = ParamSpec("P")
T = TypeVar("T")
RETRIES = 3


class StoreBusyError(GraderError):
    """The database stayed locked or unreachable: try again shortly."""


def new_token() -> str:
    """A student's token: never starting with "-", which a spreadsheet would read as a formula
    in the tokens CSV (and the CSV writer would neutralise, changing the token)."""
    while (token := secrets.token_urlsafe(32)).startswith("-"):
        pass
    return token


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def utcnow() -> datetime:
    return datetime.now(UTC)


def _aware(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes; everything stored here is UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _retrying(fn: Callable[P, T]) -> Callable[P, T]:
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        for attempt in range(RETRIES):
            try:
                return fn(*args, **kwargs)
            except OperationalError as exc:
                if attempt == RETRIES - 1:
                    raise StoreBusyError(f"the database is busy, try again: {exc.orig}") from None
                time.sleep(0.05 * 2**attempt)
        raise AssertionError("unreachable")

    wrapper.__doc__ = fn.__doc__
    return wrapper


@dataclass(frozen=True)
class SubmissionRecord:
    id: int
    student: str
    filename: str
    sha256: str
    status: str
    submitted_at: datetime
    attempts: int
    graded_count: int
    score: float | None
    max_score: float | None
    report: dict[str, Any] | None
    error: str | None

    @classmethod
    def of(cls, row: Submission, *, with_report: bool = True) -> SubmissionRecord:
        return cls(
            id=row.id,
            student=row.student,
            filename=row.filename,
            sha256=row.sha256,
            status=row.status,
            submitted_at=_aware(row.submitted_at),
            attempts=row.attempts,
            graded_count=row.graded_count,
            score=row.score,
            max_score=row.max_score,
            report=json.loads(row.report) if with_report and row.report else None,
            error=row.error,
        )


@dataclass(frozen=True)
class RosterEntry:
    """One student of the roster: how many submissions they have, whether their token works."""

    student: str
    submissions: int
    active: bool


@dataclass(frozen=True)
class RosterChange:
    """What a roster import did: new tokens to hand out, and who kept theirs."""

    issued: list[tuple[str, str]]  # (student, token), new students
    rotated: list[tuple[str, str]]  # (student, token), existing students given a new token
    kept: list[str]


class Store:
    def __init__(self, engine: Engine, now: Callable[[], datetime] = utcnow) -> None:
        self.engine = engine
        self.now = now
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._read_sessions = sessionmaker(
            engine.execution_options(**{READ_ONLY: True}), expire_on_commit=False
        )

    @contextmanager
    def _tx(self) -> Iterator[Session]:
        with self._sessions.begin() as session:
            yield session

    @contextmanager
    def _read(self) -> Iterator[Session]:
        """A transaction that only reads: on SQLite it never waits for a writer."""
        with self._read_sessions.begin() as session:
            yield session

    # -- students and tokens -------------------------------------------------------------

    @_retrying
    def import_roster(self, rows: list[dict[str, str]], *, rotate: bool) -> RosterChange:
        issued: list[tuple[str, str]] = []
        rotated: list[tuple[str, str]] = []
        kept: list[str] = []
        with self._tx() as s:
            for row in rows:
                sid = row["student"].strip()
                profile = json.dumps({k: v for k, v in row.items() if k != "student"})
                student = s.get(Student, sid)
                if student is None:
                    token = new_token()
                    s.add(
                        Student(
                            id=sid,
                            token_hash=hash_token(token),
                            profile=profile,
                            created_at=self.now(),
                            revoked=False,
                        )
                    )
                    issued.append((sid, token))
                    continue
                student.profile = profile
                if rotate or student.revoked or student.token_hash is None:
                    token = new_token()
                    student.token_hash, student.revoked = hash_token(token), False
                    rotated.append((sid, token))
                else:
                    kept.append(sid)
        return RosterChange(issued, rotated, kept)

    @_retrying
    def add_student(self, sid: str, *, rotate: bool = False) -> str:
        """A new token for ``sid``; an existing active student needs ``rotate``."""
        token = new_token()
        with self._tx() as s:
            student = s.get(Student, sid)
            if student is None:
                s.add(
                    Student(
                        id=sid,
                        token_hash=hash_token(token),
                        profile="{}",
                        created_at=self.now(),
                        revoked=False,
                    )
                )
            elif student.revoked or rotate:
                student.token_hash, student.revoked = hash_token(token), False
            else:
                raise ConfigError(
                    f"student {sid!r} exists already: pass --rotate to replace their token"
                )
        return token

    @_retrying
    def revoke(self, sid: str) -> None:
        with self._tx() as s:
            student = s.get(Student, sid)
            if student is None:
                raise ConfigError(f"no student {sid!r} in the roster")
            student.token_hash, student.revoked = None, True

    @_retrying
    def remove(self, sid: str) -> None:
        """Delete a student who has no submissions; one with any is refused (revoke them)."""
        with self._tx() as s:
            # Locked like an upload locks it (see add_submission): no upload slips in between
            # the count and the delete. The foreign key would refuse the delete anyway.
            found = s.execute(select(Student.id).where(Student.id == sid).with_for_update())
            if found.first() is None:
                raise ConfigError(f"no student {sid!r} in the roster")
            count = s.scalar(
                select(func.count()).select_from(Submission).where(Submission.student == sid)
            )
            if count:
                raise ConfigError(
                    f"student {sid!r} has {count} submission(s), which are kept: "
                    f"use `grader roster revoke {sid}` to disable their token instead"
                )
            s.execute(delete(Student).where(Student.id == sid))

    @_retrying
    def roster(self) -> list[RosterEntry]:
        """Every student, by id, with their number of submissions and whether their token is
        active."""
        counts = (
            select(Submission.student, func.count().label("n"))
            .group_by(Submission.student)
            .subquery()
        )
        query = (
            select(Student.id, Student.revoked, Student.token_hash, counts.c.n)
            .outerjoin(counts, counts.c.student == Student.id)
            .order_by(Student.id)
        )
        with self._read() as s:
            return [
                RosterEntry(
                    student=row.id,
                    submissions=int(row.n or 0),
                    active=not row.revoked and row.token_hash is not None,
                )
                for row in s.execute(query)
            ]

    @_retrying
    def student_for_token(self, token: str) -> str | None:
        digest = hash_token(token)
        with self._read() as s:
            row = s.execute(
                select(Student.id, Student.token_hash).where(
                    Student.token_hash == digest, Student.revoked.is_(False)
                )
            ).first()
        if row is None or row.token_hash is None:
            return None
        return row.id if hmac.compare_digest(row.token_hash, digest) else None

    @_retrying
    def students(self) -> list[str]:
        with self._read() as s:
            return list(s.scalars(select(Student.id).order_by(Student.id)))

    # -- submissions ----------------------------------------------------------------------

    @_retrying
    def pending_count(self) -> int:
        with self._read() as s:
            count = s.scalar(
                select(func.count()).select_from(Submission).where(Submission.status.in_(PENDING))
            )
        return int(count or 0)

    @_retrying
    def admission(self, student: str, limits: UploadLimits) -> None:
        """Raise the refusal an upload by ``student`` would meet now, whatever its size: an
        early answer, before the upload is read. :meth:`add_submission` decides."""
        with self._read() as s:
            now = self.now()
            admit(self._usage(s, student, now), limits, 0, now)

    @_retrying
    def add_submission(
        self,
        student: str,
        filename: str,
        sha256: str,
        *,
        size: int,
        limits: UploadLimits | None = None,
        save: Callable[[], object] | None = None,
    ) -> int:
        """Queue a submission; its id. With ``limits``, whether the student may is decided in
        the same transaction, before anything is written: an :class:`UploadRefused` otherwise.
        ``save`` (which stores the upload's bytes) runs once the upload is admitted and before
        its row is written, so that a refused upload is not kept and an accepted one has its
        bytes on disk whenever the server is killed."""
        with self._tx() as s:
            if limits is not None:
                # One decision at a time per student: PostgreSQL locks their row until commit
                # (a concurrent upload waits here, then counts this one). On SQLite, FOR UPDATE
                # is not emitted: the transaction holds the write lock already (BEGIN IMMEDIATE).
                s.execute(select(Student.id).where(Student.id == student).with_for_update())
            now = self.now()  # read under the lock: the window counts every earlier upload
            if limits is not None:
                admit(self._usage(s, student, now), limits, size, now)
            if save is not None:
                save()
            row = Submission(
                student=student,
                filename=filename,
                sha256=sha256,
                size=size,
                status="queued",
                submitted_at=now,
                attempts=0,
                graded_count=0,
            )
            s.add(row)
            s.flush()
            return row.id

    def _usage(self, s: Session, student: str, now: datetime) -> Usage:
        recent = Submission.submitted_at > now - RATE_WINDOW
        pending = Submission.status.in_(PENDING)
        mine = s.execute(
            select(
                func.count(case((recent, 1))),
                func.min(case((recent, Submission.submitted_at))),
                func.count(case((pending, 1))),
                func.coalesce(func.sum(Submission.size), 0),  # NULL: stored before sizes were
            ).where(Submission.student == student)
        ).one()
        queued = s.scalar(select(func.count()).select_from(Submission).where(pending))
        return Usage(
            recent=int(mine[0]),
            oldest_recent=_aware(mine[1]) if mine[1] is not None else None,
            pending=int(mine[2]),
            stored_bytes=int(mine[3]),
            queued=int(queued or 0),
        )

    @_retrying
    def get(self, sub_id: int) -> SubmissionRecord | None:
        with self._read() as s:
            row = s.get(Submission, sub_id)
            return SubmissionRecord.of(row) if row else None

    @_retrying
    def list(
        self, student: str | None = None, *, with_reports: bool = True
    ) -> list[SubmissionRecord]:
        """Submissions, oldest first; without their reports (neither read nor parsed) when
        ``with_reports`` is false, which is what a listing needs."""
        query = select(Submission).order_by(Submission.id)
        if not with_reports:
            query = query.options(defer(Submission.report))
        if student is not None:
            query = query.where(Submission.student == student)
        with self._read() as s:
            return [SubmissionRecord.of(r, with_report=with_reports) for r in s.scalars(query)]

    # -- the queue -------------------------------------------------------------------------

    @_retrying
    def claim_next(self) -> SubmissionRecord | None:
        """Mark the oldest queued submission running and return it; None if none is queued.

        The UPDATE's ``status='queued'`` condition and rowcount make the claim atomic: when two
        workers pick the same row, exactly one update matches and the other tries the next."""
        for _ in range(16):
            with self._tx() as s:
                sub_id = s.scalar(
                    select(Submission.id)
                    .where(Submission.status == "queued")
                    .order_by(Submission.id)
                    .limit(1)
                )
                if sub_id is None:
                    return None
                claimed = s.execute(
                    update(Submission)
                    .where(Submission.id == sub_id, Submission.status == "queued")
                    .values(
                        status="running", started_at=self.now(), attempts=Submission.attempts + 1
                    )
                )
                if claimed.rowcount == 1:  # type: ignore[attr-defined]
                    row = s.get(Submission, sub_id)
                    assert row is not None
                    s.refresh(row)
                    return SubmissionRecord.of(row)
        return None

    @_retrying
    def finish(
        self,
        sub_id: int,
        *,
        report_json: str | None = None,
        score: float | None = None,
        max_score: float | None = None,
        error: str | None = None,
    ) -> bool:
        """Write the outcome of a claimed job in one statement; False if it was not running."""
        with self._tx() as s:
            done = s.execute(
                update(Submission)
                .where(Submission.id == sub_id, Submission.status == "running")
                .values(
                    status="error" if error is not None else "done",
                    report=report_json,
                    score=score,
                    max_score=max_score,
                    error=error,
                    finished_at=self.now(),
                    graded_count=Submission.graded_count + 1,
                )
            )
            return bool(done.rowcount == 1)  # type: ignore[attr-defined]

    @_retrying
    def requeue_running(self) -> int:
        """At start-up: jobs a killed server left running go back in the queue."""
        with self._tx() as s:
            done = s.execute(
                update(Submission).where(Submission.status == "running").values(status="queued")
            )
            return int(done.rowcount)  # type: ignore[attr-defined]

    @_retrying
    def requeue_finished(self, student: str | None = None) -> int:
        """Regrade: finished submissions (all, or one student's) go back in the queue."""
        query = update(Submission).where(Submission.status.in_(("done", "error")))
        if student is not None:
            query = query.where(Submission.student == student)
        with self._tx() as s:
            return int(s.execute(query.values(status="queued")).rowcount)  # type: ignore[attr-defined]
