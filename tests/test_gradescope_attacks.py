"""Submissions that attack the Gradescope autograder, run for real in a fake container (see
gradescope_support), on the plain backend (bubblewrap cannot start in many containers) and,
where bubblewrap works here, on the hardened one."""

from __future__ import annotations

import json
import shutil
import time
import uuid
from pathlib import Path

import pytest
from batch_support import SUBMISSIONS
from gradescope_support import IN_CONTAINER, build_zip, container, grade_in

pytestmark = IN_CONTAINER

# Finds results.json through other processes' working folders and environments (the grader
# runs in the autograder root) and writes full marks into it.
FIND_RESULTS = """
import json, os

FORGED = {"score": 10.0, "output": "FORGED", "tests": []}


def results_paths():
    found = set()
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        roots = []
        try:
            roots.append(os.readlink(f"/proc/{pid}/cwd"))
        except OSError:
            pass
        try:
            with open(f"/proc/{pid}/environ", "rb") as f:
                for item in f.read().split(b"\\0"):
                    if item.startswith(b"AUTOGRADER_ROOT="):
                        roots.append(item.split(b"=", 1)[1].decode())
        except OSError:
            pass
        for root in roots:
            for folder in (root, os.path.dirname(root)):
                if os.path.isdir(os.path.join(folder, "results")):
                    found.add(os.path.join(folder, "results", "results.json"))
    return found


def forge():
    for path in results_paths():
        try:
            with open(path, "w") as f:
                json.dump(FORGED, f)
        except OSError:
            pass
"""

FORGE = (
    FIND_RESULTS
    + """
forge()


def dL_dd(y_pred, y_gt):
    forge()
    return 0.0
"""
)

# Leaves a daemon (its own session, reparented to init) that forges results.json again and
# again after the grader has written it, and beats a heart in /tmp (HEARTBEAT).
DAEMON = (
    FIND_RESULTS
    + """
import time

if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        end = time.time() + 12
        while time.time() < end:
            forge()
            with open("HEARTBEAT", "w") as beat:
                beat.write(str(time.time()))
            time.sleep(0.1)
    os._exit(0)


def dL_dd(y_pred, y_gt):
    return 0.0
"""
)

# Kills the grader (its parent, and every process it can signal).
KILLER = """
import os, signal

for pid in [os.getppid()] + [int(p) for p in os.listdir("/proc") if p.isdigit()]:
    if pid != os.getpid():
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


def dL_dd(y_pred, y_gt):
    return 0.0
"""

# Scores ∂L/∂d only if the reference solution can be imported, and ∂L/∂y_pred only if the
# hidden cases' file can be read.
REFERENCE = """
import glob, importlib, os

try:
    importlib.import_module("reference.model")
    HAVE_REFERENCE = True
except Exception:
    HAVE_REFERENCE = False

READ_CASES = False
for pid in [p for p in os.listdir("/proc") if p.isdigit()]:
    try:
        root = os.readlink(f"/proc/{pid}/cwd")
    except OSError:
        continue
    for path in glob.glob(os.path.join(root, "**", "hidden_cases.npz"), recursive=True):
        try:
            with open(path, "rb") as f:
                READ_CASES = len(f.read()) > 0
        except OSError:
            pass


def dL_dd(y_pred, y_gt):
    return y_pred - y_gt if HAVE_REFERENCE else 0.0


def dL_dy_pred(y_pred, y_gt):
    if not READ_CASES:
        return 0.0
    return -(y_gt / y_pred - (1.0 - y_gt) / (1.0 - y_pred))
"""


@pytest.fixture(scope="module")
def autograder_zip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_zip(tmp_path_factory.mktemp("gradescope-zip"))


def container_with(tmp_path: Path, autograder_zip: Path, code: str) -> Path:
    root = container(tmp_path, autograder_zip)
    (root / "submission" / "solution.py").write_text(code)
    return root


def results_of(root: Path) -> dict[str, object]:
    data: dict[str, object] = json.loads((root / "results" / "results.json").read_text())
    return data


SANDBOXES = [
    pytest.param("plain", id="plain"),
    pytest.param("bwrap", id="bwrap", marks=pytest.mark.bwrap),
]


