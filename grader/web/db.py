"""The service's tables (SQLAlchemy 2) and the engine factory.

Only portable constructs: the same models run on the embedded SQLite default and on
PostgreSQL (``GRADER_DATABASE_URL=postgresql+psycopg://...``). SQLite-only pragmas (WAL,
busy_timeout) are applied behind a dialect check.

On SQLite, SQLAlchemy (not the sqlite3 module, which would begin only at the first write)
emits each transaction's BEGIN: ``BEGIN IMMEDIATE``, which takes the write lock before the
first read, so that a check and the write it decides are one step; a connection with the
:data:`READ_ONLY` execution option begins a plain (deferred) transaction and never waits for a
writer. On PostgreSQL a transaction that must be atomic locks the rows it decides on.

There are no migrations: ``create_all`` makes missing tables, and a column added since a
database was made is added when the engine is made (:data:`ADDED_COLUMNS`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Connection,
    DateTime,
    Engine,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    create_engine,
    event,
    inspect,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

STATUSES = ("queued", "running", "done", "error")
#: Execution option: this connection only reads (on SQLite: BEGIN, not BEGIN IMMEDIATE).
READ_ONLY = "grader_read_only"


class Base(DeclarativeBase):
    pass


class Student(Base):
    __tablename__ = "students"

    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    #: sha256 of the token: tokens are 256-bit random, so a plain hash cannot be reversed.
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True, index=True)
    profile: Mapped[str] = mapped_column(Text, default="{}")  # JSON of the roster's other columns
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)


class Submission(Base):
    __tablename__ = "submissions"
    __table_args__ = (
        Index("ix_submissions_status_id", "status", "id"),
        Index("ix_submissions_student_time", "student", "submitted_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    student: Mapped[str] = mapped_column(ForeignKey("students.id"))
    filename: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    #: Bytes of the upload; None in rows written before the column existed.
    size: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="queued")
    submitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    #: Times a worker claimed it (a crash mid-grading makes this exceed graded_count).
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    #: Times a report was written: 1 per acceptance, plus one per instructor regrade.
    graded_count: Mapped[int] = mapped_column(Integer, default=0)
    score: Mapped[float | None] = mapped_column(Float)
    max_score: Mapped[float | None] = mapped_column(Float)
    report: Mapped[str | None] = mapped_column(Text)  # GradeReport JSON
    error: Mapped[str | None] = mapped_column(Text)


#: (table, column, SQL type) of columns added after the first release, added to an existing
#: database by :func:`make_engine`; its rows hold NULL there.
ADDED_COLUMNS = (("submissions", "size", "INTEGER"),)


def make_engine(url: str, *, busy_timeout_s: float = 5.0) -> Engine:
    """An engine for ``url`` with the tables (and any column added since) created; SQLite gets
    WAL, a busy timeout, and BEGIN IMMEDIATE for every transaction but the read-only ones."""
    is_sqlite = url.startswith("sqlite")
    connect_args: dict[str, Any] = (
        {"timeout": busy_timeout_s, "check_same_thread": False} if is_sqlite else {}
    )
    engine = create_engine(url, connect_args=connect_args, pool_pre_ping=not is_sqlite)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection: Any, _record: Any) -> None:
            # The documented recipe: sqlite3 emits no BEGIN of its own; _begin below does.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_s * 1000)}")
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _begin(connection: Connection) -> None:
            read_only = connection.get_execution_options().get(READ_ONLY, False)
            connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

    Base.metadata.create_all(engine)
    _add_columns(engine)
    return engine


def _add_columns(engine: Engine) -> None:
    """Add the :data:`ADDED_COLUMNS` an existing database lacks. The check and the ALTER are
    one transaction (immediate on SQLite; IF NOT EXISTS on PostgreSQL), so two processes
    opening the same old database at once both succeed."""
    with engine.begin() as conn:
        for table, column, sql_type in ADDED_COLUMNS:
            if column in {c["name"] for c in inspect(conn).get_columns(table)}:
                continue
            guard = "IF NOT EXISTS " if engine.dialect.name == "postgresql" else ""
            conn.exec_driver_sql(f"ALTER TABLE {table} ADD COLUMN {guard}{column} {sql_type}")
