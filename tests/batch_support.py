"""Shared set-up of the batch-grading tests: example submissions copied under tmp_path."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SUBMISSIONS = REPO / "submissions"
SECRET = "batch-test-secret"
LOOP = "def dL_dd(y_pred, y_gt):\n    while True:\n        pass\n"
#: The part time limit of a batch with the "loop" student in it (a timeout verdict): short,
#: since the run waits it out. Its other students must be quick ones: correct_vectorized and
#: the mistakes take under 0.05 s a part on the hidden cases, 40 times under it. correct_loops
#: takes up to 0.4 s a part, so it is graded with the default limit (10 s) only.
TIMEOUT_VERDICT_S = 2.0


def make_flat(folder: Path, names: dict[str, str]) -> Path:
    """``names``: student → example submission stem (or "loop" for an infinite loop)."""
    folder.mkdir(parents=True, exist_ok=True)
    for student, stem in names.items():
        if stem == "loop":
            (folder / f"{student}.py").write_text(LOOP)
        else:
            shutil.copy(SUBMISSIONS / f"{stem}.py", folder / f"{student}.py")
    return folder


def clean_env(**extra: str) -> dict[str, str]:
    """This environment without GRADER_* variables, then ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRADER_")}
    env.update(extra)
    return env


def grader_cli(
    *args: str | Path, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "grader", *map(str, args)],
        cwd=cwd,
        env=env if env is not None else clean_env(GRADER_SECRET=SECRET),
        capture_output=True,
        text=True,
        timeout=180,
    )
