"""Exceptions for the caller's and the operator's mistakes.

A student's crash, timeout, wrong shape or NaN is never an exception: it is a status on the
report. These are for what the person running the grader must fix::

    GraderError
    ├── SubmissionFileError      the file to grade is missing, unreadable, not .py/.ipynb, too big
    ├── AssignmentError          the assignment file or its case sets are missing or invalid
    ├── SecretError              a hidden case set was asked for without a usable secret
    ├── ConfigError              a setting or settings file is invalid
    └── SandboxError             no sandbox backend can run here (or the one asked for cannot)

The CLI maps them to exit status 2 and the web service to 4xx/503 responses.
"""

from __future__ import annotations


class GraderError(Exception):
    """Base class: the message says what went wrong and how to fix it."""


class SubmissionFileError(GraderError):
    pass


class AssignmentError(GraderError):
    pass


class SecretError(GraderError):
    pass


class ConfigError(GraderError):
    pass


class SandboxError(GraderError):
    pass
