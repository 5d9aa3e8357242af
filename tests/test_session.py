"""A submission that misbehaves, graded through the real sandbox: timeouts, crashes, memory,
floods of output, broken files. What goes wrong costs only the part where it happens.

The base file (tests/data/grader/correct_required.py) with one function redefined at the end is
written to tmp_path and graded with :func:`grader.core.grade`. A run whose verdict is a timeout
has a 1.5 s limit (its correct parts take milliseconds); every other run has the default limits.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

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
LIMITS = Limits()
#: For runs whose verdict is a timeout: each waits it out once. The correct parts of such a run
#: (correct_required.py's) take a few milliseconds each, hundreds of times under it.
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


def run(path: Path, limits: Limits = LIMITS, **options: object) -> GradeReport:
    settings: Settings = get_settings(limits=limits)
    return grade(path, assignment=ASSIGNMENT, settings=settings, **options)  # type: ignore[arg-type]


def statuses(report: GradeReport, names: tuple[str, ...] = REQUIRED) -> dict[str, str]:
    return {n: report.part(n).status for n in names}


# -- one part misbehaves --------------------------------------------------------------------------

MISBEHAVING_V = [
    pytest.param(
        "while True:\n        pass",
        SHORT,
        "timeout",
        "did not finish within 1.5 s",
        id="endless-loop",
    ),  # spins until the part's wall-clock limit
    pytest.param(
        "import os\n    os._exit(3)", LIMITS, "error", "exited with status 3", id="os-exit"
    ),  # the child process vanishes without a word
    pytest.param(
        "import sys\n    sys.exit('bye')", LIMITS, "error", "SystemExit", id="sys-exit"
    ),  # SystemExit is an exception like any other
    pytest.param(
        "a = np.ones(4 * 2**30 // 8)\n    return a[: len(h[l])]",
        LIMITS,
        "error",
        "dL_dV",
        id="memory-bomb",
    ),  # 4 GiB, over the address-space limit
]


@pytest.mark.parametrize(("body", "limits", "status", "phrase"), MISBEHAVING_V)
def test_misbehaving_part_costs_only_itself(
    body: str, limits: Limits, status: str, phrase: str, tmp_path: Path
) -> None:
    # V is graded third: parts before it and after it (in a new child) must still pass.
    path = write_submission(tmp_path, f"def dL_dV(h, y_pred, y_gt, l):\n    {body}\n")
    report = run(path, limits)
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
    report = run(write_submission(tmp_path, TWO_ENDLESS_PARTS), SHORT)
    assert statuses(report) == {"y_pred": "timeout", "d": "passed", "V": "passed",
                                "h": "passed", "W": "timeout"}  # fmt: skip


#: Each required part burns this much CPU time once (on its first call): 0.3 of the part
#: limit, so the five together use 1.5 times the limit, and each part has 0.7 of it left for
#: its own milliseconds of work. Once a part, in CPU time: a loaded machine stretches neither.
SLOW_PART_CPU_S = 0.3 * SHORT.part_timeout_s
SLOW_PARTS = f"""
import time

_dy, _dd, _dV, _dh, _dW = dL_dy_pred, dL_dd, dL_dV, dL_dh, dL_dW
_busy = set()


def _busy_once(part):
    if part not in _busy:
        _busy.add(part)
        end = time.process_time() + {SLOW_PART_CPU_S}
        while time.process_time() < end:
            pass


def dL_dy_pred(y_pred, y_gt):
    _busy_once("y_pred")
    return _dy(y_pred, y_gt)


def dL_dd(y_pred, y_gt):
    _busy_once("d")
    return _dd(y_pred, y_gt)


def dL_dV(h, y_pred, y_gt, l):
    _busy_once("V")
    return _dV(h, y_pred, y_gt, l)


def dL_dh(W, V, h, y_pred, y_gt, l, n):
    _busy_once("h")
    return _dh(W, V, h, y_pred, y_gt, l, n)


def dL_dW(W, V, h, y_pred, y_gt, l, n):
    _busy_once("W")
    return _dW(W, V, h, y_pred, y_gt, l, n)
"""


def test_timeout_is_per_part_not_per_job(tmp_path: Path) -> None:
    # Every part passes within its limit, though the job as a whole takes longer than one
    # (its CPU time, and so its time by the clock too).
    started = time.monotonic()
    report = run(write_submission(tmp_path, SLOW_PARTS), SHORT)
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
    report = run(write_submission(tmp_path, "while True:\n    pass\n"), Limits(load_timeout_s=1.5))
    assert report.load_error is not None
    assert "top-level code did not finish within 1.5 s" in report.load_error.en
    assert {p.status for p in report.parts} == {"timeout"}
    assert report.score == 0


FLOODS = [
    pytest.param(
        "def dL_dV(h, y_pred, y_gt, l):\n"
        "    print('x' * 10_000_000)\n"
        "    return (y_pred - y_gt) * h[l]\n",
        id="in-a-part",
    ),  # ten times the output cap, on each of the part's calls
    pytest.param("print('y' * 10_000_000)\n", id="top-level"),  # before any part runs
]


@pytest.mark.parametrize("override", FLOODS)
def test_printing_past_the_output_cap_costs_nothing(override: str, tmp_path: Path) -> None:
    # The start is kept, the rest dropped; the answers are graded (tests/test_output_cap.py
    # has the report's note, a flood that never ends, and the grader's memory).
    report = run(write_submission(tmp_path, override))
    assert report.load_error is None
    assert statuses(report) == dict.fromkeys(REQUIRED, "passed")
    assert report.output_bytes >= 10_000_000 > LIMITS.output_kb << 10
    assert len(report.output_excerpt.encode()) <= 4096


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
    settings = get_settings(limits=LIMITS, sandbox=sandbox)
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


# An array result's description, as a job sends it: (dtype, shape, byte count). The decoder
# lives in grader.runner.protocol (see also tests/test_protocol.py); these are the cases a
# student's return value can produce.
WIRE = [
    pytest.param({"dtype": "<f8", "shape": [2]}, 16, None, id="float64"),
    pytest.param({"dtype": "<f4", "shape": []}, 4, None, id="float32-0d"),
    pytest.param({"dtype": "|O", "shape": [1]}, 8, "not a number", id="object"),
    pytest.param({"dtype": "<U1", "shape": [1]}, 4, "not a number", id="text"),
    pytest.param({"dtype": "[('a', 'O')]", "shape": [1]}, 0, "not a number", id="record-str"),
    pytest.param({"dtype": "<f8", "shape": [3]}, 8, "size", id="short-payload"),
    pytest.param({"dtype": "<f8", "shape": [-1]}, 8, "bad shape", id="negative-dim"),
    pytest.param({"dtype": "<f8", "shape": [1.5]}, 8, "bad shape", id="float-dim"),
    pytest.param({"shape": [1]}, 8, "not a number", id="no-dtype"),
]


@pytest.mark.parametrize(("header", "nbytes", "problem"), WIRE)
def test_untrusted_array_descriptions_admit_only_plain_numbers(
    header: dict, nbytes: int, problem: str | None
) -> None:
    from grader.runner.protocol import ProtocolError, array_header

    call = {**header, "offset": 0, "nbytes": nbytes}
    if problem is None:
        assert array_header(call, 1 << 20) == (header["dtype"], header["shape"], 0, nbytes)
    else:
        with pytest.raises(ProtocolError, match=problem):
            array_header(call, 1 << 20)
