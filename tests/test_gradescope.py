"""The Gradescope autograder zip, run for real against a fake /autograder tree."""

from __future__ import annotations

import json
import os
import shutil
import zipfile
from pathlib import Path

import jsonschema
import numpy as np
import pytest
from batch_support import SECRET, SUBMISSIONS, clean_env, grader_cli
from gradescope_support import IN_CONTAINER, build_zip, container, grade_in

from grader.assignment import load_assignment
from grader.cases import CaseSet, load_case_set

# Gradescope's documented results.json format (the parts this autograder writes).
RESULTS_SCHEMA = {
    "type": "object",
    "required": ["score", "tests"],
    "properties": {
        "score": {"type": "number", "minimum": 0},
        "execution_time": {"type": "number", "minimum": 0},
        "output": {"type": "string"},
        "visibility": {"enum": ["visible", "hidden", "after_due_date", "after_published"]},
        "stdout_visibility": {"enum": ["visible", "hidden", "after_due_date", "after_published"]},
        "tests": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["name", "score", "max_score", "status", "output"],
                "properties": {
                    "score": {"type": "number", "minimum": 0},
                    "max_score": {"type": "number", "minimum": 0},
                    "status": {"enum": ["passed", "failed"]},
                    "name": {"type": "string", "minLength": 1},
                    "number": {"type": "string"},
                    "output": {"type": "string"},
                    "visibility": {
                        "enum": ["visible", "hidden", "after_due_date", "after_published"]
                    },
                },
            },
        },
    },
}


@pytest.fixture(scope="module")
def autograder_zip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_zip(tmp_path_factory.mktemp("gradescope"))


def test_zip_holds_the_scripts_the_grader_and_data_but_no_secret_or_reference(
    autograder_zip: Path, tmp_path: Path
) -> None:
    with zipfile.ZipFile(autograder_zip) as zf:
        names = set(zf.namelist())
        assert zf.getinfo("run_autograder").external_attr >> 16 & 0o111
        assert SECRET.encode() not in b"".join(zf.read(n) for n in names)
        (tmp_path / "hidden.npz").write_bytes(zf.read("hidden_cases.npz"))
    hidden = CaseSet.load(tmp_path / "hidden.npz")
    assert {"setup.sh", "run_autograder", "bptt_grader/pyproject.toml"} <= names
    assert "bptt_grader/grader/core.py" in names
    assert "bptt_grader/bptt_public/assignment.toml" in names
    assert not any("__pycache__" in n or "secret" in n for n in names)
    # No code that computes an answer: the data package holds data, the grader no reference.
    data_code = {n for n in names if n.startswith("bptt_grader/bptt_public/") and n.endswith(".py")}
    assert data_code == {
        "bptt_grader/bptt_public/__init__.py",
        "bptt_grader/bptt_public/template.py",
    }
    assert not any(n.startswith("bptt_grader/reference/") for n in names)
    # The hidden set the zip carries is the one the secret makes.
    expected = load_case_set(load_assignment(), "hidden", SECRET)
    assert hidden.kind == "hidden" and len(hidden.cases) == len(expected.cases)
    for ours, theirs in zip(hidden.cases, expected.cases, strict=True):
        for part, answer in theirs.expected.items():
            np.testing.assert_array_equal(ours.expected[part], answer)


def test_build_without_a_secret_exits_2(tmp_path: Path) -> None:
    proc = grader_cli("gradescope", "build", "--out", tmp_path / "a.zip", cwd=tmp_path,
                      env=clean_env())  # fmt: skip
    assert proc.returncode == 2 and "secret" in proc.stderr


@pytest.mark.parametrize(
    ("files", "score", "failed"),
    [
        pytest.param(["correct_loops.py"], 12, 0, id="correct"),  # every test passes: 10 + 2
        pytest.param(["mistake_sign_flip.py"], 0, 7, id="sign-flip"),  # every part fails
        pytest.param([], 0, None, id="nothing-submitted"),  # a clear message, no tests
    ],
)
@IN_CONTAINER[0]
@IN_CONTAINER[1]
def test_run_autograder_writes_valid_results(
    files: list[str], score: float, failed: int | None, autograder_zip: Path, tmp_path: Path
) -> None:
    root = container(tmp_path, autograder_zip)
    for name in files:
        shutil.copy(SUBMISSIONS / name, root / "submission" / name)
    grade_in(root)
    results = json.loads((root / "results" / "results.json").read_text())
    jsonschema.validate(results, RESULTS_SCHEMA)
    assert results["score"] == score
    if failed is None:
        assert results["tests"] == [] and "No .py or .ipynb" in results["output"]
    else:
        assert len(results["tests"]) == 7
        assert sum(t["status"] == "failed" for t in results["tests"]) == failed
        assert sum(t["max_score"] for t in results["tests"]) == 12  # 10, and 2 of bonus
    assert results["tests"] == [] or all(t["output"] for t in results["tests"])


@IN_CONTAINER[0]
@IN_CONTAINER[1]
def test_of_several_files_the_one_defining_the_functions_is_graded(
    autograder_zip: Path, tmp_path: Path
) -> None:
    root = container(tmp_path, autograder_zip)
    shutil.copy(SUBMISSIONS / "correct_loops.py", root / "submission" / "solution.py")
    scratch = root / "submission" / "scratch.py"
    scratch.write_text("print('trying things out')\n")
    os.utime(scratch, (2e9, 2e9))  # the newest file defines none of the functions
    grade_in(root)
    results = json.loads((root / "results" / "results.json").read_text())
    assert results["score"] == 12  # the total: 10 + 2 bonus
    assert "graded solution.py: defines 7 of 7 functions" in results["output"]
