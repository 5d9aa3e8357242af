"""Bonus parts count: their points come from the assignment file, and every output shows the
same three figures: the required parts' score out of max_score, the bonus out of max_bonus, and
their sum, the total.

The outputs are the real ones: ``grader check`` (JSON and terminal) and a real ``grader batch``
run (gradebook.csv, canvas.csv, feedback, reports); the summary, Gradescope's results.json and
the web gradebook are built by their writers from that run's reports.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from batch_support import SECRET, SUBMISSIONS, clean_env, grader_cli, make_flat
from environment_support import UntrustedGrading
from pydantic import ValidationError

from grader.assignment import DEFAULT_BONUS_POINTS, load_assignment
from grader.batch.gradescope import results_json
from grader.batch.run import BatchResult, Row
from grader.batch.summary import render_summary, summarize
from grader.errors import AssignmentError
from grader.report import GradeReport
from grader.web.gradebook import gradebook_csv
from grader.web.store import SubmissionRecord

REPO = Path(__file__).resolve().parent.parent
ASSIGNMENT = load_assignment(REPO / "reference" / "assignment.toml")
MAX, MAX_BONUS = ASSIGNMENT.max_score, ASSIGNMENT.max_bonus
POINTS = {p.name: p.points for p in ASSIGNMENT.parts}
BONUS = [p.name for p in ASSIGNMENT.parts if p.bonus]

#: Appended to correct_vectorized.py: a wrong ∂L/∂U (the right shape), ∂L/∂b still right.
WRONG_U = "\n\ndef dL_dU(W, U):\n    return U * 0.0 + 1.0\n"

#: student → (how the file is made, score, bonus, exit status of grader check)
STUDENTS: dict[str, tuple[str, float, float, int]] = {
    # every part right: full marks and the whole bonus
    "ann": ("correct_vectorized", MAX, MAX_BONUS, 0),
    # required parts right, no bonus functions: full marks, no bonus, still exit 0
    "ben": ("correct_partial", MAX, 0.0, 0),
    # required parts right, ∂L/∂U wrong: the bonus of b only, still exit 0
    "cy": ("wrong_U", MAX, POINTS["b"], 0),
    # ∂L/∂W wrong (h_t for h_{t-1}), both bonus parts right: less than full marks, exit 1
    "dee": ("mistake_uses_h_t", MAX - POINTS["W"], MAX_BONUS, 1),
}
IDS = list(STUDENTS)


def write_submission(folder: Path, student: str) -> Path:
    stem = STUDENTS[student][0]
    if stem == "wrong_U":
        path = folder / f"{student}.py"
        path.write_text((SUBMISSIONS / "correct_vectorized.py").read_text() + WRONG_U)
        return path
    make_flat(folder, {student: stem})
    return folder / f"{student}.py"


def expected(student: str) -> dict[str, float]:
    _, score, bonus, _ = STUDENTS[student]
    return {
        "score": score,
        "max_score": MAX,
        "bonus_score": bonus,
        "max_bonus": MAX_BONUS,
        "total": score + bonus,
    }


def test_the_homework_bonus_parts_are_worth_points() -> None:
    assert BONUS == ["U", "b"]
    assert all(POINTS[name] > 0 for name in BONUS)
    assert sum(POINTS[name] for name in BONUS) == MAX_BONUS
    assert MAX == sum(p.points for p in ASSIGNMENT.parts if not p.bonus) == 10


# -- the assignment file ------------------------------------------------------------------------

HEAD = """
name = "t"
title = "T"
inputs = ["x"]
[cases]
public_seed = 1
public_count = 1
hidden_count = 1
[[parts]]
name = "A"
label = "A"
function = "f"
points = 2
"""

POINTS_TABLE = [
    # a bonus part without points is worth the default
    pytest.param('name = "B"\nlabel = "B"\nfunction = "g"\nbonus = true\n', 1.0, None,
                 id="bonus-default"),
    # a bonus part's own points
    pytest.param('name = "B"\nlabel = "B"\nfunction = "g"\nbonus = true\npoints = 2.5\n', 2.5,
                 None, id="bonus-set"),
    # a bonus part worth nothing is allowed (it is reported, it adds nothing)
    pytest.param('name = "B"\nlabel = "B"\nfunction = "g"\nbonus = true\npoints = 0\n', 0.0,
                 None, id="bonus-zero"),
    # negative points: refused, naming the part
    pytest.param('name = "B"\nlabel = "B"\nfunction = "g"\nbonus = true\npoints = -1\n', None,
                 "part 'B' has points = -1: points cannot be negative", id="bonus-negative"),
    pytest.param('name = "B"\nlabel = "B"\nfunction = "g"\npoints = -0.5\n', None,
                 "part 'B' has points = -0.5: points cannot be negative", id="required-negative"),
    # a required part must say what it is worth
    pytest.param('name = "B"\nlabel = "B"\nfunction = "g"\n', None,
                 "part 'B' has no points", id="required-without-points"),
    # not a number of points
    pytest.param('name = "B"\nlabel = "B"\nfunction = "g"\nbonus = true\npoints = inf\n', None,
                 "finite number", id="bonus-infinite"),
]  # fmt: skip


@pytest.mark.parametrize(("part", "points", "error"), POINTS_TABLE)
def test_bonus_points_from_the_assignment_file(
    part: str, points: float | None, error: str | None, tmp_path: Path
) -> None:
    path = tmp_path / "assignment.toml"
    path.write_text(HEAD + "[[parts]]\n" + part, encoding="utf-8")
    if error is not None:
        with pytest.raises(AssignmentError, match=error) as caught:
            load_assignment(path)
        assert str(path) in str(caught.value)
        return
    loaded = load_assignment(path)
    assert loaded.parts_by_name["B"].points == points
    assert (loaded.max_score, loaded.max_bonus) == (2.0, points)


def test_default_bonus_points_is_one() -> None:
    assert DEFAULT_BONUS_POINTS == 1.0


# -- the report model ---------------------------------------------------------------------------


def test_total_must_be_the_sum(graded: Callable[[str], tuple[int, dict[str, Any]]]) -> None:
    _, report = graded("dee")
    GradeReport.model_validate(report)
    with pytest.raises(ValidationError, match="is not score"):
        GradeReport.model_validate({**report, "total": report["score"]})


def test_a_report_from_before_the_total_still_reads(
    graded: Callable[[str], tuple[int, dict[str, Any]]],
) -> None:
    _, report = graded("dee")
    older = {k: v for k, v in report.items() if k not in ("total", "max_bonus")}
    read = GradeReport.model_validate(older)
    assert read.total == report["total"] and read.max_bonus == 0.0


def test_the_schema_documents_every_score_field() -> None:
    schema = GradeReport.model_json_schema()
    assert {"score", "max_score", "total"} <= set(schema["required"])
    for name in ("score", "max_score", "bonus_score", "max_bonus", "total"):
        assert schema["properties"][name]["description"], name


# -- grader check -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def graded(
    tmp_path_factory: pytest.TempPathFactory,
) -> Callable[[str], tuple[int, dict[str, Any]]]:
    """``grader check FILE --json`` of a student's file: exit status and report, once each."""
    root = tmp_path_factory.mktemp("check")
    cache: dict[str, tuple[int, dict[str, Any]]] = {}

    def check(student: str) -> tuple[int, dict[str, Any]]:
        if student not in cache:
            path = write_submission(root, student)
            proc = grader_cli("check", path, "--json", cwd=root, env=clean_env())
            assert proc.returncode in (0, 1), proc.stderr
            cache[student] = proc.returncode, json.loads(proc.stdout)
        return cache[student]

    return check


