"""The submission contract's corners, through the real ``grader check FILE --json``: a single
number in any form, vectors and one-row or one-column matrices in any layout of their numbers,
``**kwargs``, the untouched template, a module the contract does not allow, and messages
worded wholly in each language.

Each submission is the correct base file (tests/data/grader/correct_required.py) with some
functions redefined at the end, written to tmp_path; the grader runs in a subprocess with the
real child process, as a student runs it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from grader.runner.limits import Limits
from grader.runner.session import EXCERPT_BYTES

REPO = Path(__file__).resolve().parent.parent
BASE = Path(__file__).resolve().parent / "data" / "grader" / "correct_required.py"
REQUIRED = ("y_pred", "d", "V", "h", "W")


def check(path: Path, *args: str) -> dict[str, Any]:
    """``python -m grader check PATH --json ARGS``: the report (exit status 0 or 1)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRADER_")}
    env["PYTHONIOENCODING"] = "utf-8"
    proc = subprocess.run(
        [sys.executable, "-m", "grader", "check", str(path), "--json", *args],
        cwd=path.parent, env=env, capture_output=True, text=True, encoding="utf-8", timeout=300,
    )  # fmt: skip
    assert proc.returncode in (0, 1), proc.stderr[-3000:]
    report: dict[str, Any] = json.loads(proc.stdout)
    return report


def submission(tmp_path: Path, override: str) -> Path:
    path = tmp_path / "submission.py"
    path.write_text(BASE.read_text(encoding="utf-8") + "\n\n" + override, encoding="utf-8")
    return path


