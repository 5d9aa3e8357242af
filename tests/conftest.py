"""Shared test set-up: tests write only under temporary folders; tests that need bubblewrap,
the warm pool, Chromium or a PostgreSQL server skip where it is missing, and the end of the run
says how many did and why (see environment_support)."""

from __future__ import annotations

import tempfile
from collections.abc import Generator
from dataclasses import dataclass, field

import hypothesis
import pytest
from environment_support import NEEDS, UntrustedGrading, bwrap_problem, untrusted_grading

#: The kinds of tests the summary counts, in the order it names them.
KINDS = ("security", "browser", "PostgreSQL")


@dataclass
class Tally:
    """Tests of one kind that reached set-up, and those skipped for a missing need."""

    selected: int = 0
    skipped: int = 0
    reasons: dict[str, None] = field(default_factory=dict)  # an ordered set


TALLY = pytest.StashKey[dict[str, Tally]]()


def pytest_configure(config: pytest.Config) -> None:
    # Hypothesis keeps a cache in ./.hypothesis by default: keep it out of the repository.
    from hypothesis import configuration

    configuration.set_hypothesis_home_dir(tempfile.mkdtemp(prefix="hypothesis-"))
    # No verdict may depend on this machine's speed: no deadline, no health check for it.
    hypothesis.settings.register_profile(
        "grader", deadline=None, suppress_health_check=[hypothesis.HealthCheck.too_slow]
    )
    hypothesis.settings.load_profile("grader")
    config.stash[TALLY] = {kind: Tally() for kind in KINDS}


@pytest.hookimpl(tryfirst=True)  # before any fixture of the test is set up
def pytest_runtest_setup(item: pytest.Item) -> None:
    tally = item.config.stash[TALLY]
    needs = [(name, need) for name, need in NEEDS.items() if item.get_closest_marker(name)]
    for kind in {need.kind for _, need in needs}:
        tally[kind].selected += 1
    for _, need in needs:
        problem = need.problem()
        if problem is not None:
            tally[need.kind].skipped += 1
            tally[need.kind].reasons[problem] = None
            pytest.skip(problem)


@pytest.hookimpl(wrapper=True, tryfirst=True)  # outermost: after pytest's short summary
def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> Generator[None]:
    yield
    tally = config.stash[TALLY]
    skipped = [kind for kind in KINDS if tally[kind].skipped]
    write = terminalreporter.write_line
    terminalreporter.write_sep("=", "environment", yellow=bool(skipped), green=not skipped)
    if not any(tally[kind].selected for kind in KINDS):
        write("environment: no security, browser or PostgreSQL tests selected")
    elif not skipped:
        counts = ", ".join(f"{kind} ({tally[kind].selected})" for kind in KINDS)
        write(f"environment: all security, browser and PostgreSQL tests ran: {counts}")
    else:
        counts = ", ".join(
            f"{tally[kind].skipped} of {tally[kind].selected} {kind} tests skipped"
            for kind in KINDS
        )
        write(f"environment: {counts}: NOT a full run", yellow=True, bold=True)
        for kind in skipped:
            for reason in tally[kind].reasons:
                write(f"  {kind}: {reason}")
    if bwrap_problem.cache_info().currsize and bwrap_problem() is not None:
        write("  batch and web-service tests graded on the plain backend (allow_unconfined)")


@pytest.fixture(scope="session")
def untrusted() -> UntrustedGrading:
    """How batch-grading and web-service tests grade here (see environment_support)."""
    return untrusted_grading()
