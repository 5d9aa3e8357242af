"""The launcher starts every child: ``grader check``'s prestarted child runs with the limits the
settings give, from the environment as from their defaults."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from grader.runner.limits import Limits

# A submission's top-level code that reports the size of its tmpfs (it grades 0).
TMPFS_PROBE = textwrap.dedent(
    """
    import os
    st = os.statvfs("/tmp")
    print("TMPFS_MB", st.f_blocks * st.f_frsize >> 20)
    """
)


@pytest.mark.bwrap
@pytest.mark.parametrize(
    ("env", "expected_mb"),
    [
        pytest.param({}, Limits().tmpfs_mb, id="default"),  # the prestarted child runs the job
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
