"""Workload "kokoro": streamed Kokoro speech against the raw Kokoro engine (+ the same encoder).

The raw side is :class:`engines.kokoro.KokoroEngine` loaded in the bench process from the very files the
server loads (the onnxruntime session, voice table and G2P, with the server's thread count), each sentence
encoded as it comes; the server side is a streamed POST /v1/audio/speech with model ``kokoro``.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path
from typing import Any

from benchlib.client import Client
from benchlib.results import Results, Row, ratio_row
from benchlib.timing import alternate, progress
from engines.encode import StreamEncoder
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


def raw_kokoro(engine: Any, text: str, fmt: str) -> tuple[float, float, float]:
    """(whole seconds, first-sentence seconds, audio seconds): synthesis with each sentence encoded."""
    started = time.perf_counter()
    first: float | None = None
    encoder = StreamEncoder(fmt, engine.sample_rate)
    audio = 0.0
    for chunk in engine.synthesize(text, SpeechOptions(voice=VOICE)):
        if first is None:
            first = time.perf_counter() - started
        audio += len(chunk.samples) / chunk.sample_rate
        encoder.encode(chunk.samples)
    encoder.flush()
    encoder.close()
    return time.perf_counter() - started, first or 0.0, audio


def kokoro_speech(results: Results, client: Client, engine: Any, pairs: int) -> None:
    """5 Japanese sentences, mp3 and pcm: first byte vs raw first sentence, whole vs raw, RTF."""
    for fmt in ("mp3", "pcm"):
        label = f"kokoro 5 sentences, {fmt}, streamed"
        audio: list[float] = []  # one per raw call

        def http(fmt: str = fmt) -> tuple[float, float]:
            first, total, _size = client.speech(KOKORO_TEXT, fmt, voice=VOICE, model="kokoro")
            return total, first

        def rawcall(fmt: str = fmt, audio: list[float] = audio) -> tuple[float, float]:
            whole, first, seconds = raw_kokoro(engine, KOKORO_TEXT, fmt)
            audio.append(seconds)
            return whole, first

        result = alternate(label, rawcall, http, pairs)
        results.rows.append(
            ratio_row(
                f"{label}: first byte vs raw first sentence",
                statistics.median(result.raw_out),
                statistics.median(result.http_out),
                1.1,
            )
        )
        results.rows.append(
            ratio_row(
                f"{label}: whole request vs raw synthesis + encode",
                result.raw_median,
                result.http_median,
                1.1,
                cpu_ratio=result.cpu_ratio,
            )
        )
        seconds = statistics.median(audio)
        raw_rtf, http_rtf = result.raw_median / seconds, result.http_median / seconds
        progress(f"{label}: {seconds:.2f} s of audio, RTF raw {raw_rtf:.3f}, server {http_rtf:.3f}")
        results.rows.append(Row(f"{label}: real-time factor", f"{raw_rtf:.3f}", f"{http_rtf:.3f}", None))


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
