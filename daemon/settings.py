"""Effective settings: flags > environment > config file > defaults (DESIGN.md, "Settings").

The config file is `$MVSEP_BRIDGE_CONFIG`, else `config.toml` in the platformdirs user config dir.
Environment variables are `MVSEP_BRIDGE_<FIELD>` (nested with `__`); the token also `MVSEP_API_TOKEN`.
"""

from __future__ import annotations

import difflib
import hashlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal, get_args, get_origin
from urllib.parse import urlsplit

import platformdirs
from pydantic import AliasChoices, BaseModel, Field, IPvAnyNetwork, SecretStr, field_validator
from pydantic import ValidationError as PydanticValidationError
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from .errors import ConfigError, shown, validation_problems
from .jobs.model import OutputFormat
from .numbers import Credits, MarginSeconds, Port, SepType, SettleSeconds

APP = "mvsep-bridge"
DEFAULT_BASE_URL = "https://mvsep.com"


def config_path() -> Path:
    """Where the config file is read from and written to."""
    explicit = os.environ.get("MVSEP_BRIDGE_CONFIG")
    if explicit:
        return Path(explicit).expanduser()
    return Path(platformdirs.user_config_dir(APP)) / "config.toml"


class _CheckedToml(TomlConfigSettingsSource):
    """The config file, with every key checked against the settings: a misspelt key (`bakend`)
    would otherwise be ignored and the default used without a word."""

    def __init__(self, settings_cls: type[BaseSettings], toml_file: Path):
        super().__init__(settings_cls, toml_file=toml_file)
        problems = list(unknown_keys(self.toml_data, settings_cls))
        if problems:
            raise ConfigError(f"the config file {toml_file} has {'; '.join(problems)}",
                              hint="rename or remove it; every key is optional")


def unknown_keys(data: Any, model: type[BaseModel], where: str = "") -> Iterator[str]:
    """`unknown key "x.y" (did you mean "x.z"?)` for every key of `data` (nested tables, arrays
    of tables, tables of tables such as presets) that `model` has no field for."""
    if not isinstance(data, dict):
        return
    fields = model.model_fields
    for key, value in data.items():
        name = f"{where}{key}"
        field = fields.get(key)
        if field is None:
            close = difflib.get_close_matches(key, list(fields), n=1)
            yield f'unknown key "{name}"' + (f' (did you mean "{where}{close[0]}"?)' if close else
                                             f" (known: {', '.join(fields)})")
            continue
        annotation = field.annotation
        origin, args = get_origin(annotation), get_args(annotation)
        if _is_model(annotation):
            yield from unknown_keys(value, annotation, f"{name}.")
        elif origin is dict and isinstance(value, dict) and _is_model(args[-1]):
            for item_key, item in value.items():
                yield from unknown_keys(item, args[-1], f"{name}.{item_key}.")
        elif origin is list and isinstance(value, list) and _is_model(args[0]):
            for index, item in enumerate(value):
                yield from unknown_keys(item, args[0], f"{name}[{index}].")


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _expand(path: Path) -> Path:
    return Path(os.path.expanduser(os.path.expandvars(str(path))))


class OscSettings(BaseModel):
    host: str = "127.0.0.1"
    port: Port = 9045  # 0: any free port (announced by `daemon status`)
    reply_host: str = ""  # empty: the sender's host
    reply_port: Port = 0  # 0: the sender's port
    # who may send; empty: loopback only. Required when `host` is beyond loopback.
    allow_from: list[IPvAnyNetwork] = Field(default_factory=list)


class DaemonSettings(BaseModel):
    # a daemon a command started on demand exits after this many idle minutes; 0 = never
    idle_exit_minutes: float = Field(default=10.0, ge=0, le=7 * 24 * 60, allow_inf_nan=False)


#: where bridges may read and write when allowed_roots is not set: the home folder and the usual
#: mount points of removable media and network shares
DEFAULT_ROOTS = ("~", "/media", "/mnt", "/run/media", "/Volumes")


class BudgetSettings(BaseModel):
    max_credits_per_job: Credits | None = None
    max_credits_per_day: Credits | None = None