@pytest.mark.parametrize("student", IDS)
def test_check_json_counts_the_bonus_apart_and_in_the_total(
    student: str, graded: Callable[[str], tuple[int, dict[str, Any]]]
) -> None:
    code, report = graded(student)
    assert code == STUDENTS[student][3], "exit status: the required parts only"
    assert {k: report[k] for k in expected(student)} == expected(student)
    parts = {p["name"]: p for p in report["parts"]}
    for name in BONUS:
        assert parts[name]["bonus"] and parts[name]["max_score"] == POINTS[name]
        assert parts[name]["score"] == (POINTS[name] if parts[name]["status"] == "passed" else 0)


BONUS_ONLY = [
    pytest.param("ann", 0, id="right"),  # --part U alone: its status is the exit status
    pytest.param("ben", 1, id="missing"),  # no dL_dU: nothing passed
]


@pytest.mark.parametrize(("student", "code"), BONUS_ONLY)
def test_check_of_a_bonus_part_alone_exits_by_that_part(
    student: str, code: int, tmp_path: Path
) -> None:
    path = write_submission(tmp_path, student)
    proc = grader_cli("check", path, "--json", "--part", "U", cwd=tmp_path, env=clean_env())
    assert proc.returncode == code, proc.stderr
    report = json.loads(proc.stdout)
    assert (report["max_score"], report["max_bonus"]) == (0, POINTS["U"])
    assert report["total"] == report["bonus_score"] == (POINTS["U"] if code == 0 else 0)


