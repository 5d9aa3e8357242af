"""A submission that misbehaves, graded through the real sandbox: timeouts, crashes, memory,
floods of output, broken files. What goes wrong costs only the part where it happens.

The base file (tests/data/grader/correct_required.py) with one function redefined at the end is
written to tmp_path and graded with :func:`grader.core.grade`; the part timeout is 1.5 s.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pytest

from grader.assignment import load_assignment
from grader.core import grade
from grader.report import GradeReport
from grader.runner.backend import PlainBackend
from grader.runner.limits import Limits
from grader.settings import Settings, get_settings

REPO = Path(__file__).resolve().parent.parent
BASE = Path(__file__).resolve().parent / "data" / "grader" / "correct_required.py"
ASSIGNMENT = load_assignment(REPO / "reference" / "assignment.toml")
REQUIRED = tuple(p.name for p in ASSIGNMENT.parts if not p.bonus)
SHORT = Limits(part_timeout_s=1.5)


@pytest.fixture(autouse=True)
def _no_grader_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings come from the test, not from GRADER_* variables of whoever runs it."""
    for key in [k for k in os.environ if k.startswith("GRADER_")]:
        monkeypatch.delenv(key)


def write_submission(tmp_path: Path, override: str) -> Path:
    path = tmp_path / "submission.py"
    path.write_text(BASE.read_text(encoding="utf-8") + "\n\n" + override, encoding="utf-8")
    return path


def line_of(path: Path, marker: str) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(i for i, text in enumerate(lines, start=1) if marker in text)


def run(path: Path, limits: Limits = SHORT, **options: object) -> GradeReport:
    settings: Settings = get_settings(limits=limits)
    return grade(path, assignment=ASSIGNMENT, settings=settings, **options)  # type: ignore[arg-type]


def statuses(report: GradeReport, names: tuple[str, ...] = REQUIRED) -> dict[str, str]:
    return {n: report.part(n).status for n in names}


# -- one part misbehaves --------------------------------------------------------------------------

MISBEHAVING_V = [
    pytest.param(
        "while True:\n        pass", "timeout", "did not finish within 1.5 s", id="endless-loop"
    ),  # spins until the part's wall-clock limit
    pytest.param(
        "import os\n    os._exit(3)", "error", "exited with status 3", id="os-exit"
    ),  # the child process vanishes without a word
    pytest.param(
        "import sys\n    sys.exit('bye')", "error", "SystemExit", id="sys-exit"
    ),  # SystemExit is an exception like any other
    pytest.param(
        "a = np.ones(4 * 2**30 // 8)\n    return a[: len(h[l])]", "error", "dL_dV", id="memory-bomb"
    ),  # 4 GiB, over the address-space limit
    pytest.param(
        "print('x' * 10_000_000)\n    return (y_pred - y_gt) * h[l]",
        "error",
        f"printed more than {SHORT.output_kb} KiB",
        id="prints-10MB",
    ),  # ten times the output limit
]


@pytest.mark.parametrize(("body", "status", "phrase"), MISBEHAVING_V)
def test_misbehaving_part_costs_only_itself(
    body: str, status: str, phrase: str, tmp_path: Path
) -> None:
    # V is graded third: parts before it and after it (in a new child) must still pass.
    report = run(write_submission(tmp_path, f"def dL_dV(h, y_pred, y_gt, l):\n    {body}\n"))
    v = report.part("V")
    assert (v.status, v.score) == (status, 0)
    assert phrase in v.message
    others = tuple(n for n in REQUIRED if n != "V")
    assert statuses(report, others) == dict.fromkeys(others, "passed")
    assert report.load_error is None


TWO_ENDLESS_PARTS = """
def dL_dy_pred(y_pred, y_gt):
    while True:
        pass


def dL_dW(W):
    while True:
        pass
"""


