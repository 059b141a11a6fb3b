"""Diagnostics about the settings a user gave: misspelt EARSHOT_ variables, an open server without keys."""

from __future__ import annotations

import difflib
import ipaddress
from collections.abc import Mapping

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
