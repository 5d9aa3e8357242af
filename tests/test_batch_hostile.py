"""A class folder written by students, turned against batch grading (grader.batch.discover,
grader.batch.run, ``grader batch``): links out of the folder, forged Gradescope metadata,
decoy files, hostile names, FIFOs and files that break parsers.

Each attack gets its row (an error saying why, or the right file graded) and the rest of the
class is graded. Secrets outside the class folder are files under ``tmp_path``.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import shutil
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from batch_support import SECRET, SUBMISSIONS, clean_env, grader_cli

from grader.assignment import load_assignment
from grader.batch.discover import METADATA_LIMIT, Discovery, discover
from grader.batch.executors import LocalExecutor
from grader.batch.run import run_batch
from grader.cases import load_case_set
from grader.core import Grader
from grader.errors import SubmissionFileError
from grader.settings import get_settings

ASSIGNMENT = load_assignment()
FUNCTIONS = [p.function for p in ASSIGNMENT.parts]
CORRECT = (SUBMISSIONS / "correct_vectorized.py").read_text(encoding="utf-8")
#: What must never appear in any output: the content of files outside the class folder.
SECRET_TEXT = "TOP_SECRET_4711"
SHADOW_LINE = "root:$6$saltsalt$SHADOWHASH0123:19000:0:99999:7:::"
DEEP_NOTEBOOK = '{"cells": ' + "[" * 100_000 + "]" * 100_000 + "}"


def _write(path: Path, text: str = CORRECT, mtime: float | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    if mtime is not None:
        os.utime(path, (mtime, mtime))
    return path


def _secrets(tmp_path: Path) -> Path:
    """Files outside the class folder: a secret that parses as Python, a shadow-like file, and
    a folder with a correct-looking hw.py in it."""
    outside = tmp_path / "outside"
    _write(outside / "secret.py", f"{SECRET_TEXT} = (\n")
    _write(outside / "shadow", SHADOW_LINE + "\n")
    _write(outside / "dir" / "hw.py", f"# {SECRET_TEXT}\n{CORRECT}")
    return outside


def _discover_soon(root: Path, functions: list[str] | None = None) -> Discovery:
    """discover(), failing the test instead of hanging it if something blocks (a FIFO)."""
    box: list[Discovery | BaseException] = []

    def run() -> None:
        try:
            box.append(discover(root, functions or []))
        except BaseException as exc:
            box.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(30)
    assert box, "discover() blocked"
    if isinstance(box[0], BaseException):
        raise box[0]
    return box[0]


def _gradebook(out: Path) -> dict[str, dict[str, str]]:
    with (out / "gradebook.csv").open(newline="", encoding="utf-8") as f:
        return {r["student"]: r for r in csv.DictReader(f)}


def _batch(folder: Path, out: Path) -> tuple[int, str, str]:
    """``grader batch`` run for real; no traceback, whatever the folder holds."""
    cwd = out.parent
    proc = grader_cli(
        "batch", folder, "--out", out, "--allow-unconfined", cwd=cwd,
        env=clean_env(GRADER_SECRET=SECRET),
    )  # fmt: skip
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc.returncode, proc.stdout, proc.stderr


def _all_output(out: Path) -> str:
    return "\n".join(p.read_text(errors="replace") for p in out.rglob("*") if p.is_file())


# 1. Symbolic links: never followed, each one a row saying why it was not graded.


def link_flat(root: Path, outside: Path) -> None:
    (root / "mallory.py").symlink_to(outside / "secret.py")


def link_in_folder(root: Path, outside: Path) -> None:
    (root / "mallory").mkdir()
    (root / "mallory" / "hw.py").symlink_to(outside / "secret.py")


def link_to_classmate(root: Path, outside: Path) -> None:
    (root / "mallory").mkdir()
    (root / "mallory" / "hw.py").symlink_to(Path("..") / "alice" / "hw.py")


def link_folder(root: Path, outside: Path) -> None:
    (root / "mallory").symlink_to(outside / "dir", target_is_directory=True)


def link_subfolder(root: Path, outside: Path) -> None:
    (root / "mallory").mkdir()
    (root / "mallory" / "src").symlink_to(outside / "dir", target_is_directory=True)


def link_canvas(root: Path, outside: Path) -> None:
    (root / "alice" / "hw.py").rename(root / "alice_11_1_hw.py")
    (root / "alice").rmdir()
    (root / "mallory_22_2_hw.py").symlink_to(outside / "secret.py")


LINKS = [
    pytest.param(link_flat, "mallory.py is a symbolic link", id="flat-file"),  # top-level file
    pytest.param(link_in_folder, "hw.py is a symbolic link", id="file-in-folder"),  # out
    pytest.param(link_to_classmate, "hw.py is a symbolic link", id="classmate"),  # ../alice
    pytest.param(link_folder, "mallory is a symbolic link", id="student-folder"),  # whole folder
    pytest.param(link_subfolder, "no .py or .ipynb file", id="subfolder"),  # src -> outside
    pytest.param(link_canvas, "mallory_22_2_hw.py is a symbolic link", id="canvas"),  # canvas
]


@pytest.mark.parametrize(("attack", "words"), LINKS)
def test_a_symbolic_link_is_an_error_row_never_followed(
    attack: Callable[[Path, Path], None], words: str, tmp_path: Path
) -> None:
    outside = _secrets(tmp_path)
    root = tmp_path / "class"
    _write(root / "alice" / "hw.py")
    attack(root, outside)
    subs = {s.student: s for s in _discover_soon(root, FUNCTIONS).submissions}
    assert set(subs) == {"alice", "mallory"}
    mallory = subs["mallory"]
    assert mallory.path is None and words in (mallory.error or ""), mallory
    assert subs["alice"].path is not None and subs["alice"].error is None
    assert not subs["alice"].path.is_symlink()


def test_gradescope_link_is_an_error_row(tmp_path: Path) -> None:
    outside = _secrets(tmp_path)
    root = tmp_path / "class"
    _write(root / "submission_1" / "hw.py")
    (root / "submission_2").mkdir()
    (root / "submission_2" / "hw.py").symlink_to(outside / "shadow")
    _write(
        root / "submission_metadata.yml",
        "submission_1:\n  :submitters:\n  - :sid: alice\n"
        "submission_2:\n  :submitters:\n  - :sid: eve\n",
    )
    subs = {s.student: s for s in _discover_soon(root).submissions}
    assert subs["eve"].path is None and "symbolic link" in (subs["eve"].error or "")
    assert subs["alice"].path == root / "submission_1" / "hw.py"


def test_batch_never_reads_through_a_link(tmp_path: Path) -> None:
    # mallory: a secret file; eve: a shadow-like file; peter: his classmate's file.
    outside = _secrets(tmp_path)
    root = tmp_path / "class"
    _write(root / "alice" / "hw.py")
    link_in_folder(root, outside)
    (root / "eve").mkdir()
    (root / "eve" / "hw.py").symlink_to(outside / "shadow")
    (root / "peter").mkdir()
    (root / "peter" / "hw.py").symlink_to(Path("..") / "alice" / "hw.py")
    out = tmp_path / "out"
    code, stdout, _ = _batch(root, out)
    assert code == 1, stdout  # some students have no grade: their rows say why
    book = _gradebook(out)
    assert book["alice"]["score"] == "10"
    for student in ("mallory", "eve", "peter"):
        assert book[student]["score"] == "0"
        assert "hw.py is a symbolic link: not graded" in book[student]["error"]
    everything = _all_output(out)
    assert SECRET_TEXT not in everything and "SHADOWHASH" not in everything
    assert "mallory" in (out / "summary.html").read_text()


@pytest.fixture
def fifo_writer() -> Iterator[Callable[[Path], None]]:
    """Makes a FIFO whose writer is waiting: grading code that opens it for reading would
    read it rather than hang this test (and it is released at the end either way)."""
    made: list[tuple[Path, threading.Thread]] = []

    def make(path: Path) -> None:
        os.mkfifo(path)

        def write() -> None:
            # A reader that opens and closes without reading leaves a broken pipe: fine.
            with contextlib.suppress(BrokenPipeError), open(path, "w") as f:
                f.write(f"{SECRET_TEXT} = 1\n")

        thread = threading.Thread(target=write, daemon=True)
        thread.start()
        made.append((path, thread))

    yield make
    for path, thread in made:
        if thread.is_alive():  # nobody read it: be the reader that lets the writer finish
            fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
            thread.join(5)
            os.close(fd)


def test_a_file_swapped_after_discovery_is_not_read(
    tmp_path: Path, fifo_writer: Callable[[Path], None]
) -> None:
    # Found as regular files; then each is swapped before the batch reads it.
    outside = _secrets(tmp_path)
    root = tmp_path / "class"
    for student in ("bob", "cara", "dave"):
        _write(root / student / "hw.py")
    subs = discover(root, FUNCTIONS).submissions
    (root / "bob" / "hw.py").unlink()
    (root / "bob" / "hw.py").symlink_to(outside / "secret.py")  # the file becomes a link
    (root / "cara" / "hw.py").unlink()
    fifo_writer(root / "cara" / "hw.py")  # the file becomes a FIFO: no blocking either
    shutil.rmtree(root / "dave")
    (root / "dave").symlink_to(outside / "dir", target_is_directory=True)  # its folder, a link
    grader = Grader(get_settings(secret=None), case_set=load_case_set(ASSIGNMENT, "hidden", SECRET))
    out = tmp_path / "out"
    result = run_batch(subs, out, grader, LocalExecutor(1))
    rows = {r.student: r for r in result.rows}
    assert result.graded == 0
    assert "hw.py is a symbolic link" in (rows["bob"].error or "")
    assert "hw.py is not a regular file" in (rows["cara"].error or "")
    assert "dave is a symbolic link" in (rows["dave"].error or "")
    assert all(r.error_kind == "file" for r in rows.values())
    assert SECRET_TEXT not in _all_output(out)


# 2. Gradescope: only the export's own metadata says who is who; every group member a row.


def gradescope_export(root: Path) -> None:
    _write(root / "submission_1" / "hw.py")
    _write(root / "submission_2" / "hw.py", "def dL_dd(y_pred, y_gt):\n    return 0\n")
    _write(
        root / "submission_metadata.yml",
        "submission_1:\n  :submitters:\n"
        "  - :name: Alice A\n    :sid: alice\n"
        "  - :name: Bob B\n    :email: bob@example.edu\n"
        "  - :name: Carol C\n"
        "submission_2:\n  :submitters:\n  - :name: Mallory M\n    :sid: mallory\n",
    )
    # Mallory's own file claims to be Alice (and, if it counted, to be a whole export).
    _write(root / "submission_2" / "submission_metadata.yml", ":submitters:\n- :sid: alice\n")


def test_gradescope_rows_for_every_group_member_from_the_export_only(tmp_path: Path) -> None:
    gradescope_export(tmp_path)
    found = discover(tmp_path)
    assert found.layout == "gradescope"
    subs = {s.student: s for s in found.submissions}
    assert set(subs) == {"alice", "bob@example.edu", "Carol C", "mallory"}
    group = tmp_path / "submission_1" / "hw.py"
    assert subs["alice"].path == subs["bob@example.edu"].path == subs["Carol C"].path == group
    assert subs["mallory"].path == tmp_path / "submission_2" / "hw.py"


def test_a_students_own_metadata_file_does_not_make_an_export(tmp_path: Path) -> None:
    _write(tmp_path / "s1" / "hw.py")
    _write(tmp_path / "s1" / "submission_metadata.yml", ":submitters:\n- :sid: bob\n")
    _write(tmp_path / "s2" / "hw.py")
    found = discover(tmp_path)
    assert found.layout == "folders"
    assert [s.student for s in found.submissions] == ["s1", "s2"]


def test_gradescope_group_and_forged_identity_through_the_command(tmp_path: Path) -> None:
    root = tmp_path / "export"
    gradescope_export(root)
    out = tmp_path / "out"
    code, stdout, _ = _batch(root, out)
    assert code == 0, stdout
    assert "(gradescope layout)" in " ".join(stdout.split())  # rich wraps long lines
    book = _gradebook(out)
    assert {k: v["score"] for k, v in book.items()} == {
        "alice": "10", "bob@example.edu": "10", "Carol C": "10", "mallory": "0",
    }  # fmt: skip


BAD_METADATA = [
    pytest.param(b"submission_1: [\n", "not readable YAML", id="not-yaml"),  # syntax error
    pytest.param(b"- a\n- b\n", "not a Gradescope", id="a-list"),  # not a mapping
    pytest.param(b"\xff\xfe\x00", "not readable YAML", id="binary"),  # not text
    pytest.param(b"[" * 100_000, "not readable YAML", id="deep"),  # nested too deeply
    pytest.param(b"#" * (METADATA_LIMIT + 1), "the limit is", id="too-big"),  # over the cap
]


@pytest.mark.parametrize(("data", "words"), BAD_METADATA)
def test_a_broken_export_metadata_file_is_a_clear_error(
    data: bytes, words: str, tmp_path: Path
) -> None:
    _write(tmp_path / "submission_1" / "hw.py")
    (tmp_path / "submission_metadata.yml").write_bytes(data)
    with pytest.raises(SubmissionFileError, match=words) as info:
        discover(tmp_path)
    assert "submission_metadata.yml" in str(info.value)


def test_an_alias_bomb_in_the_metadata_is_nobodys_id(tmp_path: Path) -> None:
    # Billion laughs: the sid is an alias to 10**9 strings; the email is used instead.
    lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(8):  # b = ten a's, c = ten b's, ... i = 10**9 x's
        name, prev = chr(98 + i), chr(97 + i)
        lines.append(f"{name}: &{name} [{', '.join(['*' + prev] * 10)}]")
    lines += ["submission_1:", "  :submitters:", "  - :sid: *i", "    :email: ann@example.edu"]
    _write(tmp_path / "submission_1" / "hw.py")
    _write(tmp_path / "submission_metadata.yml", "\n".join(lines) + "\n")
    assert [s.student for s in discover(tmp_path).submissions] == ["ann@example.edu"]


# 3. Several files: the one that defines the assignment's functions is graded.


def test_the_file_defining_the_functions_is_graded_not_the_newest(tmp_path: Path) -> None:
    carol = tmp_path / "carol"
    _write(carol / "hw2.py", mtime=1_000_000)
    _write(carol / "scratch.py", "import numpy as np\nx = np.ones(3)\n", mtime=3_000_000)
    _write(carol / "deep.py", "x = " + "(" * 100_000, mtime=4_000_000)  # does not parse: 0
    # not UTF-8: it cannot be read, so it counts 0 whatever it defines
    (carol / "latin.py").write_bytes(b"# caf\xe9\ndef dL_dd(y_pred, y_gt):\n    return 0\n")
    (sub,) = discover(tmp_path, FUNCTIONS).submissions
    assert sub.path == carol / "hw2.py"
    assert sub.file_choice.startswith("hw2.py: defines 7 of 7 functions (also found: ")
    assert "scratch.py, 0 of 7" in sub.file_choice and "deep.py, 0 of 7" in sub.file_choice
    assert "latin.py, 0 of 7" in sub.file_choice
    assert sub.notes[0] == sub.file_choice


@pytest.mark.parametrize(
    ("files", "chosen"),
    [
        # a notebook's code cells count: it defines the functions, the .py does not
        pytest.param({"analysis.py": 2, "solution.ipynb": 1}, "solution.ipynb", id="notebook"),
        # a tie: the newest of those defining most
        pytest.param({"a.py": 1, "b.py": 2, "c.py": 3}, "c.py", id="tie-newest"),
    ],
)
def test_file_choice_counts_notebooks_and_breaks_ties_by_mtime(
    files: dict[str, int], chosen: str, tmp_path: Path
) -> None:
    for name, age in files.items():
        if name.endswith(".ipynb"):
            cell = {"cell_type": "code", "metadata": {}, "source": CORRECT, "outputs": [],
                    "execution_count": None}  # fmt: skip
            nb = {"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 4}
            _write(tmp_path / "s" / name, json.dumps(nb), mtime=age * 1_000_000)
        elif name == "analysis.py":
            _write(tmp_path / "s" / name, "import numpy\n", mtime=age * 3_000_000)
        else:
            _write(tmp_path / "s" / name, mtime=age * 1_000_000)
    (sub,) = discover(tmp_path, FUNCTIONS).submissions
    assert sub.path is not None and sub.path.name == chosen, sub.file_choice
    assert sub.file_choice.startswith(f"{chosen}: defines 7 of 7 functions")


def test_one_file_has_no_file_choice(tmp_path: Path) -> None:
    _write(tmp_path / "ann" / "hw.py")
    (sub,) = discover(tmp_path, FUNCTIONS).submissions
    assert sub.file_choice == "" and sub.notes == ()


def test_file_choice_through_the_command(tmp_path: Path) -> None:
    root = tmp_path / "class"
    _write(root / "carol" / "hw2.py", mtime=1_000_000)
    _write(root / "carol" / "scratch.py", "import numpy as np\n", mtime=2_000_000)
    _write(root / "dan" / "hw.py")
    out = tmp_path / "out"
    code, stdout, _ = _batch(root, out)
    assert code == 0, stdout
    book = _gradebook(out)
    assert book["carol"]["file"] == "hw2.py" and book["carol"]["score"] == "10"
    assert book["carol"]["file_choice"].startswith("hw2.py: defines 7 of 7 functions")
    assert "scratch.py, 0 of 7" in book["carol"]["file_choice"]
    assert book["dan"]["file_choice"] == ""


# 4. Canvas LATE names: kept on the row and in the gradebook.


def test_canvas_late_is_kept_through_the_command(tmp_path: Path) -> None:
    root = tmp_path / "canvas"
    _write(root / "annlee_LATE_101_9_hw.py")
    _write(root / "bobkim_102_9_hw.py")
    subs = {s.student: s for s in discover(root).submissions}
    assert (subs["annlee"].late, subs["bobkim"].late) == (True, False)
    assert subs["annlee"].canvas_user_id == "101"
    out = tmp_path / "out"
    code, stdout, _ = _batch(root, out)
    assert code == 0, stdout
    book = _gradebook(out)
    assert (book["annlee"]["late"], book["bobkim"]["late"]) == ("yes", "")
    assert book["annlee"]["score"] == "10"


# 5. One file that breaks a parser is that student's error row; the class is graded.


def test_a_notebook_nested_too_deeply_is_one_error_row(tmp_path: Path) -> None:
    root = tmp_path / "class"
    _write(root / "ann.py")
    _write(root / "deep.ipynb", DEEP_NOTEBOOK)
    out = tmp_path / "out"
    code, stdout, stderr = _batch(root, out)
    # Failures are rows and lines on stderr, as for any student whose file cannot be graded;
    # the exit status says that some student has no grade.
    assert code == 1, stdout + stderr
    book = _gradebook(out)
    assert book["ann"]["score"] == "10"
    assert book["deep"]["score"] == "0"
    assert "deep.ipynb is not a valid notebook: nested too deeply" in book["deep"]["error"]
    assert "✗ deep: deep.ipynb is not a valid notebook" in stderr
    assert (out / "reports" / "ann.json").is_file() and (out / "summary.html").is_file()


# Hostile names and special files: a FIFO, a newline, bytes that are not UTF-8, depth.


@pytest.mark.parametrize("layout", ["flat", "folders"])
def test_a_fifo_named_like_a_submission_is_an_error_row(layout: str, tmp_path: Path) -> None:
    _write(tmp_path / "ann.py" if layout == "flat" else tmp_path / "ann" / "hw.py")
    if layout == "flat":
        os.mkfifo(tmp_path / "cara.py")
    else:
        (tmp_path / "cara").mkdir()
        os.mkfifo(tmp_path / "cara" / "hw.py")
    subs = {s.student: s for s in _discover_soon(tmp_path).submissions}
    assert subs["cara"].path is None
    assert "is not a regular file: not graded" in (subs["cara"].error or "")
    assert subs["ann"].error is None


def test_a_newline_in_a_file_name_is_just_a_name(tmp_path: Path) -> None:
    _write(tmp_path / "ann\nlee.py")
    (sub,) = discover(tmp_path).submissions
    assert sub.student == "ann\nlee" and sub.error is None


@pytest.fixture
def deep_tree() -> Iterator[Callable[[Path, int], None]]:
    """Makes ``folder/d/d/...``, ``levels`` deep, and removes it at the end one level at a
    time: pytest's own clean-up (shutil.rmtree) recurses once a level and would fail on it,
    leaving it behind in every later run's way."""
    made: list[Path] = []

    def make(folder: Path, levels: int) -> None:
        fd = os.open(folder, os.O_RDONLY)
        for _ in range(levels):  # by descriptor: the path gets longer than PATH_MAX
            os.mkdir("d", dir_fd=fd)
            inner = os.open("d", os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = inner
        os.close(fd)
        made.append(folder)

    yield make
    for folder in made:
        while (folder / "d" / "d").is_dir():  # pull the chain up one level, drop one
            os.rename(folder / "d" / "d", folder / "up")
            os.rmdir(folder / "d")
            os.rename(folder / "up", folder / "d")
        os.rmdir(folder / "d")


def test_hostile_names_and_a_deep_tree_through_the_command(
    tmp_path: Path, deep_tree: Callable[[Path, int], None]
) -> None:
    root = tmp_path / "class"
    _write(root / "ann.py")
    _write(root / "bo\nb.py")  # a newline in the name: graded, the name kept
    (root / "x.py").write_text(CORRECT)
    os.rename(root / "x.py", os.fsencode(root) + b"/\xff\xfe.py")  # not UTF-8: not graded
    os.mkfifo(root / "cara.py")  # must not block the run
    _write(root / "dee" / "hw.py")
    deep_tree(root / "dee", 1500)  # deeper than any recursion limit
    out = tmp_path / "out"
    code, stdout, _ = _batch(root, out)
    assert code == 1, stdout  # the FIFO and the name that is not UTF-8 are error rows
    book = _gradebook(out)
    assert {k: v["score"] for k, v in book.items()} == {
        "ann": "10", "bo\nb": "10", "cara": "0", "dee": "10", "\\xff\\xfe": "0",
    }  # fmt: skip
    assert "not a regular file" in book["cara"]["error"]
    assert "not UTF-8" in book["\\xff\\xfe"]["error"]


# 6. Found by an outside attack round: namesakes, lone surrogates and invisible characters.


def test_canvas_students_who_share_a_name_stay_two_students(tmp_path: Path) -> None:
    root = tmp_path / "class"
    _write(root / "smithjohn_111_901_hw.py")
    _write(root / "smithjohn_222_902_hw.py", (SUBMISSIONS / "mistake_sign_flip.py").read_text())
    _write(root / "smithjohn_111_903_hw2.py", mtime=1)  # the first one's older file
    _write(root / "doejane_333_904_hw.py")
    subs = {s.student: s for s in discover(root).submissions}
    assert sorted(subs) == ["doejane", "smithjohn_111", "smithjohn_222"]
    assert subs["smithjohn_111"].canvas_user_id == "111"
    assert subs["smithjohn_222"].canvas_user_id == "222"
    assert subs["smithjohn_111"].path is not None
    assert subs["smithjohn_111"].path.name == "smithjohn_111_901_hw.py"


def test_a_lone_surrogate_or_a_bidi_override_in_an_id_is_escaped(tmp_path: Path) -> None:
    root = tmp_path / "class"
    (root / "submission_1").mkdir(parents=True)
    _write(root / "submission_1" / "hw.py")
    (root / "submission_metadata.yml").write_text(
        'submission_1:\n  :submitters:\n  - :sid: "A1 \\uDC80"\n  - :sid: "B2 \\u202Eyp.exe"\n'
    )
    _write(root / "ignored" / "hw.py")  # not in the export's metadata
    code, stdout, _ = _batch(root, tmp_path / "out")
    assert code in (0, 1), stdout
    book = _gradebook(tmp_path / "out")
    assert book["A1 \\udc80"]["score"] == "10"
    assert book["B2 \\u202eyp.exe"]["score"] == "10"