def test_each_endless_part_times_out_on_its_own(tmp_path: Path) -> None:
    # The first and the last required parts spin: the three between them still pass.
    report = run(write_submission(tmp_path, TWO_ENDLESS_PARTS))
    assert statuses(report) == {"y_pred": "timeout", "d": "passed", "V": "passed",
                                "h": "passed", "W": "timeout"}  # fmt: skip


SLOW_PARTS = """
import time

_dy, _dd, _dV = dL_dy_pred, dL_dd, dL_dV


def dL_dy_pred(y_pred, y_gt):
    time.sleep(0.05)
    return _dy(y_pred, y_gt)


def dL_dd(y_pred, y_gt):
    time.sleep(0.05)
    return _dd(y_pred, y_gt)


def dL_dV(h, y_pred, y_gt, l):
    time.sleep(0.05)
    return _dV(h, y_pred, y_gt, l)
"""


def test_timeout_is_per_part_not_per_job(tmp_path: Path) -> None:
    # Each of three parts takes about 0.05 s × the number of cases, under 1.5 s; together more.
    started = time.monotonic()
    report = run(write_submission(tmp_path, SLOW_PARTS))
    assert time.monotonic() - started > SHORT.part_timeout_s
    assert statuses(report) == dict.fromkeys(REQUIRED, "passed")


# -- the file itself is broken --------------------------------------------------------------------


def test_syntax_error_reports_its_line_and_every_part_errors(tmp_path: Path) -> None:
    path = write_submission(tmp_path, "def dL_dV(h, y_pred  # the broken line\n    return h\n")
    report = run(path)
    assert report.load_error is not None
    assert f"line {line_of(path, '# the broken line')}" in report.load_error.en
    assert f"{line_of(path, '# the broken line')}" in report.load_error.zh
    assert {p.status for p in report.parts} == {"error"}
    assert report.score == 0


def test_top_level_exception_reports_its_line(tmp_path: Path) -> None:
    path = write_submission(tmp_path, "import torch_is_not_here  # the failing import\n")
    report = run(path)
    assert report.load_error is not None
    assert "ModuleNotFoundError" in report.load_error.en
    assert f"(line {line_of(path, '# the failing import')})" in report.load_error.en
    assert {p.status for p in report.parts} == {"error"}


def test_top_level_endless_loop_is_a_load_timeout(tmp_path: Path) -> None:
    limits = Limits(part_timeout_s=1.5, load_timeout_s=1.5)
    report = run(write_submission(tmp_path, "while True:\n    pass\n"), limits=limits)
    assert report.load_error is not None
    assert "top-level code did not finish within 1.5 s" in report.load_error.en
    assert {p.status for p in report.parts} == {"timeout"}
    assert report.score == 0


def test_top_level_flood_of_output_is_a_load_error(tmp_path: Path) -> None:
    report = run(write_submission(tmp_path, "print('y' * 10_000_000)\n"))
    assert report.load_error is not None
    assert f"printed more than {SHORT.output_kb} KiB" in report.load_error.en
    assert {p.status for p in report.parts} == {"error"}
    assert report.output_bytes > SHORT.output_kb << 10


# -- what the report records ----------------------------------------------------------------------

PRINTS = """
print("hello from the top level")

_dd = dL_dd


def dL_dd(y_pred, y_gt):
    print("hello from dL_dd")
    return _dd(y_pred, y_gt)
"""


def test_output_excerpt_captures_prints(tmp_path: Path) -> None:
    report = run(write_submission(tmp_path, PRINTS))
    assert report.output_excerpt.startswith("hello from the top level\n")
    assert "hello from dL_dd" in report.output_excerpt
    assert report.output_bytes == len(report.output_excerpt.encode())
    assert statuses(report) == dict.fromkeys(REQUIRED, "passed")


