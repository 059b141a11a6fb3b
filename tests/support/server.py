"""Start the real Earshot server (uvicorn on 127.0.0.1, a free port) in a subprocess."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class RunningServer:
    """A server process and where to reach it."""

    base_url: str
    process: subprocess.Popen
    log_path: Path

    def log(self) -> str:
        """Everything the server wrote so far."""
        return self.log_path.read_text(errors="replace")

    def stop(self, timeout: float = 30) -> int:
        """SIGTERM, wait, and return the exit code (SIGKILL if it hangs)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


def start_server(
    log_dir: Path,
    models_dir: Path,
    env: dict[str, str] | None = None,
    args: list[str] | None = None,
    ready_timeout: float = 180,
    wait_ready: bool = True,
) -> RunningServer:
    """Run ``python -m server serve`` and wait until /ready answers 200."""
    port = free_port()
    log_path = log_dir / f"server-{port}.log"
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("EARSHOT_")}
    full_env.update({"EARSHOT_MODELS_DIR": str(models_dir), "PYTHONUNBUFFERED": "1"})
    full_env.update(env or {})
    cmd = [sys.executable, "-m", "server", "serve", "--host", "127.0.0.1", "--port", str(port), *(args or [])]
    with log_path.open("wb") as log:
        process = subprocess.Popen(cmd, cwd=REPO, env=full_env, stdout=log, stderr=subprocess.STDOUT)
    server = RunningServer(f"http://127.0.0.1:{port}", process, log_path)
    deadline = time.monotonic() + ready_timeout
    path = "/ready" if wait_ready else "/health"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}:\n{server.log()}")
        try:
            if httpx.get(server.base_url + path, timeout=2).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    server.stop()
    raise RuntimeError(f"server not ready after {ready_timeout} s:\n{server.log()}")
