"""Gradescope: build the autograder zip, and grade inside Gradescope's container.

``build_autograder`` writes a zip holding ``setup.sh`` (installs Python, bubblewrap and this
grader into ``/autograder/venv`` when Gradescope builds the image), ``run_autograder`` (grades
``/autograder/submission`` into ``/autograder/results/results.json``), a source copy of the
grader and of the assignment's public data (no reference code: the same data package as the
student copy), and ``hidden_cases.npz``: the hidden case set with its expected answers, built
from the secret when the zip is built. Neither the secret nor any code that computes an answer
reaches the container.

In the container the grader runs as root; student code never does. Before any of it runs,
everything of ``/autograder`` but the submission and the venv is made private to root (the
hidden cases, the results folder, Gradescope's metadata). The submission runs in the hardened
sandbox where bubblewrap works there, else in the plain backend as a uid of its own that can
write nothing of ``/autograder``; every process of that uid is killed before ``results.json``
is written, last and atomically. A container where neither holds is refused.

``python -m grader.batch.gradescope`` is what ``run_autograder`` calls. ``AUTOGRADER_ROOT``
(default ``/autograder``) moves the whole tree, which is how the tests run it.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from grader.assignment import ENTRY_POINT_GROUP, load_assignment
from grader.batch.bundle import DATA_PACKAGE, write_public_data
from grader.batch.discover import one_student
from grader.batch.packaging import requirements_of
from grader.cases import load_case_set
from grader.errors import ConfigError, GraderError, SandboxError, SubmissionFileError
from grader.report import GradeReport
from grader.runner.backend import SandboxBackend
from grader.version import __version__

HIDDEN_CASES = "hidden_cases.npz"
SETUP_SH = """\
#!/usr/bin/env bash
# Gradescope runs this once when it builds the autograder image. Pick a base image with
# Python 3.11 or newer (Ubuntu 24.04 ships 3.12).
set -euo pipefail
ROOT="${AUTOGRADER_ROOT:-/autograder}"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3 python3-venv python3-pip bubblewrap
python3 -m venv "$ROOT/venv"
"$ROOT/venv/bin/pip" install -q "$ROOT/source/bptt_grader"
"""

RUN_AUTOGRADER = """\
#!/usr/bin/env bash
# Gradescope runs this for each submission: grade /autograder/submission into
# /autograder/results/results.json. Where bubblewrap cannot run in the container, the plain
# backend is accepted: its jobs run as an unprivileged uid of their own (see the grader's
# grader/batch/gradescope.py).
set -euo pipefail
ROOT="${AUTOGRADER_ROOT:-/autograder}"
PY="${PYTHON:-}"
if [ -z "$PY" ]; then
  if [ -x "$ROOT/venv/bin/python" ]; then PY="$ROOT/venv/bin/python"; else PY=python3; fi
fi
export AUTOGRADER_ROOT="$ROOT"
export GRADER_ALLOW_UNCONFINED=1
cd "$ROOT"
exec "$PY" -m grader.batch.gradescope
"""

PYPROJECT = """\
[build-system]
requires = ["setuptools>=69"]
build-backend = "setuptools.build_meta"

[project]
name = "bptt-grader-autograder"
version = "{version}"
requires-python = ">=3.11"
dependencies = {dependencies}

[project.entry-points."{group}"]
bptt = "{package}"

[tool.setuptools.packages.find]
include = ["grader*", "{package}*"]

[tool.setuptools.package-data]
grader = ["py.typed", "runner/*.py", "batch/templates/*.j2"]
{package} = ["*.toml", "*.npz", "template.py"]
"""


def build_autograder(out: Path, secret: str, assignment_path: Path | None = None) -> Path:
    """Write the Gradescope autograder zip to ``out`` (see the module docstring)."""
    assignment = load_assignment(assignment_path)
    hidden = load_case_set(assignment, "hidden", secret)
    with tempfile.TemporaryDirectory() as tmp:
        tree = Path(tmp) / "bptt_grader"
        shutil.copytree(  # the web service has no use in Gradescope's container
            Path(__file__).parents[1], tree / "grader",
            ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "web"),
        )  # fmt: skip
        write_public_data(assignment, tree / DATA_PACKAGE)
        (tree / "pyproject.toml").write_text(
            PYPROJECT.format(
                version=__version__,
                dependencies=json.dumps(requirements_of(tree / "grader")),
                group=ENTRY_POINT_GROUP,
                package=DATA_PACKAGE,
            )
        )
        out.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
            _add(zf, "setup.sh", SETUP_SH, executable=True)
            _add(zf, "run_autograder", RUN_AUTOGRADER, executable=True)
            info = zipfile.ZipInfo(HIDDEN_CASES, date_time=(2026, 1, 1, 0, 0, 0))
            info.external_attr = 0o600 << 16
            zf.writestr(info, hidden.to_npz_bytes(), zipfile.ZIP_STORED)  # compressed already
            for path in sorted(tree.rglob("*")):
                if path.is_file():
                    zf.write(path, path.relative_to(tmp).as_posix())
    return out


def _add(zf: zipfile.ZipFile, name: str, text: str, *, executable: bool = False) -> None:
    info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
    info.external_attr = (0o755 if executable else 0o600) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    zf.writestr(info, text)


def results_json(report: GradeReport) -> dict[str, Any]:
    """A report in Gradescope's results.json format: one test per part, a bonus part's test
    worth its points; the submission's score is the total (required plus bonus: Gradescope
    shows a score above the assignment's points as extra credit)."""
    tests = [
        {
            "number": str(i),
            "name": f"{p.label} ({p.name})" + (" [bonus]" if p.bonus else ""),
            "score": p.score,
            "max_score": p.max_score,
            "status": "passed" if p.status == "passed" else "failed",
            "output": p.message,
            "visibility": "visible",
        }
        for i, p in enumerate(report.parts, start=1)
    ]
    lines = [f"Score: {report.score:g}/{report.max_score:g}"]
    if report.max_bonus:  # as every output shows it
        lines[0] += f" · Bonus: {report.bonus_score:g}/{report.max_bonus:g}"
        lines[0] += f" · Total: {report.total:g}"
    if report.load_error is not None:
        lines += ["", "Your file failed before any part could run:", report.load_error.en]
    lines += report.notes
    return {
        "score": report.total,
        "execution_time": round(report.duration_s, 3),
        "output": "\n".join(lines),
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
    }


