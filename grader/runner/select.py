"""Choosing the sandbox backend for the settings and this machine."""

from __future__ import annotations

import sys

from grader.errors import SandboxError
from grader.runner.backend import PlainBackend, SandboxBackend
from grader.settings import Settings

FALLBACK_WARNING = (
    "warning: the hardened sandbox (bubblewrap) cannot run here ({reason}); student code runs "
    "in a plain child process with resource limits only, which can read your files. "
    "Install bubblewrap (apt-get install bubblewrap) before grading untrusted code."
)


def choose_backend(settings: Settings, *, warn: bool = True) -> SandboxBackend:
    """The hardened backend when it works here; else the plain one, with a warning."""
    from grader.runner.bwrap import BwrapBackend, bwrap_works

    if settings.sandbox == "plain":
        return PlainBackend()
    reason = bwrap_works()
    if reason is None:
        return BwrapBackend()
    if settings.sandbox == "bwrap":
        raise SandboxError(reason)
    if warn:
        print(FALLBACK_WARNING.format(reason=reason), file=sys.stderr)
    return PlainBackend()


def require_confined(backend: SandboxBackend, settings: Settings) -> None:
    """Batch grading and the server refuse the plain backend unless explicitly allowed."""
    if backend.name == "plain" and not settings.allow_unconfined:
        raise SandboxError(
            "refusing to grade untrusted submissions without the hardened sandbox: install "
            "bubblewrap, or pass --allow-unconfined (GRADER_ALLOW_UNCONFINED=1) to accept the "
            "plain backend's weaker isolation"
        )
