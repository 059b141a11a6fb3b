"""Workload 4: N concurrent clients, mixed transcription and speech, with /health sampled throughout."""

from __future__ import annotations

import queue
import threading
import time

from benchlib.client import PCM_RATE, Client
from benchlib.data import SHORT_SPEECH_TEXT, short_clips
from benchlib.results import Level, Results, Row
from benchlib.timing import percentile, progress

HEALTH_INTERVAL = 0.05


def _sample_health(base_url: str, stop: threading.Event, out: list[float]) -> None:
    """GET /health every 50 ms on its own connection until ``stop``."""
    client = Client(base_url, timeout=30)
    try:
        while not stop.is_set():
            out.append(client.health())
            stop.wait(HEALTH_INTERVAL)
    finally:
        client.close()


def run_level(base_url: str, clients: int, requests: int, wav: bytes, clip_seconds: float) -> Level:
    """``requests`` jobs (half transcriptions of the ~10 s clip, half pcm speech) shared by ``clients``."""
    jobs: queue.Queue[str] = queue.Queue()
    for i in range(requests):
        jobs.put("stt" if i % 2 == 0 else "tts")
    lock = threading.Lock()
    stt: list[float] = []
    tts: list[float] = []
    audio = [0.0]
    errors: list[BaseException] = []

    def worker() -> None:
        client = Client(base_url)
        try:
            while True:
                try:
                    kind = jobs.get_nowait()
                except queue.Empty:
                    return
                if kind == "stt":
                    seconds, _text = client.transcribe(wav, {"model": "whisper-1"})
                    produced = clip_seconds
                else:
                    _first, seconds, size = client.speech(SHORT_SPEECH_TEXT, "pcm")
                    produced = size / 2 / PCM_RATE
                with lock:
                    (stt if kind == "stt" else tts).append(seconds)
                    audio[0] += produced
        except BaseException as exc:  # noqa: BLE001 - reported after the level
            errors.append(exc)
        finally:
            client.close()

    health: list[float] = []
    stop = threading.Event()
    sampler = threading.Thread(target=_sample_health, args=(base_url, stop, health), daemon=True)
    sampler.start()
    started = time.perf_counter()
    threads = [threading.Thread(target=worker, daemon=True) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    stop.set()
    sampler.join()
    if errors:
        raise RuntimeError(f"{len(errors)} request(s) failed at {clients} clients: {errors[0]}")
    return Level(clients, requests, wall, audio[0], stt + tts, stt, tts, health)


def concurrency(results: Results, base_url: str, levels: list[int], requests: int) -> None:
    """Aggregate throughput at 8 clients ≥ 0.95× one client; /health p99 < 20 ms at every level."""
    ten, _ = short_clips()
    wav = ten.wav
    progress("concurrency: warm-up (one of each request)")
    run_level(base_url, 1, 2, wav, ten.seconds)
    for n in levels:
        progress(f"concurrency: {n} client(s), {requests} requests")
        level = run_level(base_url, n, requests, wav, ten.seconds)
        results.levels.append(level)
        progress(
            f"concurrency: {n} client(s): {level.throughput:.2f} audio-s/s, latency p50 "
            f"{percentile(level.latencies, 50):.2f} s p95 {percentile(level.latencies, 95):.2f} s, "
            "/health p99 "
            f"{percentile(level.health, 99) * 1000:.1f} ms max {max(level.health) * 1000:.1f} ms"
        )
    first, last = results.levels[0], results.levels[-1]
    ratio = last.throughput / first.throughput
    results.rows.append(
        Row(
            f"concurrency: throughput at {last.clients} clients vs {first.clients}",
            f"{first.throughput:.2f} audio-s/s",
            f"{last.throughput:.2f} audio-s/s",
            ratio,
            "≥ 0.95×",
            ratio >= 0.95,
        )
    )
    worst = max(results.levels, key=lambda lv: percentile(lv.health, 99))
    p99 = percentile(worst.health, 99) * 1000
    results.rows.append(
        Row(
            f"concurrency: /health p99, worst level ({worst.clients} clients)",
            "",
            f"{p99:.1f} ms",
            None,
            "< 20 ms",
            p99 < 20,
        )
    )
