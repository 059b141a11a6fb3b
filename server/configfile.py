"""The optional TOML config file (``--config FILE`` / ``EARSHOT_CONFIG``): lowest precedence after defaults.

Keys are the setting names (``port = 8080``, ``models_dir = "models"``, ``api_keys = ["k1"]``); relative
paths are taken relative to the file. Precedence: CLI flag > EARSHOT_ environment > this file > default.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource

CONFIG_ENV = "EARSHOT_CONFIG"


class ConfigFileError(ValueError):
    """The config file is missing, not TOML, or names an unknown setting."""


def _is_path_field(field: FieldInfo) -> bool:
    return "Path" in str(field.annotation)


def read_config_file(path: Path, settings_cls: type[BaseSettings]) -> dict[str, Any]:
    """Parse the file and check its keys against the settings; resolve relative paths against it."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigFileError(f"config file {path} does not exist") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigFileError(f"config file {path} cannot be read: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigFileError(f"config file {path} is not valid TOML: {exc}") from exc
    fields = settings_cls.model_fields
    unknown = sorted(k for k in data if k not in fields or k == "config")
    if unknown:
        raise ConfigFileError(f"config file {path}: unknown setting(s) {', '.join(unknown)}")
    base = path.resolve().parent
    for key, value in data.items():
        if _is_path_field(fields[key]):
            if isinstance(value, str):
                data[key] = str(base / Path(value).expanduser())
            elif isinstance(value, list):
                data[key] = [str(base / Path(v).expanduser()) if isinstance(v, str) else v for v in value]
    return data


class ConfigFileSource(PydanticBaseSettingsSource):
    """pydantic-settings source reading the config file named by ``config=`` or ``EARSHOT_CONFIG``."""

    def __init__(self, settings_cls: type[BaseSettings], path: str | Path | None) -> None:
        super().__init__(settings_cls)
        self.path = Path(path).expanduser() if path else None
        self.data = read_config_file(self.path, settings_cls) if self.path else {}

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return self.data.get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return dict(self.data)


def config_path(init_kwargs: dict[str, Any]) -> str | Path | None:
    """The config file to read: the ``config`` argument, else ``EARSHOT_CONFIG``."""
    return init_kwargs.get("config") or os.environ.get(CONFIG_ENV) or None
