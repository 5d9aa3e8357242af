"""What this machine offers the tests: bubblewrap, the warm pool, Chromium, a PostgreSQL server.

A test that needs one carries a marker (``bwrap``, ``pool``, ``chromium``, ``postgres``); the
conftest checks the marker's need when the test is set up, never at import or collection, and
skips with a reason that names what to install. Each check runs at most once a session.

Functional tests of batch grading and the web service are not security tests: where the
hardened sandbox cannot run they grade on the plain backend with ``allow_unconfined``
(:func:`untrusted_grading`), so that a newcomer's run still exercises them.
"""

from __future__ import annotations

import functools
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from grader.runner.backend import SandboxBackend

POSTGRES_URL_VARIABLE = "GRADER_TEST_POSTGRES_URL"
#: Names Chromium is installed under (Debian: chromium; Ubuntu's old package: chromium-browser).
CHROMIUM_NAMES = ("chromium", "chromium-browser")


@functools.cache
def bwrap_problem() -> str | None:
    """None when the hardened sandbox runs a trial job here, else why not."""
    from grader.runner.bwrap import bwrap_works

    problem = bwrap_works()  # a real job in the sandbox: about a second
    if problem is None:
        return None
    return f"needs bubblewrap able to run a job (apt-get install bubblewrap): {problem}"


@functools.cache
def pool_problem() -> str | None:
    """None when the warm pool can run here: bubblewrap works and we are root."""
    problem = bwrap_problem()
    if problem is not None:
        return problem
    if os.geteuid() != 0:
        return "needs root for the warm pool (run the tests as root, with bubblewrap installed)"
    return None


#: How the browser tests start Chromium: headless, as root, with nothing of its own online.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@functools.cache
def chromium_path() -> str | None:
    """Chromium's executable as found on PATH (hiding it from PATH hides it from the tests)."""
    return next((found for name in CHROMIUM_NAMES if (found := shutil.which(name))), None)


def chromium_problem() -> str | None:
    return None if chromium_path() else "needs Chromium (apt-get install chromium)"


def postgres_url() -> str | None:
    """The URL of a PostgreSQL server the tests may create databases on, if one is given."""
    return os.environ.get(POSTGRES_URL_VARIABLE) or None


def postgres_problem() -> str | None:
    if postgres_url():
        return None
    return (
        f"needs a PostgreSQL server: set {POSTGRES_URL_VARIABLE}="
        "postgresql+psycopg://USER:PASSWORD@HOST/DB (.ci/run installs and starts one)"
    )


@dataclass(frozen=True)
class Need:
    """What a marker needs: the kind of tests it makes (for the run's summary) and its check."""

    kind: str
    problem: Callable[[], str | None]


#: Marker name -> what a test carrying it needs. "security" is the sandbox and attack tests.
NEEDS = {
    "bwrap": Need("security", bwrap_problem),
    "pool": Need("security", pool_problem),
    "chromium": Need("browser", chromium_problem),
    "postgres": Need("PostgreSQL", postgres_problem),
}


@dataclass(frozen=True)
class UntrustedGrading:
    """How the functional tests of batch grading and the web service grade here: in the
    hardened sandbox where it runs, else on the plain backend, allowed explicitly."""

    problem: str | None  # why the hardened sandbox cannot run here; None when it can

    @property
    def confined(self) -> bool:
        return self.problem is None

    @property
    def settings(self) -> dict[str, Any]:
        """Overrides for :func:`grader.settings.get_settings`."""
        return {} if self.confined else {"allow_unconfined": True}

    @property
    def env(self) -> dict[str, str]:
        """Variables for a ``grader`` or ``uvicorn`` subprocess."""
        return {} if self.confined else {"GRADER_ALLOW_UNCONFINED": "1"}

    def backend(self) -> SandboxBackend:
        from grader.runner.backend import PlainBackend
        from grader.runner.bwrap import BwrapBackend

        return BwrapBackend() if self.confined else PlainBackend()


def untrusted_grading() -> UntrustedGrading:
    """Call it from a test or a fixture (it may run the sandbox probe), never at import."""
    return UntrustedGrading(bwrap_problem())
