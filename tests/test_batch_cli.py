"""``grader batch`` run for real in a subprocess: exit statuses, the sandbox refusal, output."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from batch_support import SECRET, TIMEOUT_VERDICT_S, clean_env, grader_cli, make_flat
from environment_support import UntrustedGrading


def test_batch_grades_a_folder_and_reports_failures(
    tmp_path: Path, untrusted: UntrustedGrading
) -> None:
    folder = make_flat(tmp_path / "in", {"ann": "correct_vectorized", "lou": "loop"})
    (folder / "ann2.py").write_text("x = (")
    env = clean_env(
        GRADER_SECRET=SECRET,
        GRADER_LIMITS__PART_TIMEOUT_S=str(TIMEOUT_VERDICT_S),
        **untrusted.env,
    )
    out = tmp_path / "out"
    proc = grader_cli("batch", folder, "--out", out, "--workers", "2", cwd=tmp_path, env=env)
    assert proc.returncode == 0, proc.stderr
    assert "3 students found" in proc.stdout and "(flat layout)" in proc.stdout
    assert "graded 3, reused 0, 2 errored or timed out" in proc.stdout
    assert "✗ lou: d: timeout" in proc.stderr and "✗ ann2:" in proc.stderr
    assert "3/3" in proc.stderr  # the progress bar's done/total
    with (tmp_path / "out" / "gradebook.csv").open(newline="") as f:
        assert [r["score"] for r in csv.DictReader(f)] == ["10", "0", "0"]
    again = grader_cli("batch", folder, "--out", out, cwd=tmp_path, env=env)
    assert "graded 0, reused 3" in again.stdout


def test_secret_file_option(tmp_path: Path, untrusted: UntrustedGrading) -> None:
    folder = make_flat(tmp_path / "in", {"ann": "correct_loops"})
    (tmp_path / "secret.txt").write_text(SECRET + "\n")
    proc = grader_cli(
        "batch", folder, "--out", tmp_path / "out", "--secret-file", tmp_path / "secret.txt",
        cwd=tmp_path, env=clean_env(**untrusted.env),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "graded 1" in proc.stdout


@pytest.mark.parametrize(
    ("args", "env", "words"),
    [
        pytest.param([], clean_env(), "secret", id="no-secret"),  # neither env nor file
        pytest.param(
            [], clean_env(GRADER_SECRET=SECRET, GRADER_SANDBOX="plain"), "--allow-unconfined",
            id="plain-refused",
        ),  # no bwrap: refused without the flag
        pytest.param(
            ["--format", "canvas"], clean_env(GRADER_SECRET=SECRET), "--canvas-roster",
            id="canvas-needs-roster",
        ),  # the roster is required
        pytest.param(
            ["--executor", "dask"], clean_env(GRADER_SECRET=SECRET), "--scheduler",
            id="dask-needs-scheduler",
        ),  # the scheduler is required
    ],
)  # fmt: skip
def test_usage_errors_exit_2(
    args: list[str], env: dict[str, str], words: str, tmp_path: Path
) -> None:
    folder = make_flat(tmp_path / "in", {"ann": "correct_loops"})
    proc = grader_cli("batch", folder, "--out", tmp_path / "out", *args, cwd=tmp_path, env=env)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert words in proc.stderr
    assert not (tmp_path / "out" / "reports").exists(), "nothing graded before refusing"


def test_plain_backend_accepted_with_allow_unconfined(tmp_path: Path) -> None:
    folder = make_flat(tmp_path / "in", {"ann": "correct_loops"})
    env = clean_env(GRADER_SECRET=SECRET, GRADER_SANDBOX="plain")
    proc = grader_cli(
        "batch", folder, "--out", tmp_path / "out", "--allow-unconfined", cwd=tmp_path, env=env
    )
    assert proc.returncode == 0, proc.stderr
    assert '"sandbox": "plain"' in (tmp_path / "out" / "reports" / "ann.json").read_text()


def test_canvas_format_writes_canvas_csv(tmp_path: Path, untrusted: UntrustedGrading) -> None:
    folder = tmp_path / "in"
    make_flat(folder, {"annlee_101_9_hw": "correct_loops", "zoe_999_9_hw": "correct_loops"})
    roster = tmp_path / "roster.csv"
    roster.write_text(
        'Student,ID,SIS User ID,SIS Login ID,Section,HW3 BPTT (98765)\n"Lee, Ann",101,s1,ann,A,\n'
    )
    env = clean_env(GRADER_SECRET=SECRET, **untrusted.env)
    proc = grader_cli(
        "batch", folder, "--out", tmp_path / "out", "--format", "canvas",
        "--canvas-roster", roster, cwd=tmp_path, env=env,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "not in the Canvas roster: zoe" in proc.stdout
    rows = list(csv.reader((tmp_path / "out" / "canvas.csv").read_text().splitlines()))
    assert rows == [
        ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "HW3 BPTT (98765)"],
        ["Lee, Ann", "101", "s1", "ann", "A", "12"],  # the total: 10 + 2 bonus
    ]