TERMINAL = [
    # bonus right
    pytest.param("ann", "en", f"Score: {MAX:g}/{MAX:g} · Bonus: {MAX_BONUS:g}/{MAX_BONUS:g} · "
                 f"Total: {MAX + MAX_BONUS:g}", id="ann-en"),
    # required wrong, bonus right
    pytest.param("dee", "en", f"Score: {MAX - POINTS['W']:g}/{MAX:g} · Bonus: "
                 f"{MAX_BONUS:g}/{MAX_BONUS:g} · Total: {MAX - POINTS['W'] + MAX_BONUS:g}",
                 id="dee-en"),
    # no bonus, in Chinese
    pytest.param("ben", "zh", f"得分: {MAX:g}/{MAX:g} · 附加: 0/{MAX_BONUS:g} · 总分: {MAX:g}",
                 id="ben-zh"),
]  # fmt: skip


@pytest.mark.parametrize(("student", "lang", "line"), TERMINAL)
def test_check_terminal_shows_score_bonus_and_total(
    student: str, lang: str, line: str, tmp_path: Path
) -> None:
    path = write_submission(tmp_path, student)
    env = clean_env(PYTHONIOENCODING="utf-8", COLUMNS="200")
    proc = grader_cli("check", path, "--lang", lang, cwd=tmp_path, env=env)
    assert proc.returncode == STUDENTS[student][3], proc.stderr
    assert line in proc.stdout.splitlines()


# -- grader batch: gradebook.csv, canvas.csv, feedback, and the writers on its reports ----------