def _no_grade(message: str) -> dict[str, Any]:
    return {"score": 0.0, "output": message, "visibility": "visible", "tests": []}


#: What of the container's tree the submission's jobs may still read: the submission (which
#: the grader sends them anyway) and the venv (their Python and numpy).
_SHARED = frozenset({"submission", "venv"})


def lock_down(root: Path) -> None:
    """Make everything under ``root`` but the submission and the venv private to root (the
    hidden cases, the results folder, Gradescope's metadata); ``root`` itself stays
    searchable, so that the venv can be reached. Symbolic links are left alone."""
    root.chmod(0o711)
    for entry in root.iterdir():
        if entry.name in _SHARED or entry.is_symlink():
            continue
        entry.chmod(0o700 if entry.is_dir() else 0o600)


def grade_in_container(root: Path) -> dict[str, Any]:
    """Grade the one submission under ``root/submission``; the results.json content."""
    from grader.cases import CaseSet
    from grader.core import Grader
    from grader.settings import get_settings
    from grader.source import read_regular_file, source_from_bytes

    results_dir = root / "results"
    results_dir.mkdir(exist_ok=True)
    lock_down(root)
    cases_path = root / "source" / HIDDEN_CASES
    if not cases_path.is_file():
        raise ConfigError(
            f"{cases_path} is missing: rebuild the autograder zip with `grader gradescope build`"
        )
    settings = get_settings(allow_unconfined=True)
    grader = Grader(settings, case_set=CaseSet.load(cases_path), untrusted=True)
    backend: SandboxBackend | None = None
    try:
        backend = grader.backend
        if not (backend.confined or getattr(backend, "drop_privileges", False)):
            raise SandboxError(
                "neither bubblewrap nor a uid of the job's own works in this container, so "
                "student code would run as root beside results.json: " + "; ".join(grader.notes)
            )
        functions = [p.function for p in grader.assignment.parts]
        sub = one_student(root / "submission", "you", functions)
        if sub.path is None:
            return _no_grade(
                "No .py or .ipynb file was submitted: upload your solution file."
                if sub.error is None or sub.error.startswith("no ")
                else f"Your submission cannot be graded: {sub.error}"
            )
        try:
            data = read_regular_file(sub.path, settings.max_source_kb << 10, inside=root)
            source = source_from_bytes(sub.path.name, data)
        except SubmissionFileError as exc:
            return _no_grade(f"Your file cannot be graded: {exc}")
        report = grader.grade_source(source)
    finally:
        # Whatever a job left behind (processes, files that could fill the disk), before
        # results.json is written.
        clean_up = getattr(backend, "clean_up", None)
        if clean_up is not None:
            clean_up()
        grader.close()
    results = results_json(report)
    if sub.file_choice:
        results["output"] += f"\nSeveral files were submitted; graded {sub.file_choice}"
    return results


def write_results(path: Path, results: dict[str, Any]) -> None:
    """results.json, whole or not at all: a private file in its folder, renamed over it."""
    text = json.dumps(results, indent=2, ensure_ascii=False)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".results.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def main() -> int:
    root = Path(os.environ.get("AUTOGRADER_ROOT", "/autograder"))
    try:
        results = grade_in_container(root)
    except GraderError as exc:
        print(f"error: {exc}", file=sys.stderr)
        results = _no_grade(f"The autograder is misconfigured ({exc}); tell the course staff.")
        code = 1
    else:
        code = 0
    out = root / "results" / "results.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    write_results(out, results)
    print(f"wrote {out}: score {results['score']:g}")
    return code


if __name__ == "__main__":
    sys.exit(main())
