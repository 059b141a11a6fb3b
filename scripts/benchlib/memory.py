"""Workload 5: server RSS idle, with each model loaded, and after the idle unload."""

from __future__ import annotations

import time
from pathlib import Path

from benchlib.client import Client, rss_mb
from benchlib.data import SHORT_SPEECH_TEXT, short_clips
from benchlib.results import Memory, Results, Row
from benchlib.timing import progress
from tests.support.server import start_server

IDLE_TTL = 8.0


def _rss(pid: int) -> tuple[float, float]:
    """(RSS, anonymous RSS) in MB."""
    return rss_mb(pid), rss_mb(pid, "RssAnon")


def _settle(pid: int, seconds: float = 1.5) -> tuple[float, float]:
    """RSS after a short pause (lets in-flight frees and the reaper finish)."""
    time.sleep(seconds)
    return _rss(pid)


def memory(
    results: Results,
    log_dir: Path,
    models_dir: Path,
    env: dict[str, str] | None = None,
    timeout: float = 90.0,
) -> None:
    """A fresh server with a short idle TTL: load every model, wait for the unload, compare RSS."""
    server = start_server(log_dir, models_dir, env={**(env or {}), "EARSHOT_IDLE_TTL_SECONDS": str(IDLE_TTL)})
    client = Client(server.base_url)
    mem = Memory()
    try:
        pid = server.process.pid
        client.health()
        mem.stages.append(("idle, no model loaded", *_settle(pid)))
        ten, _ = short_clips()
        wav = ten.wav
        for model in ("whisper-base", "whisper-tiny.en"):
            client.transcribe(wav, {"model": model})
            mem.stages.append((f"after a transcription with {model}", *_rss(pid)))
        client.speech(SHORT_SPEECH_TEXT, "mp3")
        mem.stages.append(("after a speech request (piper)", *_rss(pid)))
        if "kokoro-82m" in client.loaded():  # served when the kokoro extra is installed
            client.speech("今日はとても良い天気です。", "mp3", voice="jf_alpha", model="kokoro")
            mem.stages.append(("after a speech request (kokoro)", *_rss(pid)))
        loaded = client.loaded()
        progress(f"memory: loaded {sorted(k for k, v in loaded.items() if v)}; waiting for the idle unload")
        started = time.monotonic()
        while any(client.loaded().values()):
            if time.monotonic() - started > timeout:
                raise RuntimeError(f"models still loaded after {timeout:.0f} s: {client.loaded()}")
            time.sleep(0.25)
        mem.unload_seconds = time.monotonic() - started
        mem.stages.append(("after the idle unload", *_settle(pid)))
    finally:
        client.close()
        server.stop()
    for stage, mb, anon in mem.stages:
        progress(f"memory: {stage}: {mb:.0f} MB (anonymous {anon:.0f} MB)")
    results.memory = mem
    idle, after = mem.stages[0][1], mem.stages[-1][1]
    results.rows.append(
        Row(
            "memory: RSS after idle unload vs before loading",
            f"{idle:.0f} MB",
            f"{after:.0f} MB",
            None,
            "≤ +50 MB",
            after - idle <= 50,
        )
    )