def test_output_excerpt_is_the_start_of_long_output(tmp_path: Path) -> None:
    report = run(write_submission(tmp_path, "print('START' + 'x' * 100_000)\n"))
    assert report.output_excerpt.startswith("STARTxxx")
    assert len(report.output_excerpt.encode()) <= 4096
    assert report.output_bytes > 100_000
    assert statuses(report) == dict.fromkeys(REQUIRED, "passed")


SANDBOXES = [
    pytest.param(None, id="auto"),  # whatever this machine supports
    pytest.param("plain", id="plain"),  # asked for by name
]


@pytest.mark.parametrize("sandbox", SANDBOXES)
def test_report_names_the_sandbox(sandbox: str | None, tmp_path: Path) -> None:
    settings = get_settings(limits=SHORT, sandbox=sandbox)
    report = grade(write_submission(tmp_path, ""), assignment=ASSIGNMENT, settings=settings)
    assert report.sandbox in {"plain", "bwrap"}
    if sandbox is not None:
        assert report.sandbox == sandbox
    assert statuses(report) == dict.fromkeys(REQUIRED, "passed")


# -- bugs -----------------------------------------------------------------------------------------

REALTIME_SIGNAL = """
import os
import signal


def dL_dV(h, y_pred, y_gt, l):
    os.kill(os.getpid(), signal.SIGRTMIN + 6)
"""


def test_child_killed_by_an_unnamed_signal_is_an_error_on_that_part(tmp_path: Path) -> None:
    # The plain backend: its child's exit status is the signal itself (bwrap reports 128 + n).
    report = run(write_submission(tmp_path, REALTIME_SIGNAL), backend=PlainBackend())
    assert report.part("V").status == "error"
    others = tuple(n for n in REQUIRED if n != "V")
    assert statuses(report, others) == dict.fromkeys(others, "passed")


FORGED_FRAMES = """
import json
import os
import struct
import sys


def _frame(header):
    data = json.dumps(header).encode()
    return struct.pack(">II", len(data), 0) + data


for _header in (
    {"event": "loaded"},
    {"event": "part_start", "part": "y_pred"},
    {"event": "part_end", "part": "y_pred"},
    {"event": "part_start", "part": "y_pred"},
):
    os.write(int(sys.argv[1]), _frame(_header))
"""


def test_forged_frames_from_the_submission_cannot_crash_the_grader(tmp_path: Path) -> None:
    report = run(write_submission(tmp_path, FORGED_FRAMES), parts=["y_pred"])
    assert report.part("y_pred").status != "passed"


WIRE = [
    pytest.param({"dtype": "<f8", "shape": [2]}, np.zeros(2).tobytes(), None, id="float64"),
    pytest.param({"dtype": "<f4", "shape": []}, np.float32(1).tobytes(), None, id="float32-0d"),
    pytest.param({"dtype": "|O", "shape": [1]}, b"\0" * 8, "not a number", id="object"),
    pytest.param({"dtype": "<U1", "shape": [1]}, b"\0" * 4, "not a number", id="text"),
    pytest.param({"dtype": "[('a', 'O')]", "shape": [1]}, b"", "malformed", id="record-str"),
    pytest.param({"dtype": "<f8", "shape": [3]}, b"\0" * 8, "size", id="short-payload"),
    pytest.param({"dtype": "<f8", "shape": [-1]}, b"\0" * 8, "bad shape", id="negative-dim"),
    pytest.param({"dtype": "<f8", "shape": [1.5]}, b"\0" * 8, "bad shape", id="float-dim"),
    pytest.param({"shape": [1]}, b"\0" * 8, "no dtype", id="no-dtype"),
]


@pytest.mark.parametrize(("header", "payload", "problem"), WIRE)
def test_untrusted_array_frames_decode_only_plain_numbers(
    header: dict, payload: bytes, problem: str | None
) -> None:
    from grader.runner.session import decode_array

    got = decode_array(header, payload)
    if problem is None:
        assert isinstance(got, np.ndarray) and list(got.shape) == header["shape"]
    else:
        assert isinstance(got, str) and problem in got
