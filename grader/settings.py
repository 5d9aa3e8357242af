"""Settings, from ``GRADER_*`` environment variables, a settings file or keyword arguments.

Each setting is declared once here, with its default and help text; ``grader settings`` prints
them from this one place. Settings are built by :func:`get_settings`, never at import time.
"""

from __future__ import annotations

import os
import tomllib
from contextvars import ContextVar
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, ValidationError
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from grader.errors import ConfigError, SecretError
from grader.runner.limits import Limits

#: The settings file being read by the :func:`get_settings` call in progress (a TOML file).
_SETTINGS_FILE: ContextVar[Path | None] = ContextVar("_SETTINGS_FILE", default=None)


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
    sandbox: Literal["auto", "pool", "bwrap", "plain"] = Field(
        "auto",
        description="isolation backend: auto picks bwrap when it works (a warm pool of it for "
        "batch grading and the server), else plain",
    )
    allow_unconfined: bool = Field(
        False, description="let batch grading and the server run on the plain backend"
    )
    lang: Literal["en", "zh"] = Field("en", description="language of messages")
    max_source_kb: int = Field(256, ge=1, description="largest submission file accepted, KiB")
    limits: Limits = Field(default_factory=Limits, description="per-job resource limits")
    settings_file: Path | None = Field(
        None, description="a TOML file of settings (environment variables take precedence)"
    )
    # The web service (grader serve / server.py).
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
    db_busy_timeout_s: float = Field(
        5.0, gt=0, description="web service: wait this long for a locked database, then 503"
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        path = _SETTINGS_FILE.get()
        if path is None:
            return (init_settings, env_settings)
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls, path))

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'grader.db'}"

    @property
    def resolved_instructor_token_file(self) -> Path:
        return self.instructor_token_file or self.data_dir / "instructor-token"

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
    named = clean.get("settings_file") or os.environ.get("GRADER_SETTINGS_FILE") or None
    path = Path(named) if named else None
    where = ""
    if path is not None:
        _check_settings_file(path)
        where = f" (settings file {path})"
    token = _SETTINGS_FILE.set(path)
    try:
        return Settings(**clean)
    except ValidationError as exc:
        raise ConfigError(f"invalid settings{where}:\n{exc}") from None
    finally:
        _SETTINGS_FILE.reset(token)


def _check_settings_file(path: Path) -> None:
    """A missing or malformed settings file is the operator's mistake: say which and where."""
    try:
        with path.open("rb") as f:
            tomllib.load(f)
    except FileNotFoundError:
        raise ConfigError(
            f"the settings file {path} does not exist: fix GRADER_SETTINGS_FILE or create it"
        ) from None
    except OSError as exc:
        raise ConfigError(f"cannot read the settings file {path}: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"the settings file {path} is not valid TOML: {exc}") from None


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
