"""The Canvas import file (grader.batch.gradebook's Canvas part, ``grader batch --format
canvas``): the roster's own assignment column, checked before grading; late files counted;
roster text neutralised for spreadsheets."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from batch_support import SECRET, clean_env, grader_cli, make_flat
from environment_support import UntrustedGrading

from grader.batch.gradebook import (
    CANVAS_COLUMNS,
    canvas_column,
    read_canvas_roster,
    write_canvas,
)
from grader.batch.run import Row
from grader.errors import ConfigError

#: What Canvas's gradebook export puts around the assignments: the fixed columns, then
#: assignment columns "name (id)", then its computed ones.
COMPUTED = [
    "Assignments Current Points", "Assignments Final Points", "Assignments Current Score",
    "Assignments Unposted Current Score", "Current Score", "Unposted Current Score",
    "Final Score", "Final Grade", "Unposted Final Grade", "Override Score",
]  # fmt: skip


def roster_text(assignments: list[str], students: list[list[str]]) -> str:
    """A Canvas gradebook export: header, "Points Possible" line, students."""
    header = [*CANVAS_COLUMNS, *assignments, *COMPUTED]
    points = ["    Points Possible", "", "", "", "", *["10"] * len(assignments)]
    points += ["(read only)"] * len(COMPUTED)
    buf = io.StringIO()
    writer = csv.writer(buf, quoting=csv.QUOTE_ALL)  # as Canvas writes it
    writer.writerows([header, points] + [s + [""] * (len(header) - len(s)) for s in students])
    return buf.getvalue()


ANN = ["Lee, Ann", "101", "s1", "ann", "A"]
BOB = ["Kim, Bob", "102", "s2", "bob", "A"]


def write_roster(path: Path, assignments: list[str], students: list[list[str]]) -> Path:
    path.write_text(roster_text(assignments, students), encoding="utf-8")
    return path


def test_the_rosters_only_assignment_column_is_filled_and_late_files_counted(
    tmp_path: Path, untrusted: UntrustedGrading
) -> None:
    folder = make_flat(
        tmp_path / "in",
        {"annlee_101_9_hw": "correct_vectorized", "bobkim_LATE_102_9_hw": "correct_vectorized"},
    )
    roster = write_roster(tmp_path / "roster.csv", ["HW3 BPTT (98765)"], [ANN, BOB])
    out = tmp_path / "out"
    proc = grader_cli(
        "batch", folder, "--out", out, "--format", "canvas", "--canvas-roster", roster,
        "--allow-unconfined", cwd=tmp_path, env=clean_env(GRADER_SECRET=SECRET, **untrusted.env),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    with (out / "canvas.csv").open(newline="") as f:
        rows = list(csv.reader(f))
    assert rows == [
        [*CANVAS_COLUMNS, "HW3 BPTT (98765)"],
        [*ANN, "12"],  # the total: 10 + 2 bonus
        [*BOB, "12"],
    ], "the roster's own header: Canvas updates that assignment"
    assert "late:      1 (bobkim)" in proc.stdout


@pytest.mark.parametrize(
    ("assignments", "option", "words"),
    [
        pytest.param(
            ["HW2 (111)", "HW3 BPTT (98765)"], [], ["'HW2 (111)'", "'HW3 BPTT (98765)'",
            "--canvas-column"], id="several-no-option",
        ),  # which one? never a guess
        pytest.param(
            ["HW2 (111)", "HW3 BPTT (98765)"], ["--canvas-column", "HW3 BPTT"],
            ["'HW3 BPTT'", "'HW2 (111)'", "'HW3 BPTT (98765)'"], id="option-not-exact",
        ),  # the id is part of the header
        pytest.param(
            ["HW3 BPTT (98765)"], ["--canvas-column", "Final Score"],
            ["'Final Score'", "'HW3 BPTT (98765)'"], id="option-a-computed-column",
        ),  # Canvas computes it: not importable
        pytest.param([], [], ["no assignment column"], id="none"),  # create it in Canvas first
    ],
)  # fmt: skip
def test_a_column_canvas_would_not_match_stops_before_grading(
    assignments: list[str], option: list[str], words: list[str], tmp_path: Path
) -> None:
    folder = make_flat(tmp_path / "in", {"annlee_101_9_hw": "correct_vectorized"})
    roster = write_roster(tmp_path / "roster.csv", assignments, [ANN])
    out = tmp_path / "out"
    proc = grader_cli(
        "batch", folder, "--out", out, "--format", "canvas", "--canvas-roster", roster,
        *option, "--allow-unconfined", cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 2, proc.stdout + proc.stderr
    for word in words:
        assert word in proc.stderr
    assert not (out / "reports").exists(), "nothing graded before refusing"


def test_a_column_without_a_roster_is_a_usage_error(tmp_path: Path) -> None:
    folder = make_flat(tmp_path / "in", {"ann": "correct_vectorized"})
    out = tmp_path / "out"
    proc = grader_cli(
        "batch", folder, "--out", out, "--canvas-column", "HW3 BPTT (98765)",
        "--allow-unconfined", cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 2 and "--canvas-roster" in proc.stderr, proc.stderr
    assert not out.exists()


@pytest.mark.parametrize(
    ("assignments", "option", "chosen"),
    [
        pytest.param(["HW3 BPTT (98765)"], None, "HW3 BPTT (98765)", id="the-only-one"),
        pytest.param(
            ["HW2 (111)", "HW3 BPTT (98765)"], "HW3 BPTT (98765)", "HW3 BPTT (98765)",
            id="named-exactly",
        ),  # one of several, named with its id
        pytest.param(["Lab (2024) (5)"], None, "Lab (2024) (5)", id="parentheses-in-name"),
    ],
)  # fmt: skip
def test_canvas_column_choice(
    assignments: list[str], option: str | None, chosen: str, tmp_path: Path
) -> None:
    roster = read_canvas_roster(write_roster(tmp_path / "r.csv", assignments, [ANN]))
    assert roster.assignment_columns == tuple(assignments), "computed columns are not ones"
    assert canvas_column(roster, option) == chosen


def test_write_canvas_refuses_a_column_not_in_the_roster(tmp_path: Path) -> None:
    roster = write_roster(tmp_path / "r.csv", ["HW3 BPTT (98765)"], [ANN])
    with pytest.raises(ConfigError, match="HW3 BPTT"):
        write_canvas([], {}, roster, tmp_path / "canvas.csv", "BPTT homework (10)")
    assert not (tmp_path / "canvas.csv").exists()


FORMULAS = ["=", "+", "-", "@", "\t", "\r"]


def test_canvas_csv_neutralises_roster_text(tmp_path: Path) -> None:
    students = [
        [f'{c}HYPERLINK("x","y"), {n}', str(200 + n), f"{c}sis{n}", f"{c}login{n}", f"{c}sec"]
        for n, c in enumerate(FORMULAS)
    ]
    roster = write_roster(tmp_path / "r.csv", ["@HW (9)"], students)
    # Students matched by login: a file error scores 0, rows without a report have no score.
    rows = [Row(student=s[3].strip(), slug=f"s{n}", file="x.py") for n, s in enumerate(students)]
    rows[0] = rows[0].model_copy(update={"error": "bad", "error_kind": "file"})
    export = write_canvas(rows, {}, roster, tmp_path / "canvas.csv")
    assert export.matched == len(FORMULAS)
    with (tmp_path / "canvas.csv").open(newline="") as f:
        lines = list(csv.reader(f))
    assert lines[0] == [*CANVAS_COLUMNS, "'@HW (9)"]
    assert [line[:5] for line in lines[1:]] == [
        ["'" + s[0], s[1], *("'" + c for c in s[2:])] for s in students
    ], "every text cell neutralised (the ids are digits)"
    assert [line[5] for line in lines[1:]] == ["0"] + [""] * (len(FORMULAS) - 1)
