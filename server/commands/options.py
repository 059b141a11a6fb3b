"""Command-line flags generated from :class:`server.settings.Settings`, so every setting has one.

``--models-dir`` for ``models_dir``; list settings take a repeatable flag in the singular
(``--api-key K --api-key K2``); each flag's help names its environment variable and default.
"""

from __future__ import annotations

import argparse
import types
import typing
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic.fields import FieldInfo

from server.settings import Settings

# Repeatable flags read better in the singular.
_SINGULAR = {"api_keys": "api_key", "extra_manifests": "extra_manifest"}
_PLACEHOLDERS = {"models_dir": "~/.local/share/earshot/models", "cpu_threads": "cores // workers"}


def base_type(annotation: Any) -> Any:
    """``int | None`` -> int; ``Annotated[list[Path], ...]`` -> list[Path]."""
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return base_type(args[0])
    if origin in (typing.Union, types.UnionType) and len(args) == 1:
        return base_type(args[0])
    return annotation


def flag_for(name: str) -> str:
    """The command-line flag of a setting: ``--max-upload-bytes``, ``--api-key``."""
    return "--" + _SINGULAR.get(name, name).replace("_", "-")


def _default_text(name: str, field: FieldInfo) -> str:
    if name in _PLACEHOLDERS:
        return _PLACEHOLDERS[name]
    if field.default_factory is not None:
        value = field.default_factory()  # type: ignore[call-arg]
        return "none" if value in ([], None) else str(value)
    return "none" if field.default is None else str(field.default)


def add_setting_flags(parser: argparse.ArgumentParser, names: Iterable[str] | None = None) -> None:
    """Add one flag per setting (all settings unless ``names`` is given)."""
    fields = Settings.model_fields
    for name in names if names is not None else fields:
        field = fields[name]
        base = base_type(field.annotation)
        flag = flag_for(name)
        help_text = (
            f"{field.description or ''} [env EARSHOT_{name.upper()}; default {_default_text(name, field)}]"
        )
        kwargs: dict[str, Any] = {"dest": name, "help": help_text.replace("%", "%%"), "default": None}
        if typing.get_origin(base) is list:
            kwargs["action"] = "append"
            kwargs["metavar"] = "VALUE"
        elif typing.get_origin(base) is typing.Literal:
            kwargs["choices"] = list(typing.get_args(base))
        elif base is bool:
            kwargs["action"] = argparse.BooleanOptionalAction
        elif base in (int, float):
            kwargs["type"] = base
        elif base is Path:
            kwargs["metavar"] = "PATH"
        parser.add_argument(flag, **kwargs)


def given_settings(args: argparse.Namespace) -> dict[str, Any]:
    """The settings given as flags on this command line (name -> value)."""
    fields = Settings.model_fields
    return {k: v for k, v in vars(args).items() if k in fields and v is not None}


def settings_from_args(args: argparse.Namespace) -> Settings:
    """Settings from the flags that were given, then EARSHOT_ environment, then config file, then defaults."""
    return Settings(**given_settings(args))
