"""bptt-grader: grade BPTT homework submissions in an isolated process.

The core API is :func:`grade`; everything else here is the types it takes and returns.
"""

import os as _os
import sys as _sys
from typing import TYPE_CHECKING

if _sys.argv[:1] == ["-m"] and not _sys.flags.safe_path:
    # `python -m grader` puts the working folder first on sys.path, where a student's
    # numpy.py would be imported by the grader itself, outside the sandbox. Python sets
    # argv[0] to "-m" only while it locates the module being run, so library imports of
    # grader keep their sys.path.
    _cwd = _os.getcwd()
    _sys.path[:] = [p for p in _sys.path if p not in ("", ".", _cwd)]

# Public names are imported on first use (PEP 562), so that a command loads only what it
# uses: `grader check --json` starts its sandbox before numpy is imported here.
_EXPORTS = {
    "Assignment": "grader.assignment",
    "AssignmentError": "grader.errors",
    "CaseResult": "grader.report",
    "CaseSet": "grader.cases",
    "ConfigError": "grader.errors",
    "GradeReport": "grader.report",
    "GraderError": "grader.errors",
    "Limits": "grader.runner.limits",
    "Part": "grader.assignment",
    "PartReport": "grader.report",
    "SandboxError": "grader.errors",
    "SecretError": "grader.errors",
    "Settings": "grader.settings",
    "SubmissionFileError": "grader.errors",
    "Tolerance": "grader.compare",
    "__version__": "grader.version",
    "get_settings": "grader.settings",
    "grade": "grader.core",
    "grade_source": "grader.core",
    "load_assignment": "grader.assignment",
    "load_case_set": "grader.cases",
}


def __getattr__(name: str) -> object:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'grader' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])


if TYPE_CHECKING:  # for type checkers and readers: the names above, eagerly
    from grader.assignment import Assignment, Part, load_assignment
    from grader.cases import CaseSet, load_case_set
    from grader.compare import Tolerance
    from grader.core import grade, grade_source
    from grader.errors import (
        AssignmentError,
        ConfigError,
        GraderError,
        SandboxError,
        SecretError,
        SubmissionFileError,
    )
    from grader.report import CaseResult, GradeReport, PartReport
    from grader.runner.limits import Limits
    from grader.settings import Settings, get_settings
    from grader.version import __version__

__all__ = [
    "Assignment",
    "AssignmentError",
    "CaseResult",
    "CaseSet",
    "ConfigError",
    "GradeReport",
    "GraderError",
    "Limits",
    "Part",
    "PartReport",
    "SandboxError",
    "SecretError",
    "Settings",
    "SubmissionFileError",
    "Tolerance",
    "__version__",
    "get_settings",
    "grade",
    "grade_source",
    "load_assignment",
    "load_case_set",
]
