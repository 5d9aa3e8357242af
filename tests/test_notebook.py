"""Jupyter notebooks as submissions, graded through the real ``grader check`` command.

Notebooks are built with nbformat under ``tmp_path``; the examples in ``submissions/`` are graded
in place (read only). Cell numbers count every cell, markdown included.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from grader.errors import SubmissionFileError
from grader.runner.select import PLAIN_NOTE
from grader.source import source_from_bytes

REPO = Path(__file__).resolve().parent.parent
SUBMISSIONS = REPO / "submissions"
CORRECT_CODE = (SUBMISSIONS / "correct_loops.py").read_text(encoding="utf-8")
PARTS = ("y_pred", "d", "V", "h", "W", "U", "b")


def notebook_notes(report: dict[str, Any]) -> list[str]:
    """The report's notes but the sandbox's (a machine without bubblewrap adds one)."""
    sandbox_note = PLAIN_NOTE.partition("(")[0]
    return [n for n in report["notes"] if not n.startswith(sandbox_note)]


def run_check(
    path: Path, cwd: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "grader", "check", str(path), "--json", *args]
    return subprocess.run(
        argv,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


def check_json(path: Path, cwd: Path, *args: str, **kw: Any) -> tuple[int, dict[str, Any]]:
    proc = run_check(path, cwd, *args, **kw)
    assert proc.returncode in (0, 1), proc.stdout + proc.stderr
    return proc.returncode, json.loads(proc.stdout)


def write_notebook(tmp_path: Path, cells: list[tuple[str, str]], name: str = "hw.ipynb") -> Path:
    """A notebook of ("code" | "md", source) cells."""
    nb = new_notebook(
        cells=[
            new_code_cell(src) if kind == "code" else new_markdown_cell(src) for kind, src in cells
        ]
    )
    path = tmp_path / name
    path.write_text(nbformat.writes(nb), encoding="utf-8")
    return path


def statuses(report: dict[str, Any]) -> dict[str, str]:
    return {p["name"]: p["status"] for p in report["parts"]}


def part(report: dict[str, Any], name: str) -> dict[str, Any]:
    return next(p for p in report["parts"] if p["name"] == name)


EXAMPLES = [
    # functions over several cells, markdown between, a guarded demo cell
    pytest.param("notebook_correct", 0, None, (), id="correct"),
    # ∂L/∂W sums δ_t h_tᵀ: the catalogued mistake is named
    pytest.param("notebook_mistake_uses_h_t", 1, "uses_h_t", (), id="mistake_uses_h_t"),
    # correct code among %matplotlib, !pip, %%time and np.ones? (all dropped, all noted)
    pytest.param(
        "notebook_magics",
        0,
        None,
        (
            "cell 2 line 1 `%matplotlib inline`",
            "`!pip install numpy`",
            "`np.ones?`",
            "`%%time`",
        ),
        id="magics",
    ),
]


@pytest.mark.parametrize(("stem", "exit_code", "diagnosis", "notes"), EXAMPLES)
def test_example_notebook(
    stem: str, exit_code: int, diagnosis: str | None, notes: tuple[str, ...], tmp_path: Path
) -> None:
    code, report = check_json(SUBMISSIONS / f"{stem}.ipynb", tmp_path)
    assert code == exit_code
    assert report["submission"]["filename"] == f"{stem}.ipynb"
    assert report["load_error"] is None
    expected = {name: "passed" for name in PARTS}
    if diagnosis is not None:
        expected["W"] = "failed"
        assert part(report, "W")["diagnosis"] == diagnosis
    assert statuses(report) == expected
    joined = "\n".join(notebook_notes(report))
    for note in notes:
        assert note in joined
    if not notes:
        assert notebook_notes(report) == []


def test_syntax_error_names_the_cell_in_both_languages(tmp_path: Path) -> None:
    path = write_notebook(
        tmp_path,
        [
            ("code", "import numpy as np"),
            ("md", "## ∂L/∂d"),
            ("code", "def dL_dd(y_pred, y_gt):\n    return (y_pred - y_gt"),
        ],
    )
    _, report = check_json(path, tmp_path)
    en, zh = report["load_error"]["en"], report["load_error"]["zh"]
    assert "Syntax error at cell 3, line 2" in en
    assert "第 3 个单元格第 2 行有语法错误" in zh
    assert set(statuses(report).values()) == {"error"}


DL_DD = "def dL_dd(y_pred: float, y_gt: float) -> float:\n    return y_pred - y_gt\n"
assert DL_DD in CORRECT_CODE
RAISING_DL_DD = "def dL_dd(y_pred, y_gt):\n    scale = 1.0\n    raise ValueError('not yet')"


def test_a_raising_function_names_its_cell(tmp_path: Path) -> None:
    cells = [("md", "# BPTT"), ("code", CORRECT_CODE.replace(DL_DD, "")), ("code", RAISING_DL_DD)]
    _, report = check_json(write_notebook(tmp_path, cells), tmp_path)
    d = part(report, "d")
    assert d["status"] == "error"
    assert "raised ValueError: not yet (cell 3, line 3) on case 0" in d["messages"]["en"]
    assert "ValueError：not yet（第 3 个单元格第 3 行）。" in d["messages"]["zh"]
    assert statuses(report)["W"] == "passed"


def test_a_raise_at_top_level_names_its_cell(tmp_path: Path) -> None:
    cells = [
        ("code", CORRECT_CODE),
        ("md", "## settings"),
        ("code", "cfg = {}\nrate = cfg['rate']"),
    ]
    _, report = check_json(write_notebook(tmp_path, cells), tmp_path)
    assert "raised KeyError: 'rate' (cell 3, line 2)" in report["load_error"]["en"]
    assert "（第 3 个单元格第 2 行）" in report["load_error"]["zh"]


BAD_FILES = [
    # not JSON at all
    pytest.param("print('hello')\n", "is not a Jupyter notebook: it is not JSON", id="not-json"),
    # JSON, but a list
    pytest.param("[1, 2, 3]", "is JSON but not a Jupyter notebook", id="json-list"),
    # JSON object without nbformat
    pytest.param('{"cells": []}', "is JSON but not a Jupyter notebook", id="json-no-nbformat"),
    # claims to be a notebook, fails the schema
    pytest.param(
        json.dumps(
            {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [{"cell_type": "x"}]}
        ),
        "is not a valid Jupyter notebook",
        id="invalid-notebook",
    ),
    # a valid notebook with markdown only
    pytest.param(
        nbformat.writes(new_notebook(cells=[new_markdown_cell("my answers: ...")])),
        "has no code cells",
        id="no-code-cells",
    ),
    # nested 100,000 deep: the JSON parser runs out of recursion (a traceback, before)
    pytest.param(
        '{"cells": ' + "[" * 100_000 + "]" * 100_000 + "}",
        "is not a valid notebook: nested too deeply",
        id="nested-too-deeply",
    ),
]


@pytest.mark.parametrize(("text", "expected"), BAD_FILES)
def test_bad_notebook_file_is_a_usage_error(text: str, expected: str, tmp_path: Path) -> None:
    path = tmp_path / "hw.ipynb"
    path.write_text(text, encoding="utf-8")
    proc = run_check(path, tmp_path)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    # Its own line: a warning may come first (no bubblewrap here: the plain backend).
    (error,) = [line for line in proc.stderr.splitlines() if line.startswith("error: ")]
    assert error.startswith("error: hw.ipynb ")
    assert expected in proc.stderr
    assert "Traceback" not in proc.stderr


def test_notebook_over_the_size_limit_is_refused(tmp_path: Path) -> None:
    path = write_notebook(tmp_path, [("md", "x" * 4000), ("code", CORRECT_CODE)])
    proc = run_check(path, tmp_path, env={"GRADER_MAX_SOURCE_KB": "1"})
    assert proc.returncode == 2
    assert "hw.ipynb is" in proc.stderr
    assert "the limit is 1 KiB" in proc.stderr


def test_endless_training_loop_is_a_load_timeout(tmp_path: Path) -> None:
    loop = "epoch = 0\nwhile True:\n    epoch += 1"
    path = write_notebook(tmp_path, [("code", CORRECT_CODE), ("md", "## training"), ("code", loop)])
    started = time.monotonic()
    _, report = check_json(path, tmp_path, env={"GRADER_LIMITS__LOAD_TIMEOUT_S": "2"})
    assert time.monotonic() - started < 60  # stopped at the limit: the rest is start-up
    assert "did not finish within 2 s of CPU time" in report["load_error"]["en"]
    assert set(statuses(report).values()) <= {"timeout", "error"}


def test_input_at_top_level_does_not_hang(tmp_path: Path) -> None:
    path = write_notebook(tmp_path, [("code", CORRECT_CODE), ("code", "name = input('name? ')")])
    _, report = check_json(path, tmp_path, env={"GRADER_LIMITS__LOAD_TIMEOUT_S": "60"})
    # An EOFError, not the load timeout: input() returned at once, whatever the machine's speed.
    assert "EOFError" in report["load_error"]["en"]
    assert "(cell 2, line 1)" in report["load_error"]["en"]


def test_indented_magics_keep_the_block_valid(tmp_path: Path) -> None:
    cells = [
        ("code", CORRECT_CODE),
        ("code", "if True:\n    %time total = 1\n    files = !ls\nelse:\n    np.ones?\n"),
    ]
    code, report = check_json(write_notebook(tmp_path, cells), tmp_path)
    assert code == 0, report["load_error"]
    assert notebook_notes(report) == [
        "dropped 3 IPython magic/shell lines: cell 2 line 2 `%time total = 1`, "
        "cell 2 line 3 `files = !ls`, cell 2 line 5 `np.ones?`"
    ]


WHERE = [
    # a .py file: its own lines
    pytest.param("hw.py", b"x = 1\ny = 2\n", 2, ("line 2", "第 2 行"), id="py"),
    # a notebook: markdown cells count, lines restart in each cell
    pytest.param(
        "hw.ipynb",
        nbformat.writes(
            new_notebook(
                cells=[
                    new_code_cell("a = 1\nb = 2"),
                    new_markdown_cell("text"),
                    new_code_cell("%matplotlib inline\nc = 3"),
                ]
            )
        ).encode(),
        4,
        ("cell 3, line 2", "第 3 个单元格第 2 行"),
        id="ipynb",
    ),
]


@pytest.mark.parametrize(
    "text",
    [
        # the JSON parser's recursion runs out
        pytest.param('{"cells": ' + "[" * 100_000 + "]" * 100_000 + "}", id="json"),
        # valid JSON, but nbformat's reader and validator recurse into the cells
        pytest.param(
            '{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": '
            + "[" * 700
            + "]" * 700
            + "}",
            id="nbformat",
        ),
    ],
)
def test_a_notebook_nested_too_deeply_is_a_submission_error(text: str) -> None:
    # What the web upload and batch grading call: one error type, whatever the bytes.
    with pytest.raises(SubmissionFileError, match=r"^x\.ipynb is not a valid notebook: nested"):
        source_from_bytes("x.ipynb", text.encode())


@pytest.mark.parametrize(("filename", "data", "line", "where"), WHERE)
def test_source_where(filename: str, data: bytes, line: int, where: tuple[str, str]) -> None:
    source = source_from_bytes(filename, data)
    assert (source.where(line).en, source.where(line).zh) == where
    if source.line_map is not None:  # one map entry per generated line
        assert len(source.line_map) == len(source.code.splitlines())
        assert source.code.splitlines()[2] == ""  # the magic became a blank line
