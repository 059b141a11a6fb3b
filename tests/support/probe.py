"""Looking at a running server from outside: /metrics values, its process in /proc, held-open requests."""

from __future__ import annotations

import io
import os
import re
import socket
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import httpx
import numpy as np
import soundfile as sf

DATA = Path(__file__).resolve().parents[1] / "data"
_SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)$")


def metric(base_url: str, name: str, **labels: str) -> float:
    """Sum of the samples of ``name`` whose labels include ``labels`` (0 when there is none)."""
    text = httpx.get(f"{base_url}/metrics", timeout=10).text
    total = 0.0
    for line in text.splitlines():
        match = _SAMPLE.match(line)
        if not match or match.group(1) != name:
            continue
        got = dict(re.findall(r'(\w+)="([^"]*)"', match.group(2) or ""))
        if all(got.get(k) == v for k, v in labels.items()):
            total += float(match.group(3))
    return total


def wait_for(predicate: Callable[[], bool], timeout: float, interval: float = 0.1) -> float:
    """Poll until ``predicate()`` holds; returns the seconds it took (TimeoutError after ``timeout``)."""
    started = time.monotonic()
    while True:
        if predicate():
            return time.monotonic() - started
        if time.monotonic() - started > timeout:
            raise TimeoutError(f"condition not met within {timeout} s")
        time.sleep(interval)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (all its threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_bytes(pid: int) -> int:
    """Resident set size of a process."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for {pid}")


def open_fds(pid: int) -> int:
    """File descriptors the process holds open."""
    return len(os.listdir(f"/proc/{pid}/fd"))


def speech_wav(repeats: int = 1) -> bytes:
    """The five vendored LibriVox clips (24.7 s, 16 kHz) back to back, ``repeats`` times, as wav bytes."""
    clips = sorted((DATA / "librivox").glob("*.wav"))
    audio = np.concatenate([sf.read(c, dtype="float32")[0] for c in clips] * repeats)
    buf = io.BytesIO()
    sf.write(buf, audio, 16000, format="WAV", subtype="PCM_16")
    return buf.getvalue()


def multipart(fields: dict[str, str], filename: str, data: bytes) -> tuple[bytes, str]:
    """(body, content type) of a multipart/form-data upload."""
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
        for k, v in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        f"Content-Type: application/octet-stream\r\n\r\n".encode() + data + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


class HeldRequest:
    """A raw HTTP/1.1 request on its own socket, so a test can hang up on it at any moment."""

    def __init__(self, base_url: str, method: str, path: str, body: bytes, content_type: str,
                 send_body: bool = True, declared_length: int | None = None) -> None:
        host, port = base_url.removeprefix("http://").split(":")
        self.sock = socket.create_connection((host, int(port)), timeout=120)
        head = (
            f"{method} {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {declared_length if declared_length is not None else len(body)}\r\n\r\n"
        ).encode()
        self.sock.sendall(head + (body if send_body else b""))

    def response(self) -> tuple[int, bytes]:
        """Read the whole response (Connection stays open: read until the declared length)."""
        raw = b""
        while b"\r\n\r\n" not in raw:
            chunk = self.sock.recv(65536)
            if not chunk:
                break
            raw += chunk
        head, _, body = raw.partition(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1]) if head else 0
        length = re.search(rb"(?i)content-length:\s*(\d+)", head)
        while length and len(body) < int(length.group(1)):
            chunk = self.sock.recv(65536)
            if not chunk:
                break
            body += chunk
        return status, body

    def hang_up(self) -> None:
        """Close the connection, as a client that gives up (or is killed) does."""
        self.sock.close()
