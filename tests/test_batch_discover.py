"""Finding one submission per student in each layout instructors get (grader.batch.discover)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from grader.batch.discover import discover
from grader.batch.files import slugs_for

CODE = "def dL_dd(y_pred, y_gt):\n    return y_pred - y_gt\n"


def _write(path: Path, text: str = CODE, mtime: float | None = None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    if mtime is not None:
        os.utime(path, (mtime, mtime))


def flat(root: Path) -> None:
    _write(root / "alice.py")
    _write(root / "bob.ipynb", '{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}')
    _write(root / "notes.txt", "not a submission")


def folders(root: Path) -> None:
    _write(root / "alice" / "hw.py")
    _write(root / "bob" / "sub" / "solution.py")
    _write(root / "bob" / "__pycache__" / "solution.py")  # never a submission


def canvas(root: Path) -> None:
    _write(root / "alice_12345_67890_bptt.py")
    _write(root / "bob_LATE_22222_33333_hw-1.py")


def gradescope_top(root: Path) -> None:
    # Gradescope's own export: one metadata file mapping folders to Ruby-symbol keys.
    _write(root / "submission_1" / "hw.py")
    _write(root / "submission_2" / "hw.py")
    _write(
        root / "submission_metadata.yml",
        "submission_1:\n  :submitters:\n  - :name: Alice A\n    :sid: alice\n"
        "    :email: a@example.edu\n  :created_at: 2026-01-01 10:00:00.000000000 -08:00\n"
        "submission_2:\n  :submitters:\n  - :name: Bob B\n    :sid: bob\n",
    )


def gradescope_plain_keys(root: Path) -> None:
    # Plain keys (no Ruby-symbol colons); files nested deeper in a submission folder.
    _write(root / "s1" / "src" / "hw.py")
    _write(root / "s2" / "hw.ipynb", '{"cells": [], "metadata": {}, "nbformat": 4}')
    _write(
        root / "submission_metadata.yml",
        "s1:\n  submitters:\n  - name: A\n    sid: alice\n"
        "s2:\n  submitters:\n  - name: B\n    email: bob\n",
    )


LAYOUTS = [
    pytest.param(flat, "flat", id="flat"),  # <student>.py / .ipynb, other files ignored
    pytest.param(folders, "folders", id="folders"),  # one folder per student, nested file
    pytest.param(canvas, "canvas", id="canvas"),  # lastfirst_uid_subid_name, LATE too
    pytest.param(gradescope_top, "gradescope", id="gradescope-export"),  # top-level metadata
    pytest.param(gradescope_plain_keys, "gradescope", id="gradescope-plain-keys"),  # email too
]


@pytest.mark.parametrize(("make", "layout"), LAYOUTS)
def test_each_layout_finds_one_submission_per_student(
    make: Callable[[Path], None], layout: str, tmp_path: Path
) -> None:
    make(tmp_path)
    found = discover(tmp_path)
    assert found.layout == layout
    assert [s.student for s in found.submissions] == ["alice", "bob"]
    assert all(s.path is not None and s.path.is_file() for s in found.submissions)
    assert all(s.error is None for s in found.submissions)


def test_canvas_names_keep_the_canvas_user_id(tmp_path: Path) -> None:
    canvas(tmp_path)
    ids = {s.student: s.canvas_user_id for s in discover(tmp_path).submissions}
    assert ids == {"alice": "12345", "bob": "22222"}


@pytest.mark.parametrize(
    "layout",
    [
        pytest.param("folders", id="folders"),  # two files in one student's folder
        pytest.param("canvas", id="canvas"),  # a resubmission under a new Canvas name
    ],
)
def test_several_files_latest_wins_with_a_note(layout: str, tmp_path: Path) -> None:
    if layout == "folders":
        old, new = tmp_path / "carol" / "v2.py", tmp_path / "carol" / "v1.py"
    else:
        old, new = tmp_path / "carol_111_1_hw.py", tmp_path / "carol_111_2_hw.py"
    _write(old, mtime=1_000_000)
    _write(new, mtime=2_000_000)  # newer by mtime, whatever the name says
    (sub,) = discover(tmp_path).submissions
    assert sub.path == new
    assert len(sub.notes) == 1 and new.name in sub.notes[0] and old.name in sub.notes[0]


def test_student_folder_without_a_file_is_an_error_row(tmp_path: Path) -> None:
    _write(tmp_path / "dave" / "answer.txt", "I forgot")
    _write(tmp_path / "erin" / "hw.py")
    subs = {s.student: s for s in discover(tmp_path).submissions}
    assert subs["dave"].path is None and subs["dave"].error
    assert subs["erin"].error is None


@pytest.mark.parametrize(
    ("student", "expected"),
    [
        pytest.param("alice", "alice", id="plain"),  # unchanged
        pytest.param("../../etc/passwd", "etc_passwd", id="traversal"),  # no separators, no ..
        pytest.param("a..b", "a_b", id="inner-dots"),  # no .. anywhere
        pytest.param("..", "student", id="only-dots"),  # nothing left: a stand-in
        pytest.param("<b>x</b>", "b_x_b", id="html"),  # markup characters replaced
    ],
)
def test_student_ids_become_safe_file_names(student: str, expected: str) -> None:
    assert slugs_for([student])[student] == expected


def test_colliding_file_names_stay_distinct() -> None:
    slugs = slugs_for(["a/b", "a_b", "A_B"])
    assert slugs == {"a/b": "a_b", "a_b": "a_b-2", "A_B": "A_B-3"}
