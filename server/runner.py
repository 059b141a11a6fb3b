"""Run uvicorn so that SIGTERM drains in-flight requests (bounded) and the process exits 0.

The listening socket is bound here, before the app is built: a busy port fails at once with one line
(:class:`ListenError`), not after the models load and "ready" is logged.
"""

from __future__ import annotations

import errno
import signal
import socket
from types import FrameType

import uvicorn

from server.settings import Settings

_ADVICE = {
    errno.EADDRINUSE: "address already in use; pick another --port or stop the other server",
    errno.EACCES: "permission denied (ports below 1024 need privileges); pick a --port above 1023",
    errno.EADDRNOTAVAIL: "this machine has no such address; pick a --host it has (127.0.0.1, 0.0.0.0)",
}


class ListenError(Exception):
    """The server cannot listen on its host and port; the message says why and what to do."""


def host_port(host: str, port: int) -> str:
    """``host:port``, with brackets around an IPv6 host."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def bind_listen_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to ``host:port`` (as uvicorn binds it: IPv6 when the host has a colon)."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        if isinstance(exc, socket.gaierror):
            reason = f"unknown host {host!r}; pass an IP address or a name this machine resolves as --host"
        else:
            reason = _ADVICE.get(exc.errno or 0, (exc.strerror or str(exc)).lower())
        raise ListenError(f"cannot listen on {host_port(host, port)}: {reason}") from exc
    return sock


# Largest WebSocket message: a realtime append over OpenAI's 15 MiB gets an error event, not a close (1009).
WS_MAX_SIZE = 32 << 20

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


def run_single(app: object, settings: Settings, sock: socket.socket) -> None:
    """Serve one app in this process on the bound ``sock`` until SIGTERM/SIGINT."""
    config = uvicorn.Config(
        app,  # type: ignore[arg-type]
        ws_max_size=WS_MAX_SIZE,
        host=settings.host,
        port=sock.getsockname()[1],
        log_config=None,
        timeout_graceful_shutdown=settings.shutdown_timeout_seconds,
    )
    GracefulServer(config).run(sockets=[sock])