COLUMN = "HW3 BPTT (98765)"


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory, untrusted: UntrustedGrading) -> Path:
    """``grader batch`` of the four students with a Canvas roster; its output folder."""
    root = tmp_path_factory.mktemp("batch")
    folder = root / "in"
    folder.mkdir()
    for student in STUDENTS:
        write_submission(folder, student)
    roster = root / "roster.csv"
    lines = ["Student,ID,SIS User ID,SIS Login ID,Section," + f'"{COLUMN}"', ",,,,,10"]
    lines += [f"{s.title()},{100 + i},s{i},{s},A," for i, s in enumerate(STUDENTS)]
    roster.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = root / "out"
    proc = grader_cli(
        "batch", folder, "--out", out, "--allow-unconfined", "--format", "canvas",
        "--canvas-roster", roster, cwd=root, env=clean_env(GRADER_SECRET=SECRET, **untrusted.env),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    return out


def batch_reports(out: Path) -> dict[str, GradeReport]:
    return {
        s: GradeReport.model_validate_json((out / "reports" / f"{s}.json").read_bytes())
        for s in STUDENTS
    }


def test_batch_reports_count_the_bonus(batch: Path) -> None:
    for student, report in batch_reports(batch).items():
        got = {k: getattr(report, k) for k in expected(student)}
        assert got == expected(student), student


def test_gradebook_has_score_bonus_total_and_every_parts_points(batch: Path) -> None:
    with (batch / "gradebook.csv").open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        rows = {r["student"]: r for r in reader}
    assert reader.fieldnames is not None
    assert reader.fieldnames[2:7] == ["score", "bonus", "total", "max_score", "max_bonus"]
    for student in STUDENTS:
        e, row = expected(student), rows[student]
        assert [float(row[k]) for k in ("score", "bonus", "total", "max_score", "max_bonus")] == [
            e["score"], e["bonus_score"], e["total"], MAX, MAX_BONUS
        ], student  # fmt: skip
        parts = sum(float(row[f"{p.name}_points"]) for p in ASSIGNMENT.parts if p.bonus)
        assert parts == e["bonus_score"], student
    assert (rows["cy"]["U_status"], rows["cy"]["U_points"]) == ("failed", "0")
    assert (rows["cy"]["b_status"], rows["cy"]["b_points"]) == ("passed", f"{POINTS['b']:g}")


def test_canvas_gets_the_total(batch: Path) -> None:
    with (batch / "canvas.csv").open(newline="", encoding="utf-8") as f:
        rows = {r["SIS Login ID"]: r[COLUMN] for r in csv.DictReader(f)}
    assert {s: float(v) for s, v in rows.items()} == {s: expected(s)["total"] for s in STUDENTS}


@pytest.mark.parametrize("student", IDS)
def test_feedback_score_line(student: str, batch: Path) -> None:
    e = expected(student)
    line = (
        f"**Score: {e['score']:g} / {MAX:g}** · Bonus: {e['bonus_score']:g} / {MAX_BONUS:g} · "
        f"Total: {e['total']:g}"
    )
    assert line in (batch / "feedback" / f"{student}.md").read_text(encoding="utf-8").splitlines()


def test_summary_figures(batch: Path) -> None:
    reports = batch_reports(batch)
    rows = tuple(Row(student=s, slug=s, file=f"{s}.py", report=r) for s, r in reports.items())
    summary = summarize(BatchResult(rows=rows, graded=4, reused=0, wall_s=1, workers=1), ASSIGNMENT)
    totals = sorted(expected(s)["total"] for s in STUDENTS)
    bonuses = [expected(s)["bonus_score"] for s in STUDENTS]
    assert (summary.max_score, summary.max_bonus) == (MAX, MAX_BONUS)
    assert summary.mean_bonus == round(sum(bonuses) / 4, 2)
    assert summary.mean_total == round(sum(totals) / 4, 2)
    assert summary.median_total == totals[1]  # nearest rank
    assert summary.full_marks == 3, "bonus parts never take full marks away"
    page = render_summary(summary)
    assert f"mean bonus / {MAX_BONUS:g}" in page and "mean total (score + bonus)" in page


@pytest.mark.parametrize("student", IDS)
def test_gradescope_score_is_the_total_and_bonus_tests_show_their_points(
    student: str, batch: Path
) -> None:
    report = batch_reports(batch)[student]
    results = results_json(report)
    e = expected(student)
    assert results["score"] == e["total"]
    tests = {t["name"]: t for t in results["tests"]}
    bonus_tests = [t for name, t in tests.items() if name.endswith("[bonus]")]
    assert [t["max_score"] for t in bonus_tests] == [POINTS[n] for n in BONUS]
    assert sum(t["score"] for t in bonus_tests) == e["bonus_score"]
    assert math.isclose(sum(t["score"] for t in tests.values()), e["total"])
    assert results["output"].splitlines()[0] == (
        f"Score: {e['score']:g}/{MAX:g} · Bonus: {e['bonus_score']:g}/{MAX_BONUS:g} · "
        f"Total: {e['total']:g}"
    )


def record(
    student: str, report: GradeReport | dict[str, Any], id_: int, day: int
) -> SubmissionRecord:
    data = report if isinstance(report, dict) else report.model_dump(mode="json")
    return SubmissionRecord(
        id=id_, student=student, filename="x.py", sha256="0" * 64, status="done",
        submitted_at=datetime(2026, 1, day, tzinfo=UTC), attempts=1, graded_count=1,
        score=data["score"], max_score=data["max_score"], report=data, error=None,
    )  # fmt: skip


def test_web_gradebook_best_and_latest_by_total(batch: Path) -> None:
    r = batch_reports(batch)
    older = {k: v for k, v in r["ben"].model_dump(mode="json").items() if k != "total"}
    older.pop("max_bonus")  # stored before bonus parts counted
    subs = [
        record("ann", r["ann"], 1, 1),  # score 10, bonus 2: the best total
        record("ann", r["ben"], 2, 2),  # the same score, no bonus: the latest
        record("dee", r["dee"], 3, 1),
        record("old", older, 4, 1),
    ]
    parts = [p.name for p in ASSIGNMENT.parts]
    text = gradebook_csv(["ann", "dee", "old", "zed"], subs, parts)
    rows = {row["student"]: row for row in csv.DictReader(io.StringIO(text))}
    figures = ("best_total", "latest_score", "latest_bonus", "latest_total", "max_score")
    assert [float(rows["ann"][k]) for k in figures] == [MAX + MAX_BONUS, MAX, 0, MAX, MAX]
    assert float(rows["ann"]["max_bonus"]) == MAX_BONUS
    assert rows["ann"]["U_status"] == "missing"
    dee = expected("dee")
    assert float(rows["dee"]["best_total"]) == float(rows["dee"]["latest_total"]) == dee["total"]
    assert float(rows["dee"]["U_points"]) == POINTS["U"]
    assert float(rows["old"]["latest_total"]) == MAX and float(rows["old"]["max_bonus"]) == 0
    assert rows["zed"]["best_total"] == ""


# -- the README --------------------------------------------------------------------------------


def test_readme_says_what_the_exit_status_and_canvas_get() -> None:
    text = " ".join((REPO / "README.md").read_text(encoding="utf-8").split())
    assert "`grader check` exits with 0 when every required part passed, whatever the bonus" in text
    assert "The value Canvas gets is the total, bonus included" in text
