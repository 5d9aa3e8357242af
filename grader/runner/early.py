"""A sandboxed child started before the grader has loaded: ``grader check``'s latency.

Most of a check is loading modules: numpy and pydantic in the grader and, in parallel, Python
and numpy in the sandboxed child. So the child is started first, before the settings are read
(they need pydantic), as bubblewrap with the default tmpfs size. The settings then decide:
when they choose the same backend and tmpfs size, the child runs the job; otherwise it is
closed before it is sent anything, and the chosen backend starts its own.

This module imports neither pydantic nor numpy.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from typing import TYPE_CHECKING

from grader.errors import SandboxError
from grader.runner import defaults
from grader.runner.backend import Child, SandboxBackend
from grader.runner.bwrap import BwrapBackend

if TYPE_CHECKING:
    from grader.runner.limits import Limits


@dataclass
class EarlyChild:
    """A child of ``backend`` booting while the grader loads; nothing has been sent to it."""

    backend: BwrapBackend
    child: Child
    tmpfs_mb: int

    def take(self, backend: SandboxBackend, limits: Limits) -> Child | None:
        """The child, when it is what ``backend`` would start for ``limits``; else close it."""
        if (
            isinstance(backend, BwrapBackend)
            and backend.bwrap == self.backend.bwrap
            and backend.as_root == self.backend.as_root
            and limits.tmpfs_mb == self.tmpfs_mb
        ):
            return self.child
        self.child.close()
        return None


def start_early() -> EarlyChild | None:
    """Start a bubblewrap child with the default limits, if bubblewrap is installed."""
    if shutil.which("bwrap") is None:
        return None
    try:
        backend = BwrapBackend()
        return EarlyChild(backend, backend.start_sized(defaults.TMPFS_MB), defaults.TMPFS_MB)
    except (SandboxError, OSError):
        return None  # the backend the settings choose reports it, or falls back
