"""The student copy: built, installed into a fresh venv, checks a submission, holds no secrets."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_student_bundle_installs_and_checks_without_reference(tmp_path: Path) -> None:
    out = tmp_path / "bundle"
    subprocess.run(
        [sys.executable, "-m", "grader", "bundle", "--out", str(out)],
        check=True,
        capture_output=True,
    )
    files = [p for p in out.rglob("*") if p.is_file()]
    assert not (out / "reference").exists()
    assert not (out / "grader" / "web").exists() and not (out / "grader" / "batch").exists()
    reference_sources = [
        p.read_text(encoding="utf-8")
        for p in (ROOT / "reference").glob("*.py")
        if p.name not in {"__init__.py", "template.py"}
    ]
    for path in files:
        if path.suffix == ".py":
            text = path.read_text(encoding="utf-8")
            assert "import reference" not in text and "from reference" not in text, path
            assert "def backward(" not in text and "def dL_dh_t(" not in text, path
            assert text not in reference_sources, path
    bundled = tomllib.loads((out / "bptt_public" / "assignment.toml").read_text(encoding="utf-8"))
    assert "provider" not in bundled

    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True, system_site_packages=False)
    py = env_dir / "bin" / "python"
    subprocess.run(
        [str(py), "-m", "pip", "install", "-q", str(out)],
        check=True,
        capture_output=True,
        timeout=600,
    )
    probe = subprocess.run([str(py), "-c", "import reference"], capture_output=True, cwd=tmp_path)
    assert probe.returncode != 0, "the reference package must not be installed by the bundle"
    proc = subprocess.run(
        [
            str(env_dir / "bin" / "grader"),
            "check",
            str(ROOT / "submissions" / "mistake_uses_h_t.py"),
            "--json",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert proc.returncode == 1, proc.stderr
    report = json.loads(proc.stdout)
    assert report["case_set"] == "public"
    assert {p["name"]: p["diagnosis"] for p in report["parts"]}["W"] == "uses_h_t"
    hidden = subprocess.run(
        [
            str(py),
            "-c",
            "from grader.cases import load_case_set; from grader.assignment import load_assignment;"
            "load_case_set(load_assignment(), 'hidden', 'secret')",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert hidden.returncode != 0 and "provider" in hidden.stderr
