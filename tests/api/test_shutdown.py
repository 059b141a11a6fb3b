"""SIGTERM: stop accepting, finish in-flight requests (bounded), exit 0."""

from __future__ import annotations

import httpx


def test_sigterm_exits_zero(server_factory) -> None:
    server = server_factory()
    assert httpx.get(f"{server.base_url}/health").status_code == 200
    assert server.stop() == 0
    assert "Shutting down" in server.log() or "Finished server process" in server.log()
