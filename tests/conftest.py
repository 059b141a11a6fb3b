"""Fixtures: the real server on a free port, and an official openai client pointed at it.

Set EARSHOT_TEST_BASE_URL (and EARSHOT_TEST_API_KEY) to run the API suite against any deployment.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import openai
import pytest

from tests.support.server import RunningServer, start_server

EXTERNAL_URL = os.environ.get("EARSHOT_TEST_BASE_URL")


@pytest.fixture(scope="session")
def models_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One writable models directory for the whole session (materialised once)."""
    return tmp_path_factory.mktemp("models")


@pytest.fixture(scope="session")
def server_logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where server logs go."""
    return tmp_path_factory.mktemp("server-logs")


@pytest.fixture(scope="session")
def base_url(models_dir: Path, server_logs: Path) -> Iterator[str]:
    """Base URL of the server under test (a real uvicorn subprocess unless EARSHOT_TEST_BASE_URL is set)."""
    if EXTERNAL_URL:
        yield EXTERNAL_URL.rstrip("/")
        return
    server = start_server(server_logs, models_dir)
    try:
        yield server.base_url
    finally:
        server.stop()


@pytest.fixture(scope="session")
def client(base_url: str) -> openai.OpenAI:
    """The official SDK, no retries, so every status reaches the test."""
    key = os.environ.get("EARSHOT_TEST_API_KEY", "sk-unused")
    return openai.OpenAI(base_url=f"{base_url}/v1", api_key=key, max_retries=0, timeout=300)


@pytest.fixture
def server_factory(models_dir: Path, server_logs: Path) -> Iterator[Callable[..., RunningServer]]:
    """Start extra servers with their own settings; all are stopped after the test."""
    if EXTERNAL_URL:
        pytest.skip("needs a local server with custom settings")
    started: list[RunningServer] = []

    def factory(env: dict[str, str] | None = None, args: list[str] | None = None, **kw) -> RunningServer:
        kw.setdefault("models_dir", models_dir)
        server = start_server(server_logs, env=env, args=args, **kw)
        started.append(server)
        return server

    yield factory
    for server in started:
        server.stop()
