"""The sandbox started before the settings are read: used only when it is what they choose."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from grader.runner.backend import PlainBackend
from grader.runner.bwrap import BwrapBackend, bwrap_works
from grader.runner.early import start_early
from grader.runner.limits import Limits

ROOT = Path(__file__).resolve().parents[1]
needs_bwrap = pytest.mark.skipif(bwrap_works() is not None, reason=f"bwrap: {bwrap_works()}")


@needs_bwrap
@pytest.mark.parametrize(
    ("backend", "limits", "taken"),
    [
        pytest.param(BwrapBackend(), Limits(), True, id="same-backend-and-size"),
        pytest.param(PlainBackend(), Limits(), False, id="settings-chose-plain"),
        pytest.param(BwrapBackend(), Limits(tmpfs_mb=8), False, id="another-tmpfs-size"),
    ],
)
def test_the_early_child_is_taken_only_when_it_matches(
    backend: BwrapBackend | PlainBackend, limits: Limits, taken: bool
) -> None:
    early = start_early()
    assert early is not None
    child = early.take(backend, limits)
    try:
        assert (child is early.child) is taken
        if not taken:  # closed at once: killed and reaped
            assert early.child.process.returncode is not None
    finally:
        early.child.close()


def test_no_early_child_without_bwrap(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no bwrap on it
    assert start_early() is None


# A submission's top-level code that reports the size of its tmpfs (it grades 0).
TMPFS_PROBE = textwrap.dedent(
    """
    import os
    st = os.statvfs("/tmp")
    print("TMPFS_MB", st.f_blocks * st.f_frsize >> 20)
    """
)


@needs_bwrap
@pytest.mark.parametrize(
    ("env", "expected_mb"),
    [
        pytest.param({}, Limits().tmpfs_mb, id="default"),  # the early child runs the job
        pytest.param({"GRADER_LIMITS__TMPFS_MB": "8"}, 8, id="set-by-environment"),
    ],
)
def test_check_runs_with_the_tmpfs_size_the_settings_give(
    env: dict[str, str], expected_mb: int, tmp_path: Path
) -> None:
    sub = tmp_path / "probe.py"
    sub.write_text(TMPFS_PROBE)
    clean = {k: v for k, v in os.environ.items() if not k.startswith("GRADER_")}
    proc = subprocess.run(
        [sys.executable, "-m", "grader", "check", str(sub), "--json"],
        capture_output=True, text=True, env={**clean, **env}, cwd=tmp_path, timeout=120,
    )  # fmt: skip
    report = json.loads(proc.stdout)
    assert report["sandbox"] == "bwrap"
    assert f"TMPFS_MB {expected_mb}\n" in report["output_excerpt"]
