"""The grader's version (also the package version)."""

__version__ = "0.1.0"