class Preset(BaseModel):
    """What a hot folder, a sidecar or a bridge asks for: keys as in a job request."""

    sep_type: SepType | None = None
    options: dict[str, str] = Field(default_factory=dict)
    output_format: OutputFormat | None = None

    @field_validator("options", mode="before")
    @classmethod
    def _options_as_strings(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {str(k): str(v) for k, v in value.items()}
        return value


class HotFolder(BaseModel):
    path: Path
    preset: str
    destination: str = ""
    # a file is taken once its size and mtime have not changed for this long (slow copies, uploads)
    settle_seconds: SettleSeconds = 2.0

    @field_validator("path")
    @classmethod
    def _expand_path(cls, value: Path) -> Path:
        return _expand(value)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="MVSEP_BRIDGE_",
        env_nested_delimiter="__",
        extra="ignore",
    )

    api_token: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("api_token", "MVSEP_BRIDGE_API_TOKEN", "MVSEP_API_TOKEN"),
    )
    base_url: str = DEFAULT_BASE_URL
    backend: Literal["auto", "mvsep", "local"] = "auto"
    data_dir: Path = Field(default_factory=lambda: Path(platformdirs.user_data_dir(APP)))
    allowed_roots: list[Path] = Field(default_factory=list)
    # source audio sent on each side of a --start/--length section (where the source has it), so
    # its edges separate as well as its inside; trimmed from the stems, paid for as audio
    section_margin_seconds: MarginSeconds = 2.0
    budget: BudgetSettings = Field(default_factory=BudgetSettings)
    daemon: DaemonSettings = Field(default_factory=DaemonSettings)
    osc: OscSettings = Field(default_factory=OscSettings)
    presets: dict[str, Preset] = Field(default_factory=dict)
    hot_folders: list[HotFolder] = Field(default_factory=list)

    @field_validator("data_dir")
    @classmethod
    def _expand_data_dir(cls, value: Path) -> Path:
        return _expand(value)

    @field_validator("allowed_roots")
    @classmethod
    def _expand_roots(cls, value: list[Path]) -> list[Path]:
        return [_expand(p) for p in value]

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"{shown(value)} is not an http(s) URL, e.g. {DEFAULT_BASE_URL}")
        return value.rstrip("/")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (
            init_settings,
            env_settings,
            _CheckedToml(settings_cls, config_path()),
        )

    @property
    def effective_backend(self) -> Literal["mvsep", "local"]:
        """`auto` means MVSEP when there is a token, else the local engine."""
        if self.backend == "auto":
            return "mvsep" if self.token else "local"
        return self.backend

    @property
    def roots(self) -> list[Path]:
        """allowed_roots, or the defaults when unset (DESIGN.md "One engine")."""
        return self.allowed_roots or [_expand(Path(p)) for p in DEFAULT_ROOTS]

    def identity(self) -> dict[str, Any]:
        """What decides where a job runs, which account pays and what it may spend, without the
        token itself: a command compares its own with the running daemon's."""
        account = hashlib.sha256(self.token.encode()).hexdigest()[:12] if self.token else None
        return {"backend": self.effective_backend, "base_url": self.base_url, "account": account,
                "budget": self.budget.model_dump()}

    @property
    def token(self) -> str | None:
        return self.api_token.get_secret_value() if self.api_token else None


def load_settings(**overrides: Any) -> Settings:
    """Settings with command-line flags as `overrides` (None values are ignored)."""
    flags = {k: v for k, v in overrides.items() if v is not None}
    try:
        return Settings(**flags)
    except PydanticValidationError as exc:
        raise ConfigError(
            f"invalid settings: {validation_problems(exc)}",
            hint=f"fix the config file ({config_path()}) or the MVSEP_BRIDGE_* environment",
        ) from exc
    except (OSError, ValueError) as exc:  # unreadable or malformed TOML
        raise ConfigError(
            f"cannot read the config file {config_path()}: {exc}",
            hint="fix its TOML syntax, or `mvsep-bridge config init` to write a fresh one",
        ) from exc