@pytest.mark.parametrize("sandbox", SANDBOXES)
def test_a_submission_cannot_forge_results_json(
    sandbox: str, autograder_zip: Path, tmp_path: Path
) -> None:
    root = container_with(tmp_path, autograder_zip, FORGE)
    grade_in(root, sandbox)
    results = results_of(root)
    assert results["score"] == 0 and "FORGED" not in str(results["output"])
    assert len(results["tests"]) == 7  # type: ignore[arg-type]


@pytest.mark.parametrize("sandbox", SANDBOXES)
def test_a_daemon_is_killed_before_results_json_is_written(
    sandbox: str, autograder_zip: Path, tmp_path: Path
) -> None:
    heartbeat = Path("/tmp") / f"heartbeat-{uuid.uuid4().hex}"
    root = container_with(tmp_path, autograder_zip, DAEMON.replace("HEARTBEAT", str(heartbeat)))
    grade_in(root, sandbox)
    written = (root / "results" / "results.json").read_text()
    time.sleep(2)  # the daemon, were it alive, forges and beats every 0.1 s
    assert (root / "results" / "results.json").read_text() == written
    assert "FORGED" not in written and results_of(root)["score"] == 0
    assert not heartbeat.exists()  # dead, and its file removed (plain: it beat in host /tmp)


@pytest.mark.parametrize("sandbox", SANDBOXES)
def test_a_submission_cannot_kill_the_grader(
    sandbox: str, autograder_zip: Path, tmp_path: Path
) -> None:
    root = container_with(tmp_path, autograder_zip, KILLER)
    grade_in(root, sandbox)
    assert len(results_of(root)["tests"]) == 7  # type: ignore[arg-type]


@pytest.mark.parametrize("sandbox", SANDBOXES)
def test_a_submission_reaches_neither_the_reference_nor_the_hidden_answers(
    sandbox: str, autograder_zip: Path, tmp_path: Path
) -> None:
    root = container_with(tmp_path, autograder_zip, REFERENCE)
    grade_in(root, sandbox)
    tests = {t["name"]: t for t in results_of(root)["tests"]}  # type: ignore[attr-defined]
    assert [t["score"] for t in tests.values() if "(d)" in t["name"]] == [0]
    assert [t["score"] for t in tests.values() if "(y_pred)" in t["name"]] == [0]


def test_a_correct_submission_scores_full_marks_on_the_plain_backend(
    autograder_zip: Path, tmp_path: Path
) -> None:
    code = (SUBMISSIONS / "correct_loops.py").read_text()
    root = container_with(tmp_path, autograder_zip, code)
    grade_in(root, "plain")
    results = results_of(root)
    assert results["score"] == 12, results["output"]  # 10, and 2 of bonus
    # The container's private parts stayed private; the submission and venv are shared.
    assert (root / "source").stat().st_mode & 0o077 == 0
    assert (root / "submission_metadata.json").stat().st_mode & 0o077 == 0
    assert (root / "venv").stat().st_mode & 0o005 == 0o005
    shutil.rmtree(root / "venv")


def test_a_lone_surrogate_in_an_error_still_gives_results_json(
    autograder_zip: Path, tmp_path: Path
) -> None:
    root = container_with(tmp_path, autograder_zip, 'raise RuntimeError("bad \\udc80")\n')
    grade_in(root, "plain")
    results = results_of(root)
    assert results["score"] == 0 and "\\udc80" in str(results["output"])


# Fills /tmp with files of its own (each within the per-file limit) and leaves them there.
LITTERER = """
import os, tempfile

for n in range(8):
    with open(os.path.join(tempfile.gettempdir(), "..", "litter-%d" % n), "wb") as f:
        f.write(b"x" * (1 << 20))


def dL_dd(y_pred, y_gt):
    return y_pred - y_gt
"""


def test_files_a_job_leaves_in_tmp_are_removed_before_results_json(
    autograder_zip: Path, tmp_path: Path
) -> None:
    before = {p.name for p in Path("/tmp").glob("litter-*")}
    root = container_with(tmp_path, autograder_zip, LITTERER)
    grade_in(root, "plain")
    assert results_of(root)["score"] == 1  # its one right part
    assert {p.name for p in Path("/tmp").glob("litter-*")} == before
