"""The student package: the grader, the public cases and the diagnosis data, nothing secret.

``build_bundle`` writes an installable source tree: the ``grader`` package as it is installed
here, and a data-only package ``bptt_public`` holding the assignment file (without its
provider), the public case set with its expected and catalogued wrong answers, and the
template. No reference code and no hidden seed go in: the hidden set is derived from a secret
that only the instructor's copy ever sees.
"""

from __future__ import annotations

import shutil
import tomllib
from pathlib import Path

from grader.assignment import ASSIGNMENT_FILE, ENTRY_POINT_GROUP, PUBLIC_CASES_FILE, load_assignment
from grader.cases import load_case_set, public_recipe, save_public_cases
from grader.errors import GraderError
from grader.version import __version__

DATA_PACKAGE = "bptt_public"


def build_bundle(out: Path, assignment_path: Path | None = None) -> Path:
    assignment = load_assignment(assignment_path)
    if out.exists() and any(out.iterdir()):
        raise GraderError(f"{out} is not empty: choose a new folder for the student package")
    out.mkdir(parents=True, exist_ok=True)
    grader_src = Path(__file__).parent
    # The instructor's shells (web service, batch grading) stay out of the student copy.
    shutil.copytree(
        grader_src,
        out / "grader",
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "web", "batch"),
    )
    data = out / DATA_PACKAGE
    data.mkdir()
    (data / "__init__.py").write_text('"""Public data of the assignment: no code."""\n')
    toml = tomllib.loads((assignment.root / ASSIGNMENT_FILE).read_text(encoding="utf-8"))
    source = (assignment.root / ASSIGNMENT_FILE).read_text(encoding="utf-8")
    if "provider" in toml:
        source = "\n".join(
            line for line in source.splitlines() if not line.strip().startswith("provider")
        )
    (data / ASSIGNMENT_FILE).write_text(source + "\n", encoding="utf-8")
    if assignment.provider is not None:  # built afresh: a stale stored set never ships
        save_public_cases(assignment, data / PUBLIC_CASES_FILE)
    else:
        public = load_case_set(assignment, "public")
        public.save(data / PUBLIC_CASES_FILE, recipe=public_recipe(assignment))
    if assignment.template_path.is_file():
        shutil.copy(assignment.template_path, data / "template.py")
    (out / "pyproject.toml").write_text(
        _PYPROJECT.format(
            version=__version__,
            group=ENTRY_POINT_GROUP,
            data=DATA_PACKAGE,
        )
    )
    (out / "README.md").write_text(
        "# bptt-grader (student copy)\n\n"
        "Install: `pip install .`; check your work: `grader check submission.py`.\n"
        "Start from `grader template`.\n"
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
requires-python = ">=3.11"
dependencies = ["numpy>=2.0", "pydantic>=2.6", "pydantic-settings>=2.2", "typer>=0.12",
                "rich>=13"]

[project.scripts]
grader = "grader.cli:main"

[project.entry-points."{group}"]
bptt = "{data}"

[tool.setuptools.packages.find]
include = ["grader*", "{data}*"]

[tool.setuptools.package-data]
grader = ["py.typed", "runner/*.py"]
{data} = ["*.toml", "*.npz", "template.py"]
"""
