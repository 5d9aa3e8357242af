"""The package's public names are exactly the ones it means to export."""

import grader


def test_all_is_exactly_the_public_api() -> None:
    assert grader.__all__ == [
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
    for name in grader.__all__:
        assert hasattr(grader, name), name


def test_errors_share_one_base() -> None:
    for name in ("AssignmentError", "ConfigError", "SandboxError", "SecretError",
                 "SubmissionFileError"):  # fmt: skip
        assert issubclass(getattr(grader, name), grader.GraderError)
