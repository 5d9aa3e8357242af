"""Gradescope: build the autograder zip, and grade inside Gradescope's container.

``build_autograder`` writes a zip holding ``setup.sh`` (installs Python, bubblewrap and this
grader into ``/autograder/venv`` when Gradescope builds the image), ``run_autograder`` (grades
``/autograder/submission`` into ``/autograder/results/results.json``), a source copy of the
grader and of the assignment package, and ``secret.txt``: the hidden case set's secret.
Autograder zips are visible to the course staff only; the secret is still deleted from the
container's disk before any student code runs.

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
from grader.batch.discover import code_files
from grader.batch.packaging import requirements_of
from grader.errors import GraderError, SubmissionFileError
from grader.report import GradeReport
from grader.version import __version__

SECRET_FILE = "secret.txt"
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
# /autograder/results/results.json. Gradescope's container is already one per submission, so
# the plain sandbox backend is accepted when bubblewrap cannot run there.
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
{package} = ["*.toml", "*.npz", "template.py", "py.typed"]
"""


def build_autograder(out: Path, secret: str, assignment_path: Path | None = None) -> Path:
    """Write the Gradescope autograder zip to ``out``."""
    assignment = load_assignment(assignment_path)
    package = assignment.root.name
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    with tempfile.TemporaryDirectory() as tmp:
        tree = Path(tmp) / "bptt_grader"
        shutil.copytree(  # the web service has no use in Gradescope's container
            Path(__file__).parents[1], tree / "grader",
            ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "web"),
        )  # fmt: skip
        shutil.copytree(assignment.root, tree / package, ignore=ignore)
        (tree / "pyproject.toml").write_text(
            PYPROJECT.format(
                version=__version__,
                dependencies=json.dumps(requirements_of(tree / "grader")),
                group=ENTRY_POINT_GROUP,
                package=package,
            )
        )
        out.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
            _add(zf, "setup.sh", SETUP_SH, executable=True)
            _add(zf, "run_autograder", RUN_AUTOGRADER, executable=True)
            _add(zf, SECRET_FILE, secret + "\n")
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
    """A report in Gradescope's results.json format: one test per part."""
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
    if report.bonus_score:
        lines[0] += f" (+{report.bonus_score:g} bonus)"
    if report.load_error is not None:
        lines += ["", "Your file failed before any part could run:", report.load_error.en]
    lines += report.notes
    return {
        "score": round(report.score + report.bonus_score, 6),
        "execution_time": round(report.duration_s, 3),
        "output": "\n".join(lines),
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
    }


def _no_grade(message: str) -> dict[str, Any]:
    return {"score": 0.0, "output": message, "visibility": "visible", "tests": []}


def grade_in_container(root: Path) -> dict[str, Any]:
    """Grade the one submission under ``root/submission``; the results.json content."""
    from grader.cases import load_case_set
    from grader.core import grade_source
    from grader.runner.select import choose_backend, require_confined
    from grader.settings import get_settings
    from grader.source import read_source

    secret_path = root / "source" / SECRET_FILE
    settings = get_settings(
        secret_file=secret_path if secret_path.is_file() else None, allow_unconfined=True
    )
    assignment = load_assignment(settings.assignment)
    case_set = load_case_set(assignment, "hidden", settings.resolved_secret())
    # The case set is built: the secret leaves the disk before any student code runs.
    with contextlib.suppress(OSError):
        secret_path.unlink()
    files = code_files(root / "submission", recursive=True)
    if not files:
        return _no_grade("No .py or .ipynb file was submitted: upload your solution file.")
    latest = max(files, key=lambda p: (p.stat().st_mtime, p.name))
    try:
        source = read_source(latest, settings.max_source_kb)
    except SubmissionFileError as exc:
        return _no_grade(f"Your file cannot be graded: {exc}")
    backend = choose_backend(settings, probe=True)
    require_confined(backend, settings)
    settings = settings.model_copy(update={"secret": None, "secret_file": None})
    report = grade_source(source, assignment, settings, case_set=case_set, backend=backend)
    results = results_json(report)
    if len(files) > 1:
        results["output"] += f"\nSeveral files were submitted; graded the latest: {latest.name}"
    return results


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
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False), encoding="utf-8")
    print(f"wrote {out}: score {results['score']:g}")
    return code


if __name__ == "__main__":
    sys.exit(main())
