"""Shared set-up of the Gradescope tests: the autograder zip, and a fake /autograder tree."""

from __future__ import annotations

import subprocess
import zipfile
from pathlib import Path

from batch_support import SECRET, clean_env, grader_cli


def build_zip(folder: Path) -> Path:
    """``grader gradescope build`` for real, with the tests' secret; the zip's path."""
    (folder / "secret.txt").write_text(SECRET)
    proc = grader_cli(
        "gradescope", "build", "--out", folder / "autograder.zip", "--secret-file",
        folder / "secret.txt", cwd=folder, env=clean_env(),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    return folder / "autograder.zip"


def fake_root(tmp_path: Path, autograder_zip: Path) -> Path:
    """A fake /autograder with the zip extracted into ``source`` and an empty ``submission``."""
    root = tmp_path / "autograder"
    with zipfile.ZipFile(autograder_zip) as zf:
        zf.extractall(root / "source")
    (root / "submission").mkdir()
    return root


def run_autograder(root: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The zip's ``run_autograder``, as Gradescope runs it, on ``root``; it must exit 0."""
    proc = subprocess.run(
        ["bash", "run_autograder"], cwd=root / "source", env=env, capture_output=True,
        text=True, timeout=180,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc
