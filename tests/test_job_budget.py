"""A job's time and memory are its own: a verdict never depends on what else runs.

Time limits count the CPU time of all the job's processes (with a wall-clock backstop for a job
that sleeps), and the job's processes together are held to its memory limit. Graded through the
real sandboxes; the jobs beside each other share one backend object, as in the server.
"""

from __future__ import annotations

import os
import secrets
import textwrap
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from grader.core import grade
from grader.report import GradeReport
from grader.runner.backend import PlainBackend, SandboxBackend
from grader.runner.limits import Limits
from grader.settings import get_settings

ROOT = Path(__file__).resolve().parents[1]
CORRECT_LOOPS = ROOT / "submissions" / "correct_loops.py"
CORRECT = (ROOT / "submissions" / "correct_vectorized.py").read_text(encoding="utf-8")

BACKENDS = [
    pytest.param("plain", id="plain"),
    pytest.param("bwrap", id="bwrap", marks=pytest.mark.bwrap),
    pytest.param("pool", id="pool", marks=pytest.mark.pool),
]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> Iterator[SandboxBackend]:
    """One backend object of the kind, shared by the jobs of a test."""
    if request.param == "plain":
        yield PlainBackend()
    elif request.param == "bwrap":
        from grader.runner.bwrap import BwrapBackend

        yield BwrapBackend()
    else:
        from grader.runner.zygote import PoolBackend

        pool = PoolBackend()
        yield pool
        pool.close()


def run(path: Path, backend: SandboxBackend, limits: Limits) -> GradeReport:
    report = grade(path, settings=get_settings(limits=limits), backend=backend)
    assert report.sandbox == backend.name
    return report


def named(name: bytes) -> list[int]:
    """The processes on the host named ``name`` (their ``comm``, which PR_SET_NAME sets)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as f:
                    if f.read().split(b" ", 2)[1] == b"(" + name + b")":
                        found.append(int(entry))
            except (OSError, IndexError):
                continue
    return found


def with_part_d(tmp_path: Path, name: str, body: str) -> Path:
    """The correct submission with ``dL_dd`` (part d) replaced by ``body``."""
    path = tmp_path / name
    override = "\n\ndef dL_dd(y_pred, y_gt):\n" + textwrap.indent(textwrap.dedent(body), "    ")
    path.write_text(CORRECT + override, encoding="utf-8")
    return path


# -- a neighbour's processes ----------------------------------------------------------------------

#: 31 forked busy loops and the child itself (the process limit allows 32), in top-level code,
#: for SPIN_S seconds by the clock; named, so that the test can count them.
SPINNER = """
import ctypes, os, time
ctypes.CDLL(None).prctl(15, {name!r}, 0, 0, 0)  # PR_SET_NAME
end = time.monotonic() + {seconds}
forked = []
for _ in range(31):
    pid = os.fork()
    if pid == 0:
        while time.monotonic() < end:
            pass
        os._exit(0)
    forked.append(pid)
while time.monotonic() < end:
    pass
for pid in forked:
    os.waitpid(pid, 0)
"""
SPIN_S = 8.0
#: The spinner's own budget never ends it: it stops itself.
SPINNER_LIMITS = Limits(load_timeout_s=1000, processes=32)
#: correct_loops.py needs at most 0.06 s of CPU time a part here: an 8-fold margin, and a
#: backstop of 10 s by the clock, which 32 busy neighbours stretch a part's time towards.
NEIGHBOUR_LIMITS = Limits(part_timeout_s=0.5, wall_factor=20, processes=32)


def test_a_neighbour_with_31_busy_processes_changes_no_verdict(
    tmp_path: Path, backend: SandboxBackend
) -> None:
    name = f"spin{secrets.token_hex(5)}".encode()
    spinner = tmp_path / "spinner.py"
    spinner.write_text(SPINNER.format(name=name, seconds=SPIN_S), encoding="utf-8")
    with ThreadPoolExecutor(1) as beside:
        spinning = beside.submit(run, spinner, backend, SPINNER_LIMITS)
        deadline = time.monotonic() + 30.0
        while len(named(name)) < 32 and time.monotonic() < deadline and not spinning.done():
            time.sleep(0.05)
        assert len(named(name)) == 32, "the spinner did not start its 32 processes"
        report = run(CORRECT_LOOPS, backend, NEIGHBOUR_LIMITS)
        still_spinning = len(named(name))
        spun = spinning.result()
    assert {p.name: p.status for p in report.parts} == dict.fromkeys(
        (p.name for p in report.parts), "passed"
    )
    assert still_spinning == 32, "the spinner ended before the correct job: no test"
    assert {p.status for p in spun.parts} == {"missing"}  # it ran to its end, unstopped


# -- time ------------------------------------------------------------------------------------------


def test_a_sleeping_part_times_out_at_the_wall_clock_backstop(
    tmp_path: Path, backend: SandboxBackend
) -> None:
    path = with_part_d(tmp_path, "sleeper.py", "import time\ntime.sleep(600)\n")
    limits = Limits(part_timeout_s=1.0)
    report = run(path, backend, limits)
    assert report.part("d").status == "timeout"
    assert report.part("V").status == "passed"  # the parts after it run in a fresh child
    backstop = limits.wall_factor * limits.part_timeout_s
    assert backstop <= report.duration_s < backstop + 10.0


BUSY = {
    # one process spinning: its CPU time grows no faster than the wall clock
    "one-process": "while True:\n    pass\n",
    # four processes spinning share the part's budget: it runs out sooner on a machine with
    # more than one core, and never later than the wall-clock backstop
    "four-processes": "import os\nfor _ in range(3):\n    if os.fork() == 0:\n        break\n"
    "while True:\n    pass\n",
}


@pytest.mark.parametrize("busy", sorted(BUSY))
def test_a_busy_part_times_out_after_its_cpu_limit(
    tmp_path: Path, backend: SandboxBackend, busy: str
) -> None:
    path = with_part_d(tmp_path, "busy.py", BUSY[busy])
    limits = Limits(part_timeout_s=2.0, wall_factor=10, processes=32)
    report = run(path, backend, limits)
    assert report.part("d").status == "timeout"
    assert report.part("V").status == "passed"
    # the CPU limit ended it, not the backstop (20 s: a busy host does not make it flaky)
    assert report.duration_s < limits.wall_factor * limits.part_timeout_s
    if busy == "one-process":  # one process uses at most one second of CPU a second
        assert report.duration_s >= limits.part_timeout_s


# -- memory -------------------------------------------------------------------------------------

#: Eight processes (the child and seven forks) that each hold 300 MB: 2.4 GB in all.
HOGS = """
import ctypes, os, time
import numpy as np
ctypes.CDLL(None).prctl(15, {name!r}, 0, 0, 0)  # PR_SET_NAME: the test finds them by it
for _ in range(7):
    if os.fork() == 0:
        break
kept = np.ones(300_000_000 // 8)
time.sleep(600)
"""
MEMORY_LIMITS = Limits(memory_mb=1024, processes=16, part_timeout_s=10.0)
#: What the job may allocate on top of its limit between two of the grader's looks (at most
#: 0.1 s apart, 0.02 s near the limit) and before its processes are killed.
OVERSHOOT_MB = 200


class MemoryWatch(threading.Thread):
    """Samples the memory of the processes named ``name`` until stopped: the sum of their
    proportional sets (each page shared between them counted once in all)."""

    def __init__(self, name: bytes) -> None:
        super().__init__(daemon=True)
        self.comm = name
        self.peak = 0
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            total = 0
            for pid in named(self.comm):
                try:
                    with open(f"/proc/{pid}/smaps_rollup", "rb") as f:
                        rollup = f.read().split(b"\n")
                except OSError:
                    continue
                pss = next((line for line in rollup if line.startswith(b"Pss:")), b"Pss: 0")
                total += int(pss.split()[1]) << 10
            self.peak = max(self.peak, total)
            time.sleep(0.01)


def test_a_jobs_processes_share_its_memory_limit(tmp_path: Path, backend: SandboxBackend) -> None:
    name = f"hog{secrets.token_hex(5)}".encode()
    path = with_part_d(tmp_path, "hogs.py", HOGS.format(name=name))
    watch = MemoryWatch(name)
    watch.start()
    try:
        report = run(path, backend, MEMORY_LIMITS)
    finally:
        watch.stop.set()
        watch.join()
    d = report.part("d")
    assert d.status == "error"
    assert "used more than 1024 MiB of memory across its processes" in d.message
    assert report.part("V").status == "passed"
    assert watch.peak > 512 << 20, "the test saw none of the job's memory"
    assert watch.peak <= (1024 + OVERSHOOT_MB) << 20
