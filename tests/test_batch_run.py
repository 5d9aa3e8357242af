"""Batch grading's core (grader.batch.run): error rows, resuming, interruption, outputs.

Everything runs through the real sandbox where it runs (else the plain backend, allowed
explicitly); the batch with an infinite loop in it uses a short part limit.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

import pytest
from batch_support import SECRET, TIMEOUT_VERDICT_S, make_flat
from environment_support import UntrustedGrading

from grader.assignment import load_assignment
from grader.batch.discover import discover
from grader.batch.executors import LocalExecutor
from grader.batch.feedback import feedback_markdown
from grader.batch.gradebook import gradebook_columns, write_canvas
from grader.batch.outputs import write_outputs
from grader.batch.run import BatchResult, Row, run_batch
from grader.cases import load_case_set
from grader.core import Grader
from grader.report import GradeReport
from grader.runner.backend import SandboxBackend
from grader.runner.limits import Limits
from grader.settings import Settings, get_settings

ASSIGNMENT = load_assignment()
HIDDEN = load_case_set(ASSIGNMENT, "hidden", SECRET)
CLASS = {"ann": "correct_loops", "ben": "mistake_sign_flip", "cal": "correct_vectorized"}


def hidden_grader(settings: Settings, backend: SandboxBackend) -> Grader:
    """What grader batch builds: the hidden cases, untrusted code, in ``backend``."""
    return Grader(settings, case_set=HIDDEN, assignment=ASSIGNMENT, untrusted=True, backend=backend)


@dataclass(frozen=True)
class Batch:
    """A batch run's choices: the grader and the sandbox the jobs run in."""

    grader: Grader
    backend: SandboxBackend

    def grade(
        self,
        folder: Path,
        out: Path,
        *,
        workers: int = 2,
        seen: list[Row] | None = None,
        stop_after: int | None = None,
    ) -> BatchResult:
        def on_result(row: Row) -> None:
            if seen is not None:
                seen.append(row)
            if stop_after is not None and sum(r.regraded for r in seen or []) >= stop_after:
                raise KeyboardInterrupt

        subs = discover(folder).submissions
        executor = LocalExecutor(workers)
        return run_batch(subs, out, self.grader, executor, on_result=on_result)


@pytest.fixture(scope="module")
def batch(untrusted: UntrustedGrading) -> Batch:
    settings = get_settings(secret=None, **untrusted.settings)
    backend = untrusted.backend()
    return Batch(hidden_grader(settings, backend), backend)


def test_bad_files_become_error_rows_and_failures_do_not_stop_the_run(
    tmp_path: Path, batch: Batch, untrusted: UntrustedGrading
) -> None:
    # lou's loop is a timeout verdict, so the limit is short: ann is a quick correct one.
    short = Limits(part_timeout_s=TIMEOUT_VERDICT_S)
    settings = get_settings(secret=None, limits=short, **untrusted.settings)
    with_loop = Batch(hidden_grader(settings, batch.backend), batch.backend)
    folder = make_flat(tmp_path / "in", {"ann": "correct_vectorized", "lou": "loop"})
    (folder / "latin.py").write_bytes(b"# caf\xe9\ndef dL_dd(y_pred, y_gt):\n    return 0\n")
    (folder / "broken.ipynb").write_text("{not json")
    (folder / "huge.py").write_text("#" * (settings.max_source_kb * 1024 + 10))
    result = with_loop.grade(folder, tmp_path / "out")
    rows = {r.student: r for r in result.rows}
    assert rows["ann"].report is not None and rows["ann"].report.full_marks
    assert rows["lou"].report is not None and rows["lou"].report.part("d").status == "timeout"
    assert rows["lou"].failure == "d: timeout"
    for bad, words in [("latin", "UTF-8"), ("broken", "notebook"), ("huge", "KiB")]:
        assert rows[bad].report is None and rows[bad].error_kind == "file"
        assert words.lower() in (rows[bad].error or "").lower(), rows[bad].error
    assert result.graded == 2


def test_rerun_grades_only_what_is_missing_or_changed(tmp_path: Path, batch: Batch) -> None:
    folder = make_flat(tmp_path / "in", CLASS)
    out = tmp_path / "out"
    first = batch.grade(folder, out)
    assert (first.graded, first.reused) == (3, 0)
    (out / "reports" / "ann.json").unlink()
    with (folder / "ben.py").open("a") as f:
        f.write("\n# resubmitted\n")
    seen: list[Row] = []
    second = batch.grade(folder, out, seen=seen)
    assert sorted(r.student for r in seen if r.regraded) == ["ann", "ben"]
    assert (second.graded, second.reused) == (2, 1)
    ben = GradeReport.model_validate_json((out / "reports" / "ben.json").read_text())
    assert ben.submission.sha256 != first.rows[1].report.submission.sha256  # type: ignore[union-attr]
    third = batch.grade(folder, out)
    assert (third.graded, third.reused) == (0, 3)


