"""What `earshot serve` says at start: a busy port, misspelt settings, an open server without keys."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.cli import earshot


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
