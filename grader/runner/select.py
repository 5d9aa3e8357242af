"""Choosing the sandbox backend for the settings and this machine."""

from __future__ import annotations

import sys

from grader.errors import SandboxError
from grader.runner.backend import PlainBackend, SandboxBackend
from grader.runner.launcher import warn_fallback
from grader.settings import Settings


def choose_backend(
    settings: Settings, *, probe: bool = False, warm: bool = False
) -> SandboxBackend:
    """The hardened backend when bwrap is installed (and, with ``probe``, runs a trial job);
    else the plain one, with a warning. Without ``probe``, a bwrap that is installed but cannot
    start a job shows as a SandboxError from the run, before any student code runs: the
    run's :class:`~grader.runner.launcher.Launcher` then falls back.

    ``warm`` (many jobs to come: batch grading, the server) prefers the warm pool, which forks
    each job from a worker that has numpy loaded; ``sandbox = "pool"`` asks for it outright.
    """
    from grader.runner.bwrap import BwrapBackend, bwrap_works

    if settings.sandbox == "plain":
        return PlainBackend()
    if settings.sandbox == "pool" or (warm and settings.sandbox == "auto"):
        from grader.runner.zygote import PoolBackend

        try:
            pool = PoolBackend(settings.limits)
            pool.warm_up()
            return pool
        except SandboxError as exc:
            if settings.sandbox == "pool":
                raise
            print(f"note: no warm pool ({exc}); each job starts its own sandbox", file=sys.stderr)
    try:
        backend = BwrapBackend()
        reason = bwrap_works() if probe else None
    except SandboxError as exc:
        reason = str(exc)
    if reason is None:
        return backend
    if settings.sandbox == "bwrap":
        raise SandboxError(reason)
    warn_fallback(reason)
    return PlainBackend()


def require_confined(backend: SandboxBackend, settings: Settings) -> None:
    """Batch grading and the server refuse the plain backend unless explicitly allowed."""
    if backend.name == "plain" and not settings.allow_unconfined:
        raise SandboxError(
            "refusing to grade untrusted submissions without the hardened sandbox: install "
            "bubblewrap, or pass --allow-unconfined (GRADER_ALLOW_UNCONFINED=1) to accept the "
            "plain backend's weaker isolation"
        )
