"""Choosing the sandbox backend for the settings and this machine.

Nothing here prints: what the operator should know (no warm pool, the plain backend instead of
the hardened one) comes back as notes on the :class:`BackendChoice`, which the caller shows
(and the grader records on each report).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from grader.errors import SandboxError
from grader.runner.backend import PlainBackend, SandboxBackend, plain_drop_works
from grader.settings import Settings

#: The note for a run that grades outside the hardened sandbox (``{reason}``: why).
PLAIN_NOTE = (
    "graded in a plain child process, not the hardened sandbox ({reason}); install bubblewrap "
    "(apt-get install bubblewrap) before grading untrusted code"
)


@dataclass(frozen=True)
class BackendChoice:
    backend: SandboxBackend
    #: Why the hardened backend is not used (None when it is, or when plain was asked for).
    fallback: str | None = None
    #: What the operator should know about the choice (shown once, not on each report).
    notes: tuple[str, ...] = field(default=())


def choose_backend(
    settings: Settings, *, probe: bool = False, warm: bool = False, untrusted: bool = False
) -> BackendChoice:
    """The hardened backend when bwrap is installed (and, with ``probe``, runs a trial job);
    else the plain one, with the reason. Without ``probe``, a bwrap that is installed but
    cannot start a job shows as a SandboxError from the run, before any student code runs: the
    run's :class:`~grader.runner.launcher.Launcher` then falls back.

    ``warm`` (many jobs to come: batch grading, the server) prefers the warm pool, which forks
    each job from a worker that has numpy loaded; ``sandbox = "pool"`` asks for it outright.
    ``untrusted`` (batch, the server, Gradescope): a plain backend run by root gives each job
    a uid of its own where this machine allows it (:func:`plain_drop_works`).
    """
    from grader.runner.bwrap import BwrapBackend, bwrap_works

    notes: list[str] = []
    if settings.sandbox == "plain":
        return _plain(untrusted, None, notes)
    if settings.sandbox == "pool" or (warm and settings.sandbox == "auto"):
        from grader.runner.zygote import PoolBackend

        try:
            pool = PoolBackend(settings.limits)
            pool.warm_up()
            return BackendChoice(pool)
        except SandboxError as exc:
            if settings.sandbox == "pool":
                raise
            notes.append(f"no warm pool ({exc}); each job starts its own sandbox")
    try:
        backend = BwrapBackend()
        reason = bwrap_works() if probe else None
    except SandboxError as exc:
        reason = str(exc)
    if reason is None:
        return BackendChoice(backend, notes=tuple(notes))
    if settings.sandbox == "bwrap":
        raise SandboxError(reason)
    return _plain(untrusted, reason, notes)


def _plain(untrusted: bool, reason: str | None, notes: list[str]) -> BackendChoice:
    if untrusted and os.geteuid() == 0:
        problem = plain_drop_works()
        if problem is None:
            return BackendChoice(PlainBackend(drop_privileges=True), reason, tuple(notes))
        notes.append(f"student code runs as root: {problem}")
    return BackendChoice(PlainBackend(), reason, tuple(notes))


def require_confined(backend: SandboxBackend, settings: Settings) -> None:
    """Batch grading and the server refuse the plain backend unless explicitly allowed."""
    if backend.name == "plain" and not settings.allow_unconfined:
        raise SandboxError(
            "refusing to grade untrusted submissions without the hardened sandbox: install "
            "bubblewrap, or pass --allow-unconfined (GRADER_ALLOW_UNCONFINED=1) to accept the "
            "plain backend's weaker isolation"
        )
