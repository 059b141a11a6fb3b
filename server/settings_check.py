"""Diagnostics about the settings a user gave: misspelt EARSHOT_ variables, an open server without keys,
and a bad value said in one line (which setting, from which source, what is allowed).
"""

from __future__ import annotations

import difflib
import ipaddress
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from pydantic.fields import FieldInfo

from server.commands.options import base_type, flag_for
from server.configfile import CONFIG_ENV
from server.settings import Settings

PREFIX = "EARSHOT_"
# EARSHOT_ variables read outside Settings: the workers' settings (serve), the benchmark script (bench),
# the container entrypoint (docker/entrypoint.sh) and the test suite (tests/).
OTHER_VARIABLES = frozenset(
    {
        "EARSHOT_SETTINGS_JSON",
        "EARSHOT_BENCH_SCRIPT",
        "EARSHOT_BIN",
        "EARSHOT_VERIFY_ON_START",
        "EARSHOT_TEST_BASE_URL",
        "EARSHOT_TEST_API_KEY",
        "EARSHOT_CHROMIUM",
    }
)


def setting_variables() -> list[str]:
    """``EARSHOT_<NAME>`` of every setting."""
    return [PREFIX + name.upper() for name in Settings.model_fields]


def unknown_variable_warnings(environ: Mapping[str, str]) -> list[str]:
    """One line per ``EARSHOT_`` variable that no setting reads, naming the closest setting's variable."""
    settings = setting_variables()
    known = set(settings) | OTHER_VARIABLES
    by_suffix = {v[len(PREFIX) :]: v for v in settings}
    lines = []
    for name in sorted(environ):
        upper = name.upper()  # pydantic-settings matches names case-insensitively
        if not upper.startswith(PREFIX) or upper in known:
            continue
        close = difflib.get_close_matches(upper[len(PREFIX) :], by_suffix, n=1, cutoff=0.6)
        hint = f"did you mean {by_suffix[close[0]]}?" if close else "see earshot serve --help"
        lines.append(f"{name} is not an Earshot setting and is ignored; {hint}")
    return lines


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback addresses (127.0.0.0/8, ::1); a host name is not assumed local."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def open_server_warning(settings: Settings, port: int) -> str | None:
    """A line when the server listens beyond this machine (on ``port``) and accepts every request."""
    if is_loopback(settings.host) or settings.api_keys or settings.api_keys_file is not None:
        return None
    try:
        everywhere = ipaddress.ip_address(settings.host.strip("[]")).is_unspecified
    except ValueError:
        everywhere = False
    host = f"[{settings.host}]" if ":" in settings.host else settings.host
    where = f"port {port} on any address of this machine" if everywhere else f"{host}:{port}"
    return (
        f"no API keys: anyone who can reach {where} can use the server; "
        "set EARSHOT_API_KEYS (or --api-key / --api-keys-file) to require a key"
    )


def _number(value: float) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _bounds(field: FieldInfo) -> str:
    """``from 0 to 65535``, ``at least 1``, ``greater than 0``..., from the field's constraints."""
    found: dict[str, float] = {}
    for item in field.metadata:  # annotated_types.Ge(ge=1), Le(le=16)... from Field(ge=1, le=16)
        for kind in ("ge", "gt", "le", "lt"):
            if getattr(item, kind, None) is not None:
                found[kind] = getattr(item, kind)
    if "ge" in found and "le" in found:
        return f" from {_number(found['ge'])} to {_number(found['le'])}"
    words = {"ge": "at least", "gt": "greater than", "le": "at most", "lt": "less than"}
    return "".join(f", {words[k]} {_number(v)}" for k, v in found.items())


_KINDS = {int: "an integer", float: "a number", bool: "true or false", Path: "a path", str: "text"}


def allowed_values(field: FieldInfo) -> str:
    """What a setting accepts, in words: ``an integer from 0 to 65535``, ``one of text, json``."""
    base = base_type(field.annotation)
    if typing.get_origin(base) is typing.Literal:
        return "one of " + ", ".join(map(str, typing.get_args(base)))
    if typing.get_origin(base) is list:
        item = base_type(typing.get_args(base)[0])
        items = {str: "strings", Path: "paths"}.get(item, str(item))
        return f"a list of {items} (comma-separated in the environment)"
    return _KINDS.get(base, str(base)) + _bounds(field)


def _source(name: str, flags: Mapping[str, Any], environ: Mapping[str, str]) -> str:
    """Where the value of ``name`` came from, by precedence: flag, environment, config file."""
    if name in flags:
        return f"flag {flag_for(name)}"
    variable = PREFIX + name.upper()
    given = [key for key in environ if key.upper() == variable]
    if given:
        return f"environment {given[0]}"
    config = flags.get("config") or environ.get(CONFIG_ENV)
    return f"config file {config}" if config else "default"


def _shown(name: str, value: Any) -> str:
    if "key" in name:
        return "(hidden)"
    return repr(value) if isinstance(value, str) else str(value)


def settings_error_lines(
    exc: ValidationError, flags: Mapping[str, Any], environ: Mapping[str, str]
) -> list[str]:
    """One line per invalid setting: its name, source, the bad value and what is allowed.

    ``flags`` are the settings given on the command line (they win over the environment, which wins
    over the config file), so the source named is the one whose value was used.
    """
    fields = Settings.model_fields
    lines = []
    for error in exc.errors():
        name = str(error["loc"][0]) if error["loc"] else ""
        if name not in fields:
            lines.append(f"invalid setting: {error['msg']}")
            continue
        source = _source(name, flags, environ)
        value = _shown(name, error.get("input"))
        lines.append(f"setting {name} ({source}) is {value}; allowed: {allowed_values(fields[name])}")
    return lines
