"""The student package: the grader, the public cases and the diagnosis data, nothing secret.

``build_bundle`` writes an installable source tree: the ``grader`` package as it is installed
here without the instructor's shells (batch grading, packaging, the web service), and a
data-only package ``bptt_public`` holding the assignment file (without its provider), the
public case set with its expected and catalogued wrong answers, the template and the homework
text. Its README is the assignment's student guide, with the homework beside it. Its
requirements are derived from what it ships (:mod:`grader.batch.packaging`). No reference code
and no hidden seed go in: the hidden set is derived from a secret that only the instructor's
copy ever sees.
"""

from __future__ import annotations

import json
import shutil
import tomllib
from pathlib import Path

from grader.assignment import (
    ASSIGNMENT_FILE,
    ENTRY_POINT_GROUP,
    HOMEWORK_FILES,
    PUBLIC_CASES_FILE,
    STUDENT_GUIDE_FILE,
    Assignment,
    load_assignment,
)
from grader.batch.packaging import requirements_of
from grader.cases import CaseSet, load_case_set, public_recipe, save_public_cases
from grader.errors import GraderError
from grader.feedback_levels import shipped
from grader.version import __version__

DATA_PACKAGE = "bptt_public"


def write_public_data(assignment: Assignment, data: Path) -> Path:
    """The data-only assignment package at ``data``: the assignment file without its provider,
    the public case set (built afresh: a stale stored set never ships; with only the
    diagnosis texts that the assignment's feedback level shows) and the template. No code: the
    student copy and the Gradescope autograder install it in place of the course package."""
    data.mkdir(parents=True)
    (data / "__init__.py").write_text('"""Public data of the assignment: no code."""\n')
    toml = tomllib.loads((assignment.root / ASSIGNMENT_FILE).read_text(encoding="utf-8"))
    source = (assignment.root / ASSIGNMENT_FILE).read_text(encoding="utf-8")
    if "provider" in toml:
        source = "\n".join(
            line for line in source.splitlines() if not line.strip().startswith("provider")
        )
    (data / ASSIGNMENT_FILE).write_text(source + "\n", encoding="utf-8")
    path = data / PUBLIC_CASES_FILE
    if assignment.provider is not None:
        public = CaseSet.load(save_public_cases(assignment, path))
    else:
        public = load_case_set(assignment, "public")
    # Only what the assignment's feedback level shows leaves: a student who sets
    # GRADER_FEEDBACK=solution on their copy finds no formula to show.
    shipped(public, assignment.feedback).save(path, recipe=public_recipe(assignment))
    if assignment.template_path.is_file():
        shutil.copy(assignment.template_path, data / "template.py")
    return data


def build_bundle(out: Path, assignment_path: Path | None = None) -> Path:
    assignment = load_assignment(assignment_path)
    if out.exists() and any(out.iterdir()):
        raise GraderError(f"{out} is not empty: choose a new folder for the student package")
    out.mkdir(parents=True, exist_ok=True)
    grader_src = Path(__file__).parents[1]
    # The instructor's shells (web service, batch grading) stay out of the student copy.
    shutil.copytree(
        grader_src,
        out / "grader",
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "web", "batch"),
    )
    data = write_public_data(assignment, out / DATA_PACKAGE)
    for name in HOMEWORK_FILES.values():  # for grader homework, and beside the README
        if (assignment.root / name).is_file():
            shutil.copy(assignment.root / name, data / name)
            shutil.copy(assignment.root / name, out / name)
    guide = assignment.root / STUDENT_GUIDE_FILE
    if not guide.is_file():
        raise GraderError(f"the assignment has no student guide: {guide} is missing")
    shutil.copy(guide, out / "README.md")
    (out / "pyproject.toml").write_text(
        _PYPROJECT.format(
            version=__version__,
            dependencies=json.dumps(requirements_of(out / "grader")),
            group=ENTRY_POINT_GROUP,
            data=DATA_PACKAGE,
        )
    )
    return out


_PYPROJECT = """\
[build-system]
requires = ["setuptools>=69"]
build-backend = "setuptools.build_meta"

[project]
name = "bptt-grader-student"
version = "{version}"
description = "Local checker for the BPTT homework (public cases only)"
readme = "README.md"
requires-python = ">=3.11"
dependencies = {dependencies}

[project.scripts]
grader = "grader.cli:main"

[project.entry-points."{group}"]
bptt = "{data}"

[tool.setuptools.packages.find]
include = ["grader*", "{data}*"]

[tool.setuptools.package-data]
grader = ["py.typed", "runner/*.py"]
{data} = ["*.toml", "*.npz", "*.md", "template.py"]
"""
