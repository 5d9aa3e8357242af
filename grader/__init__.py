"""bptt-grader: grade BPTT homework submissions in an isolated process.

The core API is :func:`grade`; everything else here is the types it takes and returns.
"""

import os as _os
import sys as _sys

if _sys.argv[:1] == ["-m"] and not _sys.flags.safe_path:
    # `python -m grader` puts the working folder first on sys.path, where a student's
    # numpy.py would be imported by the grader itself, outside the sandbox. Python sets
    # argv[0] to "-m" only while it locates the module being run, so library imports of
    # grader keep their sys.path.
    _cwd = _os.getcwd()
    _sys.path[:] = [p for p in _sys.path if p not in ("", ".", _cwd)]

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