def test_another_secret_regrades_everything(tmp_path: Path, batch: Batch) -> None:
    folder = make_flat(tmp_path / "in", {"ann": "correct_loops"})
    out = tmp_path / "out"
    batch.grade(folder, out)
    other = Grader(
        batch.grader.settings,
        case_set=load_case_set(ASSIGNMENT, "hidden", "another secret"),
        assignment=ASSIGNMENT,
        untrusted=True,
        backend=batch.backend,
    )
    subs = discover(folder).submissions
    assert run_batch(subs, out, other, LocalExecutor(1)).graded == 1


def test_interrupted_run_keeps_valid_outputs_and_resumes(tmp_path: Path, batch: Batch) -> None:
    folder = make_flat(tmp_path / "in", {**CLASS, "dee": "mistake_uses_h_t"})
    out = tmp_path / "out"
    seen: list[Row] = []
    with pytest.raises(KeyboardInterrupt):
        batch.grade(folder, out, workers=1, seen=seen, stop_after=2)
    written = sorted((out / "reports").iterdir())
    assert len(written) == 2
    for path in written:
        GradeReport.model_validate_json(path.read_text())  # complete, valid JSON
    assert not list(out.rglob("*.tmp")), "a temporary file was left behind"
    assert set(json.loads((out / "state.json").read_text())) == {p.stem for p in written}
    resumed = batch.grade(folder, out)
    assert (resumed.graded, resumed.reused) == (2, 2)


def test_outputs_gradebook_feedback_and_summary(tmp_path: Path, batch: Batch) -> None:
    folder = make_flat(tmp_path / "in", CLASS)
    (folder / "zed.py").write_bytes(b"\xff\xfe")
    out = tmp_path / "out"
    result = batch.grade(folder, out)
    write_outputs(result, ASSIGNMENT, out, "zh")
    with (out / "gradebook.csv").open(newline="") as f:
        reader = csv.DictReader(f)
        assert reader.fieldnames == gradebook_columns(ASSIGNMENT)
        lines = {r["student"]: r for r in reader}
    assert reader.fieldnames[:7] == [
        "student", "file", "score", "bonus", "total", "max_score", "max_bonus"
    ]  # fmt: skip
    assert {"W_points", "W_status", "W_diagnosis"} <= set(reader.fieldnames)
    assert lines["ann"]["score"] == "10" and lines["ann"]["W_status"] == "passed"
    assert lines["ben"]["score"] == "0" and lines["ben"]["W_diagnosis"] == "sign_flip"
    assert lines["zed"]["score"] == "0" and "UTF-8" in lines["zed"]["error"]
    ben = (out / "feedback" / "ben.md").read_text()
    assert "得分：0 / 10" in ben and "错误" in ben and "sign_flip" in ben
    assert "无法评分" in (out / "feedback" / "zed.md").read_text()
    html = (out / "summary.html").read_text()
    assert "<svg" in html and "sign_flip" in html
    assert json.loads((out / "students.json").read_text())["ann"] == "ann"


def test_feedback_in_english_escapes_table_cells(tmp_path: Path, batch: Batch) -> None:
    folder = make_flat(tmp_path / "in", {"ann": "mistake_sign_flip"})
    (row,) = batch.grade(folder, tmp_path / "out").rows
    part = row.report.parts[0]  # type: ignore[union-attr]
    evil = part.model_copy(update={"messages": part.messages.model_copy(update={"en": "a|b\nc"})})
    report = row.report.model_copy(update={"parts": [evil]})  # type: ignore[union-attr]
    text = feedback_markdown(row.model_copy(update={"report": report}), "HW", "en")
    assert "| a\\|b c |" in text and "Score: 0 / 10" in text


def test_canvas_export_matches_by_user_id_login_and_name(tmp_path: Path, batch: Batch) -> None:
    folder = tmp_path / "in"
    make_flat(folder, {"x": "correct_loops"})
    (folder / "x.py").rename(folder / "annlee_101_9_hw.py")
    make_flat(folder, {"bobkim_102_9_hw": "mistake_sign_flip", "zoe_999_9_hw": "correct_loops"})
    roster = tmp_path / "roster.csv"
    roster.write_text(
        "Student,ID,SIS User ID,SIS Login ID,Section,Old HW (1)\n"
        "    Points Possible,,,,,10\n"
        '"Lee, Ann",101,s1,ann,Sec 1,5\n'
        '"Kim, Bob",102,s2,bob,Sec 1,5\n'
        '"Wu, Cy",103,s3,cy,Sec 2,5\n'
    )
    subs = discover(folder).submissions
    assert discover(folder).layout == "canvas"
    result = run_batch(subs, tmp_path / "out", batch.grader, LocalExecutor(2))
    ids = {s.student: s.canvas_user_id for s in subs if s.canvas_user_id}
    # The roster's one assignment column is the column written (Canvas updates it in place).
    export = write_canvas(result.rows, ids, roster, tmp_path / "out" / "canvas.csv")
    with (tmp_path / "out" / "canvas.csv").open(newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Old HW (1)"]
    scores = {r[0]: r[-1] for r in rows[1:]}
    assert scores == {"Lee, Ann": "12", "Kim, Bob": "0", "Wu, Cy": ""}  # totals: 10 + 2 bonus
    assert export.unmatched_students == ("zoe",)
    assert export.no_submission == ("Wu, Cy",)
