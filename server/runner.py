"""Run uvicorn so that SIGTERM drains in-flight requests (bounded) and the process exits 0."""

from __future__ import annotations

import signal
from types import FrameType

import uvicorn

from server.settings import Settings


class GracefulServer(uvicorn.Server):
    """uvicorn.Server that treats SIGTERM/SIGINT as a clean stop.

    uvicorn stops accepting, waits for in-flight requests (up to ``timeout_graceful_shutdown``),
    runs the lifespan shutdown, and then re-raises the signal so the exit status is "killed by
    SIGTERM". For a server, a requested stop that completed cleanly is a success: exit 0.
    """

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if self.should_exit and sig == signal.SIGINT:
            self.force_exit = True
        else:
            self.should_exit = True


def run_single(app: object, settings: Settings) -> None:
    """Serve one app in this process until SIGTERM/SIGINT."""
    config = uvicorn.Config(
        app,  # type: ignore[arg-type]
        host=settings.host,
        port=settings.port,
        log_config=None,
        timeout_graceful_shutdown=settings.shutdown_timeout_seconds,
    )
    GracefulServer(config).run()
