"""Choosing the sandbox backend for the settings and this machine."""

from __future__ import annotations

from grader.runner.backend import PlainBackend, SandboxBackend
from grader.settings import Settings


def choose_backend(settings: Settings) -> SandboxBackend:
    return PlainBackend()
