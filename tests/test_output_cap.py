"""Output never costs a correct answer: through the real ``grader check FILE --json`` and the
real sandbox, a submission that prints megabytes is graded on its answers, the report keeps
the start of what it printed and says the rest was dropped, a part that prints forever times
out alone, and the grader's own memory does not grow with what it drops.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from grader.runner.limits import Limits
from grader.runner.session import output_note

REPO = Path(__file__).resolve().parent.parent
CORRECT = REPO / "submissions" / "correct_vectorized.py"
PARTS = ("y_pred", "d", "V", "h", "W", "U", "b")
CAP_KB = Limits().output_kb
EXCERPT_BYTES = 4096

SANDBOXES = [
    pytest.param("bwrap", marks=pytest.mark.bwrap, id="bwrap"),  # the hardened sandbox
    pytest.param("plain", id="plain"),  # a plain child process: the same pipe, the same rule
]

#: About 2 MB of output from the top-level code and from three parts (once per call: the
#: parts print on each of the 15 cases, far more than the cap in all).
PRINTS_MEGABYTES = """

_dd, _dh, _dW = dL_dd, dL_dh, dL_dW
print("TOP-LEVEL " + "t" * 700_000)


def dL_dd(y_pred, y_gt):
    print("d" * 700_000)
    return _dd(y_pred, y_gt)


def dL_dh(W, V, h, y_pred, y_gt):
    print("h" * 700_000)
    return _dh(W, V, h, y_pred, y_gt)


def dL_dW(W, V, h, y_pred, y_gt):
    import sys
    sys.stderr.write("w" * 700_000)
    return _dW(W, V, h, y_pred, y_gt)
"""

PRINTS_FOREVER = """

def dL_dd(y_pred, y_gt):
    while True:
        print("x" * 1000)
"""


def submission(tmp_path: Path, extra: str) -> Path:
    path = tmp_path / "submission.py"
    path.write_text(CORRECT.read_text(encoding="utf-8") + extra, encoding="utf-8")
    return path


def check(path: Path, sandbox: str, **env: str) -> dict[str, Any]:
    """``python -m grader check PATH --json`` on ``sandbox``: the report."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("GRADER_")}
    proc = subprocess.run(
        [sys.executable, "-m", "grader", "check", str(path), "--json"],
        cwd=path.parent, env={**clean, "GRADER_SANDBOX": sandbox, **env},
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode in (0, 1), proc.stderr[-3000:]
    assert len(proc.stdout) < 1 << 20  # the report stays small whatever was printed
    report: dict[str, Any] = json.loads(proc.stdout)
    return report


@pytest.mark.parametrize("sandbox", SANDBOXES)
def test_a_correct_submission_that_prints_megabytes_scores_full_marks(
    tmp_path: Path, sandbox: str
) -> None:
    report = check(submission(tmp_path, PRINTS_MEGABYTES), sandbox)
    assert {p["name"]: p["status"] for p in report["parts"]} == dict.fromkeys(PARTS, "passed")
    assert (report["score"], report["max_score"]) == (10, 10)
    printed = report["output_bytes"]
    assert printed > 15 * 700_000
    assert report["output_excerpt"].startswith("TOP-LEVEL ttt")
    assert len(report["output_excerpt"].encode()) <= EXCERPT_BYTES
    note = (
        f"printed {(printed + 1023) >> 10} KiB, more than the {CAP_KB} KiB output cap: only "
        f"the first {EXCERPT_BYTES >> 10} KiB were kept"
    )
    assert any(n.startswith(note) for n in report["notes"]), report["notes"]


NOTES = [
    pytest.param(CAP_KB << 10, None, id="at-the-cap"),  # all of it within the cap: no note
    pytest.param((CAP_KB << 10) + 1, CAP_KB + 1, id="one-byte-over"),  # KiB rounded up
    pytest.param(200 << 20, 200 << 10, id="200-MiB"),  # a flood
]


@pytest.mark.parametrize(("printed", "kib"), NOTES)
def test_the_note_says_how_much_was_printed(printed: int, kib: int | None) -> None:
    note = output_note(printed, Limits())
    if kib is None:
        assert note == ""
    else:
        assert note.startswith(f"printed {kib} KiB, more than the {CAP_KB} KiB output cap")


def test_output_under_the_cap_has_no_note(tmp_path: Path) -> None:
    report = check(submission(tmp_path, "\nprint('hello ' * 1000)\n"), "plain")
    assert report["output_bytes"] == 6001
    assert not any("output cap" in n for n in report["notes"])


@pytest.mark.bwrap
def test_a_part_that_prints_forever_times_out_alone(tmp_path: Path) -> None:
    # The other parts take milliseconds: far under a short limit, which the flood waits out.
    path = submission(tmp_path, PRINTS_FOREVER)
    report = check(path, "bwrap", GRADER_LIMITS__PART_TIMEOUT_S="3")
    statuses = {p["name"]: p["status"] for p in report["parts"]}
    assert statuses == {**dict.fromkeys(PARTS, "passed"), "d": "timeout"}, report["parts"]
    assert report["load_error"] is None
    assert len(report["output_excerpt"].encode()) <= EXCERPT_BYTES


#: The grader in this process, on a submission: its own peak resident set (its sandboxed
#: children not included), KiB.
PEAK_RSS = """
import contextlib, io, resource, sys
from grader.cli import main
sys.argv = ["grader", "check", sys.argv[1], "--json"]
with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):
    main()
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""

#: 200 MB on stdout from one part: all of it passes through the grader.
FLOOD = """

_dd = dL_dd


def dL_dd(y_pred, y_gt):
    import sys
    if not getattr(sys, "flooded", False):
        sys.flooded = True
        line = "x" * (1 << 20)
        for _ in range(200):
            sys.stdout.write(line)
    return _dd(y_pred, y_gt)
"""


def _grader_peak_rss_kb(path: Path) -> int:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("GRADER_")}
    proc = subprocess.run(
        [sys.executable, "-c", PEAK_RSS, str(path)],
        capture_output=True, text=True, timeout=300, cwd=path.parent,
        env={**clean, "GRADER_SANDBOX": "bwrap"},
    )  # fmt: skip
    return int(proc.stdout.strip().splitlines()[-1])


@pytest.mark.bwrap
def test_the_grader_keeps_none_of_what_it_drops(tmp_path: Path) -> None:
    (tmp_path / "flood").mkdir()
    (tmp_path / "quiet").mkdir()
    flood = _grader_peak_rss_kb(submission(tmp_path / "flood", FLOOD))
    quiet = _grader_peak_rss_kb(submission(tmp_path / "quiet", ""))
    assert flood - quiet < 16 * 1024, f"the grader grew by {(flood - quiet) >> 10} MiB"
    report = check(tmp_path / "flood" / "submission.py", "bwrap")
    assert report["output_bytes"] >= 200 << 20
    assert report["score"] == report["max_score"]
