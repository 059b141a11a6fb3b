#!/usr/bin/env python3
"""Realtime transcription figures (issue 13): end-of-turn latency against the raw engine, and /health
responsiveness while sessions stream.

1. Latency: each LibriVox clip (plus 1 s of silence) goes over /v1/realtime with server VAD as fast as
   the socket takes it; the time from ``speech_stopped`` to ``…completed`` (at the client) is set against
   the raw ``WhisperModel.transcribe`` of the same turn audio (0.3 s padding + clip + 0.5 s silence) in
   this process, from the same model files, with the server's options, alternately. Target: <= 1.2x raw
   + 0.2 s.
2. /health: its latency, polled every 20 ms, idle and then while N sessions stream speech in real time
   (100 ms chunks every 100 ms, turns transcribed as they end). Target: p99 < 20 ms with 4 sessions.

    python scripts/realtime_bench.py [--pairs 3] [--sessions 4] [--seconds 20]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))

import httpx  # noqa: E402
import numpy as np  # noqa: E402
import openai  # noqa: E402
from benchlib.raw import load_whisper, model_path  # noqa: E402

from engines.device import default_cpu_threads  # noqa: E402
from server.settings import Settings, default_models_dir  # noqa: E402
from tests.support.audio import LIBRIVOX, read_samples  # noqa: E402
from tests.support.realtime import chunks, pcm16  # noqa: E402
from tests.support.server import start_server  # noqa: E402

CLIPS = sorted(LIBRIVOX.glob("*.wav"))
SESSION = {"type": "transcription", "audio": {"input": {"format": {"type": "audio/pcm", "rate": 24000},
           "transcription": {"model": "whisper-1", "language": "en"}}}}  # fmt: skip


def raw_turn(model, clip: Path, settings: Settings) -> float:  # noqa: ANN001
    """The raw engine on the turn audio the server would cut, with the server's options."""
    from faster_whisper.vad import VadOptions

    audio = np.concatenate([np.zeros(4800, np.float32), read_samples(clip), np.zeros(8000, np.float32)])
    started = time.perf_counter()
    segments, _ = model.transcribe(
        audio, language="en", beam_size=settings.beam_size, vad_filter=settings.vad_filter,
        vad_parameters=VadOptions(threshold=settings.vad_threshold,
                                  min_silence_duration_ms=settings.vad_min_silence_ms,
                                  speech_pad_ms=settings.vad_speech_pad_ms),
        no_speech_threshold=settings.no_speech_threshold, log_prob_threshold=settings.log_prob_threshold,
    )  # fmt: skip
    "".join(s.text for s in segments)
    return time.perf_counter() - started


async def realtime_turn(client: openai.AsyncOpenAI, clip: Path) -> float:
    """speech_stopped -> completed, at the client, for one clip streamed with server VAD."""
    async with client.realtime.connect(extra_query={"intent": "transcription"}) as conn:
        await conn.recv()
        await conn.session.update(session=SESSION)
        for piece in chunks(pcm16(clip, silence_after=1.0), 48000):
            await conn.input_audio_buffer.append(audio=piece)
        stopped = None
        async for event in conn:
            if event.type == "input_audio_buffer.speech_stopped" and stopped is None:
                stopped = time.perf_counter()
            elif event.type == "conversation.item.input_audio_transcription.completed":
                assert stopped is not None
                return time.perf_counter() - stopped
            elif event.type == "error":
                raise RuntimeError(event.error.message)
    raise RuntimeError("no completed event")


async def stream_live(client: openai.AsyncOpenAI, audio: bytes, until: float, counts: list[int]) -> None:
    """One session streaming ``audio`` (looped) in real time until ``until``; counts completed turns."""
    async with client.realtime.connect(extra_query={"intent": "transcription"}) as conn:
        await conn.recv()
        await conn.session.update(session=SESSION)

        async def read() -> None:
            async for event in conn:
                if event.type == "conversation.item.input_audio_transcription.completed":
                    counts[0] += 1

        reader = asyncio.create_task(read())
        pieces = chunks(audio, 48000)
        start, i = time.perf_counter(), 0
        while time.perf_counter() < until:
            await conn.input_audio_buffer.append(audio=pieces[i % len(pieces)])
            i += 1
            await asyncio.sleep(max(0.0, start + i * 0.1 - time.perf_counter()))
        reader.cancel()


async def health_latencies(base_url: str, until: float) -> list[float]:
    out = []
    async with httpx.AsyncClient() as http:
        while time.perf_counter() < until:
            started = time.perf_counter()
            (await http.get(base_url + "/health")).raise_for_status()
            out.append(time.perf_counter() - started)
            await asyncio.sleep(0.02)
    return out


def p(values: list[float], q: float) -> float:
    return float(np.percentile(np.array(values) * 1000, q))


async def health_under_load(base_url: str, sessions: int, seconds: float) -> tuple[list[float], int]:
    client = openai.AsyncOpenAI(
        base_url=f"{base_url}/v1",
        api_key="sk-x",
        max_retries=0,
        websocket_base_url=base_url.replace("http", "ws", 1) + "/v1",
    )
    audio = b"".join(pcm16(clip, silence_after=1.0) for clip in CLIPS)
    until = time.perf_counter() + seconds
    counts = [0]
    streams = [
        stream_live(client, audio[i * 96000 :] + audio[: i * 96000], until, counts) for i in range(sessions)
    ]
    results = await asyncio.gather(health_latencies(base_url, until), *streams)
    return results[0], counts[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--sessions", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--models-dir", type=Path, default=default_models_dir())
    args = parser.parse_args()
    settings = Settings()
    server = start_server(Path("/tmp"), args.models_dir)
    try:
        client = openai.AsyncOpenAI(
            base_url=f"{server.base_url}/v1",
            api_key="sk-x",
            max_retries=0,
            websocket_base_url=server.base_url.replace("http", "ws", 1) + "/v1",
        )
        model = load_whisper(model_path("whisper-base", args.models_dir), default_cpu_threads(1))
        asyncio.run(realtime_turn(client, CLIPS[1]))  # warm-up: loads the server's model
        raw_turn(model, CLIPS[1], settings)
        print("clip  audio_s  raw_s  realtime_s  ratio", flush=True)
        ratios = []
        for clip in CLIPS:
            raws, rts = [], []
            for _ in range(args.pairs):
                raws.append(raw_turn(model, clip, settings))
                rts.append(asyncio.run(realtime_turn(client, clip)))
            raw, rt = statistics.median(raws), statistics.median(rts)
            ratios.append(rt / raw)
            seconds = read_samples(clip).shape[0] / 16000
            print(f"{clip.stem[-4:]}  {seconds:6.2f}  {raw:5.2f}  {rt:9.2f}  {rt / raw:5.2f}"
                  f"  (target <= {1.2 * raw + 0.2:.2f} s)", flush=True)  # fmt: skip
        print(f"median ratio realtime/raw: {statistics.median(ratios):.2f}")
        del model
        idle = asyncio.run(health_latencies(server.base_url, time.perf_counter() + 5))
        busy, turns = asyncio.run(health_under_load(server.base_url, args.sessions, args.seconds))
        print(f"/health idle: p50 {p(idle, 50):.1f} ms  p99 {p(idle, 99):.1f} ms  ({len(idle)} probes)")
        print(f"/health with {args.sessions} sessions streaming: p50 {p(busy, 50):.1f} ms"
              f"  p99 {p(busy, 99):.1f} ms"
              f"  max {p(busy, 100):.1f} ms  ({len(busy)} probes, {turns} turns completed)")  # fmt: skip
    finally:
        server.stop()


if __name__ == "__main__":
    main()
