"""The web service's settings: where it listens, where it keeps its data, and its caps.

They are read like the core's :class:`~grader.settings.Settings`, from the same ``GRADER_*``
variables and the same settings file, and ``grader settings`` lists them where this package is
installed (see :data:`grader.settings.SHELL_SETTINGS`). Built by :func:`get_web_settings`,
never at import time.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr

from grader.settings import SettingsModel, load_settings


class WebSettings(SettingsModel):
    host: str = Field("127.0.0.1", description="web service: address to listen on")
    port: int = Field(8000, ge=0, le=65535, description="web service: port to listen on")
    data_dir: Path = Field(
        Path("grader-data"), description="web service: folder for uploads, database, token"
    )
    database_url: str | None = Field(
        None, description="web service: SQLAlchemy URL; default sqlite in the data folder"
    )
    instructor_token: SecretStr | None = Field(
        None, description="web service: the instructor's token; default: generated into a file"
    )
    instructor_token_file: Path | None = Field(
        None, description="web service: where the generated instructor token is kept (0600)"
    )
    workers: int = Field(
        2, ge=0, description="web service: grading threads (0: accept but do not grade)"
    )
    queue_max: int = Field(
        1000, ge=1, description="web service: submissions waiting at most, then 503"
    )
    rate_limit_per_minute: int = Field(
        5, ge=1, description="web service: uploads per student per minute, then 429"
    )
    max_pending_per_student: int = Field(
        3,
        ge=1,
        description="web service: a student's submissions waiting or being graded, then 429",
    )
    max_stored_kb_per_student: int = Field(
        10 << 10,
        ge=1,
        description="web service: the sum of a student's submissions' sizes, KiB, then 413",
    )
    db_busy_timeout_s: float = Field(
        5.0, gt=0, description="web service: wait this long for a locked database, then 503"
    )
    show_hidden_details: bool = Field(
        False,
        description="web service: show students each hidden case's error sizes and what their "
        "code printed (they can rebuild expected answers from those); the instructor always sees "
        "them",
    )

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'grader.db'}"

    @property
    def resolved_instructor_token_file(self) -> Path:
        return self.instructor_token_file or self.data_dir / "instructor-token"


def get_web_settings(**overrides: Any) -> WebSettings:
    """The web service's settings from the environment and the settings file, with
    ``overrides`` (e.g. from ``grader serve`` options) on top."""
    return load_settings(WebSettings, **overrides)
