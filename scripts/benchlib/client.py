"""HTTP calls to the server under test, timed on the client side (plain httpx, keep-alive)."""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from pathlib import Path

import httpx

PCM_RATE = 24000  # OpenAI's pcm: 24 kHz s16le mono


class Client:
    """One keep-alive connection pool to the server."""

    def __init__(self, base_url: str, timeout: float = 900.0) -> None:
        self.base_url = base_url
        self.http = httpx.Client(base_url=base_url, timeout=timeout)

    def close(self) -> None:
        """Close the connections."""
        self.http.close()

    def transcribe(self, wav: bytes, fields: Mapping[str, str | list[str]]) -> tuple[float, str]:
        """POST /v1/audio/transcriptions (json); (seconds, text)."""
        data = {"model": "whisper-1", "response_format": "json", **fields}
        started = time.perf_counter()
        response = self.http.post(
            "/v1/audio/transcriptions", data=data, files={"file": ("clip.wav", wav, "audio/wav")}
        )
        seconds = time.perf_counter() - started
        if response.status_code != 200:
            raise RuntimeError(f"transcription failed: {response.status_code} {response.text[:300]}")
        return seconds, response.json()["text"]

    def speech(
        self, text: str, fmt: str, voice: str = "alloy", model: str = "tts-1"
    ) -> tuple[float, float, int]:
        """POST /v1/audio/speech, streamed; (seconds to the first body byte, total seconds, bytes)."""
        body = {"model": model, "voice": voice, "input": text, "response_format": fmt}
        started = time.perf_counter()
        first: float | None = None
        size = 0
        with self.http.stream("POST", "/v1/audio/speech", json=body) as response:
            if response.status_code != 200:
                response.read()
                raise RuntimeError(f"speech failed: {response.status_code} {response.text[:300]}")
            for piece in response.iter_raw():
                if piece and first is None:
                    first = time.perf_counter() - started
                size += len(piece)
        total = time.perf_counter() - started
        if first is None:
            raise RuntimeError("speech returned an empty body")
        return first, total, size

    def health(self) -> float:
        """GET /health; seconds."""
        started = time.perf_counter()
        response = self.http.get("/health")
        seconds = time.perf_counter() - started
        response.raise_for_status()
        return seconds

    def loaded(self) -> dict[str, bool]:
        """{model id: loaded?} from /ready."""
        models = self.http.get("/ready").json()["models"]
        return {k: bool(v["loaded"]) for k, v in models.items()}


def rss_mb(pid: int, field: str = "VmRSS") -> float:
    """Resident memory of a process in MB: ``VmRSS`` (all), ``RssAnon`` (private heap) or ``RssFile``."""
    status = Path(f"/proc/{pid}/status").read_text()
    match = re.search(rf"^{field}:\s+(\d+) kB", status, re.M)
    if match is None:
        raise RuntimeError(f"no {field} for pid {pid}")
    return int(match.group(1)) / 1024.0
