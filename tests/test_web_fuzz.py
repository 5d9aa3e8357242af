"""An OpenAPI-driven fuzz of every endpoint (schemathesis): no input makes a 5xx, whether the
caller is a student, the instructor or nobody."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import schemathesis
from environment_support import UntrustedGrading
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from test_web_support import INSTRUCTOR, auth, web_settings

from grader.web.app import create_app


@pytest.mark.slow
def test_no_request_makes_a_server_error(tmp_path: Path, untrusted: UntrustedGrading) -> None:
    # No grading threads: the fuzz is about requests; grading is tested in test_web_api.
    limits = {
        "workers": 0,
        "rate_limit_per_minute": 100_000,
        "queue_max": 100_000,
        "max_pending_per_student": 100_000,
        "max_stored_kb_per_student": 1 << 30,
    }
    app = create_app(
        *web_settings(tmp_path, **limits, **untrusted.settings), backend=untrusted.backend()
    )
    student = app.state.service.store.add_student("fuzz-student")
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [op.ok() for op in schema.get_all_operations()]
    assert len(operations) == 7, [op.label for op in operations]  # every route is fuzzed
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=15, deadline=None, suppress_health_check=list(HealthCheck), database=None
        )
        def fuzz(case: Any) -> None:
            for headers in (auth(student), auth(INSTRUCTOR), {}):
                case.call_and_validate(headers=headers, checks=[not_a_server_error])

        fuzz()
