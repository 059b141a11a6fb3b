"""Workload "kokoro": the Kokoro engine as a :class:`benchlib.speech.Voice`, and speech memory.

The floor is :class:`engines.kokoro.KokoroEngine` loaded in the bench process from the very files the
server loads (the onnxruntime session, voice table and G2P, with the server's thread count).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from benchlib.client import Client
from benchlib.results import Results, Row
from benchlib.speech import Voice
from benchlib.timing import progress
from engines.manifest import builtin_manifest_path, load_manifests
from engines.materialize import model_location
from engines.types import RuntimeOptions, SpeechOptions

KOKORO_TEXT = (
    "今日はとても良い天気です。駅まで歩いて行きます。公園には子供たちがたくさんいます。"
    "午後から友達と会う予定です。夕方には家に帰ります。"
)
VOICE = "jf_alpha"


def load_kokoro(models_dir: Path, cpu_threads: int) -> Any:
    """The Kokoro engine, loaded as the server's registry would load it."""
    from engines.kokoro import KokoroEngine

    spec = load_manifests([builtin_manifest_path()]).by_id()["kokoro-82m"]
    return KokoroEngine.load(spec, model_location(spec, models_dir), RuntimeOptions(cpu_threads=cpu_threads))


def kokoro_voice(engine: Any) -> Voice:
    """The loaded Kokoro engine as a :class:`benchlib.speech.Voice` (model ``kokoro``, voice jf_alpha)."""

    def synthesize() -> Iterator[np.ndarray]:
        for chunk in engine.synthesize(KOKORO_TEXT, SpeechOptions(voice=VOICE)):
            yield chunk.samples

    return Voice("kokoro jf_alpha", KOKORO_TEXT, KOKORO_TEXT.count("。"), engine.sample_rate, synthesize,
                 {"model": "kokoro", "voice": VOICE})  # fmt: skip


def _wait_unloaded(client: Client, timeout: float = 90.0) -> None:
    started = time.monotonic()
    while any(client.loaded().values()):
        if time.monotonic() - started > timeout:
            raise RuntimeError(f"models still loaded after {timeout:.0f} s: {client.loaded()}")
        time.sleep(0.25)


def speech_memory(
    results: Results, log_dir: Path, models_dir: Path, env: dict[str, str] | None = None
) -> None:
    """A fresh server with a short idle TTL: RSS idle, with piper loaded, unloaded, with Kokoro, unloaded."""
    from benchlib.client import rss_mb
    from benchlib.data import SHORT_SPEECH_TEXT
    from tests.support.server import start_server

    server = start_server(log_dir, models_dir, env={**(env or {}), "EARSHOT_IDLE_TTL_SECONDS": "6"})
    client = Client(server.base_url)
    pid = server.process.pid
    stages: list[tuple[str, float]] = []
    try:
        time.sleep(1.5)
        stages.append(("idle", rss_mb(pid)))
        for name, call in (
            ("piper", lambda: client.speech(SHORT_SPEECH_TEXT, "mp3")),
            (
                "kokoro",
                lambda: client.speech("今日はとても良い天気です。", "mp3", voice=VOICE, model="kokoro"),
            ),
        ):
            call()
            stages.append((f"{name} loaded", rss_mb(pid)))
            _wait_unloaded(client)
            time.sleep(1.5)
            stages.append((f"{name} unloaded", rss_mb(pid)))
    finally:
        client.close()
        server.stop()
    for stage, mb in stages:
        progress(f"speech memory: {stage}: {mb:.0f} MB")
    mb = dict(stages)
    for name in ("piper", "kokoro"):
        results.rows.append(
            Row(
                f"memory: server RSS with {name} loaded / after its idle unload",
                f"{mb[f'{name} loaded']:.0f} MB",
                f"{mb[f'{name} unloaded']:.0f} MB",
                None,
                f"idle {mb['idle']:.0f} MB",
            )
        )
