"""What `earshot serve` says at start: a busy port, misspelt settings, an open server without keys."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.cli import REPO, earshot


def warnings_in(log: str) -> list[str]:
    """The messages of the server's own WARNING lines."""
    return [
        line.split(" WARNING earshot [-] ", 1)[1] for line in log.splitlines() if " WARNING earshot" in line
    ]


@pytest.fixture
def busy_port() -> Iterator[int]:
    """A port another program listens on."""
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        yield other.getsockname()[1]


@pytest.mark.parametrize("workers", ["1", "2"])
def test_busy_port_exits_with_one_clear_line(busy_port: int, models_dir: Path, workers: str) -> None:
    env = {"EARSHOT_MODELS_DIR": str(models_dir)}
    result = earshot("serve", "--port", str(busy_port), "--workers", workers, env=env, timeout=180)
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert result.stderr.splitlines() == [
        f"earshot: cannot listen on 127.0.0.1:{busy_port}: address already in use; "
        "pick another --port or stop the other server"
    ]
    assert not re.search(r"\bready\b", output) and "Traceback" not in output  # nothing started


def test_misspelt_variables_are_named_with_the_closest_setting(server_factory) -> None:
    misspelt = {"EARSHOT_API_KEY": "sk-1", "EARSHOT_MAX_UPLOAD": "5", "EARSHOT_FROBNICATE": "1"}
    server = server_factory(env={**misspelt, "EARSHOT_TEST_BASE_URL": "x"}, wait_ready=False)
    assert warnings_in(server.log()) == [
        "EARSHOT_API_KEY is not an Earshot setting and is ignored; did you mean EARSHOT_API_KEYS?",
        "EARSHOT_FROBNICATE is not an Earshot setting and is ignored; see earshot serve --help",
        "EARSHOT_MAX_UPLOAD is not an Earshot setting and is ignored; did you mean EARSHOT_MAX_UPLOAD_BYTES?",
    ]


def test_doctor_warns_about_misspelt_variables_too() -> None:
    result = earshot("doctor", "--url", "http://127.0.0.1:9", env={"EARSHOT_PROT": "8000"}, timeout=60)
    assert "earshot: warning: EARSHOT_PROT is not an Earshot setting" in result.stderr
    assert "did you mean EARSHOT_PORT?" in result.stderr


def project_files() -> Iterator[Path]:
    """Source, scripts, docs, CI and deployment files (not tests/cli: it misspells on purpose)."""
    for path in REPO.rglob("*"):
        parts = path.relative_to(REPO).parts
        hidden = parts[0].startswith(".") and parts[0] != ".ci"  # .git, the virtual environments
        if hidden or parts[0].endswith(".egg-info") or parts[:2] == ("tests", "cli"):
            continue
        if path.is_file() and path.suffix in {".py", ".sh", ".md", ".toml", ".yaml", ".yml", ""}:
            yield path


def test_every_earshot_variable_the_project_reads_is_known() -> None:
    from server.settings_check import OTHER_VARIABLES, setting_variables

    known = set(setting_variables()) | OTHER_VARIABLES
    found: dict[str, Path] = {}
    for path in project_files():
        for name in re.findall(r"EARSHOT_[A-Z0-9_]*[A-Z0-9]\b", path.read_text(errors="replace")):
            found.setdefault(name, path)
    unknown = {name: str(path) for name, path in found.items() if name not in known}
    assert not unknown, f"add these to OTHER_VARIABLES in server/settings_check.py: {unknown}"
    assert "EARSHOT_TEST_BASE_URL" in found and "EARSHOT_MODELS_DIR" in found  # the scan saw the tree


def test_an_open_server_without_keys_is_warned_about(server_factory) -> None:
    open_to_all = server_factory(args=["--host", "0.0.0.0"], wait_ready=False)
    port = open_to_all.base_url.rsplit(":", 1)[1]
    assert warnings_in(open_to_all.log()) == [
        f"no API keys: anyone who can reach port {port} on any address of this machine can use the server; "
        "set EARSHOT_API_KEYS (or --api-key / --api-keys-file) to require a key"
    ]
    with_keys = server_factory(args=["--host", "0.0.0.0"], env={"EARSHOT_API_KEYS": "k"}, wait_ready=False)
    assert warnings_in(with_keys.log()) == []
    local = server_factory(args=["--host", "127.0.0.1"], wait_ready=False)
    assert warnings_in(local.log()) == []
