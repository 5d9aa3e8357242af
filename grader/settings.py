"""Settings, from ``GRADER_*`` environment variables, a settings file or keyword arguments.

Each setting is declared once here, with its default and help text; ``grader settings`` prints
them from this one place. Settings are built by :func:`get_settings`, never at import time.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from grader.errors import ConfigError, SecretError
from grader.runner.limits import Limits


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="GRADER_", env_nested_delimiter="__", extra="forbid", frozen=True
    )

    assignment: Path | None = Field(
        None, description="assignment.toml (or its folder); default: the installed assignment"
    )
    secret: SecretStr | None = Field(
        None, description="the instructor's secret that derives the hidden case set"
    )
    secret_file: Path | None = Field(None, description="a file holding the secret")
    sandbox: Literal["auto", "bwrap", "plain"] = Field(
        "auto", description="isolation backend: auto picks bwrap when it works, else plain"
    )
    allow_unconfined: bool = Field(
        False, description="let batch grading and the server run on the plain backend"
    )
    lang: Literal["en", "zh"] = Field("en", description="language of messages")
    max_source_kb: int = Field(256, ge=1, description="largest submission file accepted, KiB")
    limits: Limits = Field(default_factory=Limits, description="per-job resource limits")

    def resolved_secret(self) -> str:
        """The secret from GRADER_SECRET or the secret file."""
        if self.secret is not None and self.secret.get_secret_value():
            return self.secret.get_secret_value()
        if self.secret_file is not None:
            try:
                text = self.secret_file.read_text(encoding="utf-8").strip()
            except OSError as exc:
                raise SecretError(
                    f"cannot read the secret file {self.secret_file}: {exc}"
                ) from None
            if not text:
                raise SecretError(f"the secret file {self.secret_file} is empty")
            return text
        raise SecretError(
            "grading on the hidden case set needs the instructor's secret: set GRADER_SECRET "
            "or GRADER_SECRET_FILE, or pass --secret-file FILE"
        )


def get_settings(**overrides: Any) -> Settings:
    """Settings from the environment, with ``overrides`` (e.g. from CLI options) on top."""
    clean = {k: v for k, v in overrides.items() if v is not None}
    try:
        return Settings(**clean)
    except ValidationError as exc:
        raise ConfigError(f"invalid settings:\n{exc}") from None


def describe_settings() -> list[tuple[str, str, str]]:
    """(environment variable, default, help) for every setting, nested limits included."""
    rows = []
    for name, f in Settings.model_fields.items():
        if name == "limits":
            for lname, lf in Limits.model_fields.items():
                rows.append(
                    (f"GRADER_LIMITS__{lname.upper()}", repr(lf.default), lf.description or "")
                )
            continue
        rows.append((f"GRADER_{name.upper()}", repr(f.default), f.description or ""))
    return rows
