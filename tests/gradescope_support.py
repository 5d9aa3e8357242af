"""Shared set-up of the Gradescope tests: the autograder zip, and a fake container.

The container is a fake ``/autograder`` tree under tmp_path with the zip's ``source``, a
``submission`` and a ``venv`` made from the system's Python (which every user can read, as in
Gradescope's image). The venv sees the zip's packages (the grader and the data-only assignment
package, as ``setup.sh`` installs them) and this project's third-party dependencies, but not
this project itself: its reference solution is not in the container. ``run_autograder`` runs
as root, as Gradescope runs it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest
from batch_support import SECRET, clean_env, grader_cli

SYSTEM_PYTHON = Path(f"/usr/bin/python{sys.version_info.major}.{sys.version_info.minor}")

#: The marks of a test that grades in the fake container.
IN_CONTAINER = [
    pytest.mark.skipif(os.geteuid() != 0, reason="Gradescope runs the autograder as root"),
    pytest.mark.skipif(
        not SYSTEM_PYTHON.is_file(),
        reason=f"the fake container's Python is the system's {SYSTEM_PYTHON}: install it "
        f"(apt-get install python{sys.version_info.major}.{sys.version_info.minor})",
    ),
]


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


def container(tmp_path: Path, autograder_zip: Path) -> Path:
    """:func:`fake_root` with Gradescope's metadata and a venv on the system's Python that sees
    the zip's packages and the third-party ones they need."""
    root = fake_root(tmp_path, autograder_zip)
    (root / "submission_metadata.json").write_text('{"users": [{"email": "a@b.c"}]}')
    subprocess.run(
        [str(SYSTEM_PYTHON), "-m", "venv", "--without-pip", str(root / "venv")], check=True
    )
    site = Path(sysconfig.get_paths(vars={"base": str(root / "venv")})["purelib"])
    # A plain path: the .pth files there (this project's editable install) are not run.
    third_party = sysconfig.get_paths()["purelib"]
    (site / "packages.pth").write_text(f"{root / 'source' / 'bptt_grader'}\n{third_party}\n")
    return root


def grade_in(root: Path, sandbox: str = "auto") -> subprocess.CompletedProcess[str]:
    """``run_autograder`` in the container made by :func:`container`, on its venv's Python."""
    # setup.sh would register the data package's entry point; here its path is given.
    assignment = root / "source" / "bptt_grader" / "bptt_public"
    env = clean_env(
        AUTOGRADER_ROOT=str(root), GRADER_SANDBOX=sandbox, GRADER_ASSIGNMENT=str(assignment)
    )
    env.pop("PYTHON", None)
    return run_autograder(root, env)
