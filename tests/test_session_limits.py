"""A part that runs into a resource limit or leaves something behind costs only itself: the
parts after it run in a fresh child. Graded through the real sandboxes.

Each submission is the correct example with ``dL_dd`` (part d) replaced: it does the damage,
returns the right answer and records in a module global that it ran. ``dL_dV`` (the part
after d) returns a wrong answer when it sees that record, that is when it runs in the same
child as d. So part V passes exactly when a fresh child ran it.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from grader.core import grade
from grader.runner.limits import Limits
from grader.settings import get_settings

ROOT = Path(__file__).resolve().parents[1]
CORRECT = (ROOT / "submissions" / "correct_vectorized.py").read_text(encoding="utf-8")

CANARY = textwrap.dedent(
    """
    import numpy as _np

    RAN_D = []
    _correct_dV = dL_dV

    def dL_dV(h, y_pred, y_gt, l):
        if RAN_D:  # same child as part d
            return _np.zeros(h.shape[1])
        return _correct_dV(h=h, y_pred=y_pred, y_gt=y_gt, l=l)

    def dL_dd(y_pred, y_gt):
        if not RAN_D:
            damage()
        RAN_D.append(1)
        return y_pred - y_gt
    """
)

DAMAGE = {
    # threads still running when the part returns
    "threads": """
        import threading, time
        def damage():
            for _ in range(8):
                threading.Thread(target=time.sleep, args=(600,), daemon=True).start()
    """,
    # as many threads as the limits allow: the next part could start none (nor could BLAS)
    "thread-bomb": """
        import threading, time
        def damage():
            try:
                while True:
                    threading.Thread(target=time.sleep, args=(600,), daemon=True).start()
            except RuntimeError:
                pass
    """,
    # a forked process still running
    "process": """
        import os, time
        def damage():
            if os.fork() == 0:
                time.sleep(600)
                os._exit(0)
    """,
    # a daemon: forked twice, its parent gone, so it is nobody's child here
    "daemon": """
        import os, time
        def damage():
            if os.fork() == 0:
                if os.fork() == 0:
                    os.setsid()
                    time.sleep(600)
                os._exit(0)
            os.wait()
    """,
    # most of the address space kept in a global
    "memory": """
        import numpy as np
        KEPT = []
        def damage():
            KEPT.append(np.ones(80_000_000))
    """,
    # descriptors left open
    "descriptors": """
        import tempfile
        KEPT = []
        def damage():
            KEPT.extend(tempfile.TemporaryFile() for _ in range(8))
    """,
    # more than the part's share of the CPU-time limit (1 s with the limits below)
    "cpu": """
        import time
        def damage():
            end = time.process_time() + 1.5
            while time.process_time() < end:
                pass
    """,
    # a resource limit hit and the error caught: the part reports the exhaustion
    "memory-error": """
        import numpy as np
        def damage():
            try:
                np.ones(1 << 40)
            except MemoryError:
                pass
            raise MemoryError("the student re-raised it")
    """,
}

# d's own verdict: "passed" unless its function raised.
D_STATUS = {"memory-error": "error"}

BACKENDS = [
    pytest.param("plain", id="plain"),
    pytest.param("bwrap", id="bwrap", marks=pytest.mark.bwrap),
    pytest.param("pool", id="pool", marks=pytest.mark.pool),
]

LIMITS = Limits(cpu_s=1, part_timeout_s=30, load_timeout_s=30)


HARMLESS = """
    def damage():
        pass
"""


def statuses(tmp_path: Path, damage: str, sandbox: str) -> dict[str, str]:
    """Each part's status for the correct submission with ``damage`` done in part d."""
    path = tmp_path / "hw.py"
    path.write_text(CORRECT + textwrap.dedent(damage) + CANARY, encoding="utf-8")
    report = grade(path, settings=get_settings(sandbox=sandbox, limits=LIMITS))
    assert report.sandbox == {"pool": "bwrap-pool"}.get(sandbox, sandbox)
    return {p.name: p.status for p in report.parts}


PLAIN_CANNOT_SEE = pytest.mark.xfail(
    reason="the plain backend sees no process that left its session (not a security boundary)",
    strict=True,
)


@pytest.mark.parametrize(
    ("damage", "sandbox"),
    [
        pytest.param(
            damage,
            backend.values[0],
            id=f"{damage}-{backend.id}",
            marks=[
                *backend.marks,
                *([PLAIN_CANNOT_SEE] if (damage, backend.id) == ("daemon", "plain") else []),
            ],
        )
        for damage in sorted(DAMAGE)
        for backend in BACKENDS
    ],
)
def test_the_part_after_a_damaging_part_runs_in_a_fresh_child(
    tmp_path: Path, damage: str, sandbox: str
) -> None:
    got = statuses(tmp_path, DAMAGE[damage], sandbox)
    expected = dict.fromkeys(got, "passed") | {"d": D_STATUS.get(damage, "passed")}
    assert got == expected


@pytest.mark.parametrize("sandbox", BACKENDS)
def test_a_harmless_part_shares_its_child_with_the_next(tmp_path: Path, sandbox: str) -> None:
    # The control: without damage, V runs in d's child and the canary fails it.
    got = statuses(tmp_path, HARMLESS, sandbox)
    assert got["d"] == "passed" and got["V"] == "failed"
