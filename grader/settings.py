"""Settings, from ``GRADER_*`` environment variables, a settings file or keyword arguments.

Each setting is declared once, with its default and help text; ``grader settings`` prints them
from there. The core's are here; a shell's own (the web service's ``WebSettings``) are declared
in its package, named in :data:`SHELL_SETTINGS`, and read from the same environment and the same
settings file: each model takes the file's keys that no other model owns, so a key that none
declares is still refused. Settings are built by :func:`get_settings` (a shell's by
:func:`load_settings`), never at import time.
"""

from __future__ import annotations

import importlib
import os
import tomllib
from contextvars import ContextVar
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, Field, JsonValue, SecretStr, ValidationError
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from grader.errors import ConfigError, SecretError
from grader.report import FeedbackLevel
from grader.runner.limits import Limits

#: Settings that only the instructor's shells use: ``grader settings`` lists them only where
#: those shells are installed (the student copy has neither).
INSTRUCTOR: dict[str, JsonValue] = {"shell": "grader.batch grader.web"}

#: The shells' own settings models (``module:class``), used where the shell is installed.
SHELL_SETTINGS = ("grader.web.settings:WebSettings",)

#: The settings file being read by the :func:`load_settings` call in progress (a TOML file).
_SETTINGS_FILE: ContextVar[Path | None] = ContextVar("_SETTINGS_FILE", default=None)