def parts(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {p["name"]: p for p in report["parts"]}


# -- one number, one vector: any layout of its numbers -------------------------------------------

ACCEPTED = [
    pytest.param(
        "V",
        "_V = dL_dV\n\n\ndef dL_dV(h, y_pred, y_gt, l, n):\n"
        "    return np.asarray(_V(h, y_pred, y_gt, l)[0]) if n == 1 else _V(h, y_pred, y_gt, l)\n",
        id="V-0d-when-n-is-1",
    ),  # a 0-d numpy array is a single number
    pytest.param(
        "V",
        "_V = dL_dV\n\n\ndef dL_dV(h, y_pred, y_gt, l, n):\n"
        "    return float(_V(h, y_pred, y_gt, l)[0]) if n == 1 else _V(h, y_pred, y_gt, l)\n",
        id="V-float-when-n-is-1",
    ),  # so is a Python float
    pytest.param(
        "h",
        "def dL_dh(W, V, h, y_pred, y_gt, l, n):\n"
        "    return np.squeeze(_dh_rows(W, V, h, y_pred, y_gt, l, n))\n",
        id="h-squeezed",
    ),  # (l,) when n = 1, (n,) when l = 1, () when both are
    pytest.param(
        "h",
        "def dL_dh(W, V, h, y_pred, y_gt, l, n):\n"
        "    rows = _dh_rows(W, V, h, y_pred, y_gt, l, n)\n"
        "    return rows.T if 1 in (l, n) else rows\n",
        id="h-one-row-or-column-as-the-other",
    ),  # (n, 1) when l = 1, (1, l) when n = 1: the same numbers in the same order
    pytest.param(
        "W",
        "_W = dL_dW\n\n\ndef dL_dW(W, V, h, y_pred, y_gt, l, n):\n"
        "    return np.squeeze(_W(W, V, h, y_pred, y_gt, l, n))\n",
        id="W-0d-when-n-is-1",
    ),  # the 1×1 matrix as one number
]


@pytest.mark.parametrize(("part", "override"), ACCEPTED)
def test_layouts_of_the_same_numbers_pass(part: str, override: str, tmp_path: Path) -> None:
    report = check(submission(tmp_path, override), "--part", part)
    assert parts(report)[part]["status"] == "passed", parts(report)[part]["message"]


def test_a_matrix_with_rows_and_columns_is_not_read_transposed(tmp_path: Path) -> None:
    # Where both n and l exceed 1, n×l is not l×n: only the unambiguous cases are relaxed.
    override = (
        "def dL_dh(W, V, h, y_pred, y_gt, l, n):\n"
        "    return _dh_rows(W, V, h, y_pred, y_gt, l, n).T\n"
    )
    h = parts(check(submission(tmp_path, override), "--part", "h"))["h"]
    assert h["status"] == "failed"
    shape = r"returned an array of shape \((\d+), (\d+)\) on case \d+ \(n = (\d+)"
    match = re.search(shape, h["message"])
    assert match is not None, h["message"]
    assert match[1] == match[3]  # n×l, refused
    assert "expected an array of shape" in h["message"]


# -- arguments by name: **kwargs ----------------------------------------------------------------

KWARGS = [
    pytest.param(
        "V",
        "def dL_dV(**inputs):\n"
        "    assert set('WUbVdxhnl') | {'y_pred', 'y_gt'} <= set(inputs)\n"
        "    return (inputs['y_pred'] - inputs['y_gt']) * inputs['h'][inputs['l']]\n",
        id="only-kwargs",
    ),  # every input, by name
    pytest.param(
        "W",
        "_W = dL_dW\n\n\ndef dL_dW(W, h, **rest):\n"
        "    assert 'W' not in rest and 'h' not in rest and 'n' in rest\n"
        "    return _W(W, rest['V'], h, rest['y_pred'], rest['y_gt'], rest['l'], rest['n'])\n",
        id="named-and-kwargs",
    ),  # the named ones as parameters, all the others in **rest
    pytest.param(
        "h",
        "def dL_dh(**kw):\n"
        "    assert 't' not in kw\n"
        "    inputs = [kw[k] for k in ('W', 'V', 'h', 'y_pred', 'y_gt', 'l', 'n')]\n"
        "    return _dh_rows(*inputs)\n",
        id="kwargs-without-t-is-called-once",
    ),  # t is passed only to a function that names it: this one returns the l×n array
]


@pytest.mark.parametrize(("part", "override"), KWARGS)
def test_kwargs_receive_every_input(part: str, override: str, tmp_path: Path) -> None:
    report = check(submission(tmp_path, override), "--part", part)
    assert parts(report)[part]["status"] == "passed", parts(report)[part]["message"]


# -- the untouched template, a module that is not allowed ---------------------------------------


def test_the_untouched_template_says_it_is_the_stub(tmp_path: Path) -> None:
    path = tmp_path / "template.py"
    shutil.copyfile(REPO / "reference" / "template.py", path)
    for part in check(path)["parts"]:
        en, zh = part["messages"]["en"], part["messages"]["zh"]
        assert part["status"] == "error", part["name"]
        assert "is still the template's stub" in en and "replace it with your implementation" in en
        assert "模板" in zh and "请换成你自己的实现" in zh, zh
        assert ":  (" not in en  # no empty exception message left in the sentence


NOT_ALLOWED = "the submission may use numpy and the standard library only"
NOT_ALLOWED_ZH = "只能使用 numpy 和 Python 标准库"


def test_importing_a_module_that_is_not_allowed_at_top_level(tmp_path: Path) -> None:
    report = check(submission(tmp_path, "import scipy.special\n"))
    assert f"No module named 'scipy': {NOT_ALLOWED}" in report["load_error"]["en"]
    assert "'scipy'" in report["load_error"]["zh"] and NOT_ALLOWED_ZH in report["load_error"]["zh"]


def test_importing_a_module_that_is_not_allowed_in_a_function(tmp_path: Path) -> None:
    override = "def dL_dV(h, y_pred, y_gt, l):\n    import torch\n    return h[l]\n"
    v = parts(check(submission(tmp_path, override), "--part", "V"))["V"]
    assert v["status"] == "error"
    assert f"No module named 'torch': {NOT_ALLOWED}" in v["messages"]["en"]
    assert "'torch'" in v["messages"]["zh"] and NOT_ALLOWED_ZH in v["messages"]["zh"]


# -- every fragment in the report's language ----------------------------------------------------

#: Each required part returns something of the wrong shape or kind, on every case.
WRONG_EVERYWHERE = """
def dL_dy_pred(y_pred, y_gt):
    return np.zeros(2)


def dL_dd(y_pred, y_gt):
    pass


def dL_dV(h, l, n):
    return np.zeros(n + 1)


def dL_dh(h, t):
    return "see my notebook"


def dL_dW(W, n):
    return np.zeros((n, n + 1))
"""
#: The words a Chinese message may hold in Latin letters: names from the code and from Python.
CODE_WORDS = {"dL_dy_pred", "dL_dd", "dL_dV", "dL_dh", "dL_dW", "n", "l", "t", "None", "NoneType",
              "numpy", "dtype", "object", "return", "str", "U"}  # fmt: skip


def test_shape_and_value_messages_are_wholly_translated(tmp_path: Path) -> None:
    report = check(submission(tmp_path, WRONG_EVERYWHERE), "--lang", "zh")
    for name in REQUIRED:
        part = parts(report)[name]
        zh = part["messages"]["zh"]
        assert part["status"] == "failed" and part["message"] == zh, part
        assert "应返回" in zh
        latin = set(re.findall(r"[A-Za-z_]+", zh)) - CODE_WORDS
        assert not latin, (latin, zh)
    assert "一个数（n = 1）" in parts(report)["V"]["messages"]["zh"]  # case 0 has n = 1


# -- the caps, as the README states them --------------------------------------------------------


def test_readme_states_the_default_caps() -> None:
    limits = Limits()
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    caps = " ".join(
        readme.split("**The caps a submission runs under**")[1].split("\n\n")[0].split()
    )
    assert f"{limits.part_timeout_s:g} s of CPU time" in caps
    assert limits.load_timeout_s == limits.part_timeout_s  # one figure for both in the README
    assert f"{limits.part_timeout_s * limits.wall_factor:g} s by the clock" in caps
    assert f"{limits.memory_mb} MiB of memory" in caps
    assert f"{limits.processes} processes or threads" in caps
    assert f"first {EXCERPT_BYTES >> 10} KiB" in caps and f"past {limits.output_kb} KiB" in caps
