"""The one place that starts a submission's children, and closes each.

A :class:`Launcher` holds the backend a run uses and starts every child of it: the first one,
the fresh one after a part that timed out, crashed or ran into a limit, and the plain backend's
child when the hardened sandbox cannot start a job here (``fallback``: only before any student
code has run; the reason is kept in ``fell_back``, for the report).
:func:`grader.runner.session.run_job` asks it for children and nothing else starts one.

``prestart`` starts the first child at once, so that it boots (the interpreter and numpy, in
its sandbox) while the caller loads the cases: ``grader check``'s latency (bench/
check_latency.py). A prestarted child that is never used is closed with the launcher.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import TYPE_CHECKING

from grader.errors import SandboxError
from grader.runner.backend import PlainBackend, SandboxBackend, SandboxChild

if TYPE_CHECKING:
    from types import TracebackType

    from grader.runner.limits import Limits


class Launcher:
    """Starts and closes the children of one backend (see the module docstring)."""

    def __init__(self, backend: SandboxBackend, limits: Limits, *, fallback: bool = False) -> None:
        self.backend = backend
        self.limits = limits
        self.fallback = fallback and backend.name != "plain"
        #: Why the run fell back to the plain backend, once it has.
        self.fell_back: str | None = None
        self._ready: SandboxChild | None = None

    @property
    def name(self) -> str:
        """The backend the children run in (it goes into the report)."""
        return self.backend.name

    def prestart(self) -> None:
        """Start the first child now; a backend that cannot start one is left to fall back
        (or fail) when the run asks for it."""
        if self._ready is None:
            with suppress(SandboxError):
                self._ready = self.backend.start(self.limits)

    @contextmanager
    def child(self) -> Iterator[SandboxChild]:
        """A started child, closed (killed and reaped) when the block ends."""
        child, self._ready = self._ready, None
        if child is None:
            child = self.backend.start(self.limits)
        try:
            yield child
        finally:
            child.close()

    def fall_back(self, problem: SandboxError) -> bool:
        """After the sandbox failed to start a job (no student code ran): switch to the plain
        backend when allowed, keeping the reason; whether the run should start again."""
        if not self.fallback:
            return False
        self.fell_back = str(problem)
        self.close()
        self.backend, self.fallback = PlainBackend(), False
        return True

    def close(self) -> None:
        if self._ready is not None:
            self._ready.close()
            self._ready = None

    def __enter__(self) -> Launcher:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