class SettingsModel(BaseSettings):
    """What the core's and each shell's settings share: ``GRADER_*`` variables win over the
    settings file; unknown keyword arguments and file keys are refused."""

    model_config = SettingsConfigDict(
        env_prefix="GRADER_", env_nested_delimiter="__", extra="forbid", frozen=True
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
        models: list[type[SettingsModel]] = [Settings, *shell_settings()]
        others = frozenset(
            name for model in models if model is not settings_cls for name in model.model_fields
        )
        return (init_settings, env_settings, _SettingsFile(settings_cls, path, others))


class _SettingsFile(TomlConfigSettingsSource):
    """The settings file, without the keys another settings model owns."""

    def __init__(self, settings_cls: type[BaseSettings], path: Path, others: frozenset[str]):
        self._others = others  # read by _read_file, which the base's __init__ calls
        super().__init__(settings_cls, path)

    def _read_file(self, file_path: Any) -> dict[str, Any]:
        data = super()._read_file(file_path)
        return {k: v for k, v in data.items() if k not in self._others}


class Settings(SettingsModel):
    assignment: Path | None = Field(
        None, description="assignment.toml (or its folder); default: the installed assignment"
    )
    secret: SecretStr | None = Field(
        None,
        description="the instructor's secret that derives the hidden case set",
        json_schema_extra=INSTRUCTOR,
    )
    secret_file: Path | None = Field(
        None, description="a file holding the secret", json_schema_extra=INSTRUCTOR
    )
    sandbox: Literal["auto", "pool", "bwrap", "plain"] = Field(
        "auto",
        description="isolation backend: auto picks bwrap when it works (a warm pool of it for "
        "batch grading and the server), else plain",
    )
    allow_unconfined: bool = Field(
        False,
        description="let batch grading and the server run on the plain backend",
        json_schema_extra=INSTRUCTOR,
    )
    lang: Literal["en", "zh"] = Field("en", description="language of messages")
    feedback: FeedbackLevel | None = Field(
        None,
        description="how much a failed part's message gives away: verdict, mistake or "
        "solution; default: the assignment's feedback key",
    )
    max_source_kb: int = Field(256, ge=1, description="largest submission file accepted, KiB")
    limits: Limits = Field(default_factory=Limits, description="per-job resource limits")
    settings_file: Path | None = Field(
        None, description="a TOML file of settings (environment variables take precedence)"
    )

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


SettingsT = TypeVar("SettingsT", bound=SettingsModel)


def get_settings(**overrides: Any) -> Settings:
    """Settings from the environment, with ``overrides`` (e.g. from CLI options) on top."""
    return load_settings(Settings, **overrides)


def load_settings(model: type[SettingsT], **overrides: Any) -> SettingsT:
    """``model`` (:class:`Settings` or a shell's) from the environment and the settings file
    (``settings_file``, else GRADER_SETTINGS_FILE), with ``overrides`` on top; None is unset."""
    clean = {k: v for k, v in overrides.items() if v is not None}
    named = clean.get("settings_file") or os.environ.get("GRADER_SETTINGS_FILE") or None
    if "settings_file" not in model.model_fields:
        clean.pop("settings_file", None)
    path = Path(named) if named else None
    where = ""
    if path is not None:
        _check_settings_file(path)
        where = f" (settings file {path})"
    token = _SETTINGS_FILE.set(path)
    try:
        return model(**clean)
    except ValidationError as exc:
        raise ConfigError(f"invalid settings{where}:\n{exc}") from None
    finally:
        _SETTINGS_FILE.reset(token)


def shell_settings() -> list[type[SettingsModel]]:
    """The settings models of the installed shells (:data:`SHELL_SETTINGS`)."""
    models = []
    for ref in SHELL_SETTINGS:
        module_name, _, name = ref.partition(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name is None or not module_name.startswith(exc.name):
                raise
            continue  # the shell is not installed (the student copy)
        model = getattr(module, name)
        assert isinstance(model, type) and issubclass(model, SettingsModel), ref
        models.append(model)
    return models


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


def settings_in_effect() -> list[tuple[str, str, str, str]]:
    """(environment variable, value in effect, where it came from, help) for every setting this
    installation uses, nested limits included. Secrets show as ``**********``."""
    models = [get_settings(), *(load_settings(model) for model in shell_settings())]
    named = os.environ.get("GRADER_SETTINGS_FILE") or None
    in_file: dict[str, Any] = {}
    if named:
        with Path(named).open("rb") as f:  # checked by get_settings
            in_file = tomllib.load(f)
    env = {k.upper() for k in os.environ}
    rows = []
    leaves = [leaf for model in models for leaf in _fields(model, in_file)]
    for name, field, value, file_value in leaves:
        if not _installed(field.json_schema_extra):
            continue
        var = f"GRADER_{name.upper()}"
        if var in env or (name.startswith("limits__") and "GRADER_LIMITS" in env):
            source = "environment"
        elif file_value is not _MISSING:
            source = f"settings file {named}"
        else:
            source = "default"
        shown = (
            "**********" if isinstance(value, SecretStr)
            else "-" if value is None
            else str(value) if isinstance(value, Path)
            else repr(value)
        )  # fmt: skip
        rows.append((var, shown, source, field.description or ""))
    return rows


_MISSING = object()


def _fields(
    model: BaseModel, in_file: dict[str, Any], prefix: str = ""
) -> list[tuple[str, Any, Any, Any]]:
    """(name, field, value, value in the settings file) for each leaf setting; a nested model's
    fields are named ``outer__inner`` like their environment variables."""
    leaves = []
    for name, field in type(model).model_fields.items():
        value = getattr(model, name)
        file_value = in_file.get(name, _MISSING) if isinstance(in_file, dict) else _MISSING
        if isinstance(value, BaseModel):
            nested = file_value if isinstance(file_value, dict) else {}
            leaves += _fields(value, nested, f"{prefix}{name}__")
        else:
            leaves.append((f"{prefix}{name}", field, value, file_value))
    return leaves


def _installed(extra: Any) -> bool:
    """Whether a setting's shell (``json_schema_extra["shell"]``, any of the modules named) is
    installed; settings of the core have none."""
    if not isinstance(extra, dict) or not isinstance(extra.get("shell"), str):
        return True
    import importlib.util

    return any(importlib.util.find_spec(m) is not None for m in extra["shell"].split())
