"""Workload "realtime": end of speech -> transcript over /v1/realtime, against the engine floor.

Each LibriVox recording (+ 1 s of silence) is streamed as 24 kHz pcm16 in 100 ms appends, as fast as the
socket takes them, to a transcription session with server VAD (a plain ``websockets`` client, reading
events from the start); the server's time is from ``input_audio_buffer.speech_stopped`` to
``conversation.item.input_audio_transcription.completed`` as the client receives them. The floor is
``WhisperModel.transcribe`` on the very samples the server transcribes for that turn (cut here by the
server's own input buffer: decoder, resampler, streaming VAD, padding, from the same appends) with the
options the server gives a realtime turn (``server.realtime.turns``). Target ≤ 1.1× the floor per
recording, and the same transcript.
"""

from __future__ import annotations

import asyncio
import base64
import gc
import json
import time
from pathlib import Path
from typing import Any

import numpy as np
from websockets.asyncio.client import connect

from benchlib import raw
from benchlib.door_options import raw_kwargs
from benchlib.results import Results, Row, ratio_row
from benchlib.timing import alternate, progress
from server.realtime import shapes
from server.realtime.buffer import InputBuffer
from server.realtime.config import SessionConfig
from server.realtime.turns import engine_options
from server.settings import Settings
from tests.support.audio import LIBRIVOX
from tests.support.realtime import chunks, pcm16

LIMIT = 1.1
RATE = 24000 * 2  # bytes per second of 24 kHz pcm16
SESSION = {
    "type": "transcription",
    "audio": {
        "input": {
            "format": {"type": "audio/pcm", "rate": 24000},
            "transcription": {"model": "whisper-1", "language": "en"},
        }
    },
}
STOPPED = "input_audio_buffer.speech_stopped"
COMPLETED = "conversation.item.input_audio_transcription.completed"


def turn_audio(pieces: list[str], config: SessionConfig, settings: Settings) -> np.ndarray:
    """The one turn the server's input buffer cuts from these appends (16 kHz samples)."""
    buffer = InputBuffer(config, settings.realtime_max_buffer_seconds)
    turns = [m.audio for piece in pieces for m in buffer.append(base64.b64decode(piece)) if m.kind == "stop"]
    if len(turns) != 1 or turns[0] is None:
        raise RuntimeError(f"expected one turn from the server's VAD, got {len(turns)}")
    return turns[0]


async def _turn(url: str, pieces: list[str]) -> tuple[float, tuple[str, float]]:
    """One session, one turn: (speech_stopped -> completed seconds, (transcript, usage seconds))."""
    async with connect(url, max_size=None) as ws:
        await ws.recv()  # session.created
        await ws.send(json.dumps({"type": "session.update", "session": SESSION}))

        async def read() -> tuple[float, tuple[str, float]]:
            stopped: float | None = None
            async for message in ws:
                now = time.perf_counter()  # before parsing: the client's own work is not the server's
                event = json.loads(message)
                if event["type"] == STOPPED and stopped is None:
                    stopped = now
                elif event["type"] == COMPLETED:
                    if stopped is None:
                        raise RuntimeError("completed before speech_stopped")
                    return now - stopped, (event["transcript"], float(event["usage"]["seconds"]))
                elif event["type"] == "error":
                    raise RuntimeError(event["error"]["message"])
            raise RuntimeError("the session closed before the turn completed")

        reader = asyncio.create_task(read())  # reading from the start: no event waits in the socket
        for piece in pieces:
            await ws.send(json.dumps({"type": "input_audio_buffer.append", "audio": piece}))
        return await asyncio.wait_for(reader, 120)


def realtime(
    results: Results, base_url: str, models_dir: Path, threads: int, pairs: int, settings: Settings
) -> None:
    """Each LibriVox recording as one realtime turn: server vs the floor on its turn audio (≤ 1.1×)."""
    url = base_url.replace("http", "ws", 1) + "/v1/realtime?intent=transcription"
    config = shapes.apply_ga(SessionConfig(), SESSION)
    progress("realtime: loading raw whisper-base")
    model = raw.load_whisper(raw.model_path("whisper-base", models_dir), threads)
    try:
        same, total = _turns(results, url, model, config, settings, pairs)
    finally:
        del model
        gc.collect()
    results.rows.append(_same_text_row(same, total))
    results.notes.append(
        "realtime: server = `speech_stopped` → `…transcription.completed` at a websockets client that "
        "streamed the recording + 1 s of silence as fast as the socket took it; floor = "
        "`WhisperModel.transcribe` on the turn the server's own input buffer cuts from the same appends "
        "(same samples: the `usage` seconds are checked), with the server's options for a turn "
        "(`server.realtime.turns.engine_options`)."
    )


def _turns(
    results: Results,
    url: str,
    model: Any,
    config: SessionConfig,
    settings: Settings,
    pairs: int,
) -> tuple[int, int]:
    """One row per recording; (turns whose transcript equals the floor's, turns)."""
    options = engine_options(config, settings)
    same, total = 0, 0
    for i, clip in enumerate(sorted(LIBRIVOX.glob("*.wav"))):
        pieces = chunks(pcm16(clip, silence_after=1.0), RATE)
        audio = turn_audio(pieces, config, settings)
        seconds = audio.shape[0] / 16000
        kwargs = raw_kwargs(options, seconds)
        name = f"realtime {clip.stem[-4:]} ({seconds:.1f} s turn), speech_stopped → completed"
        result = alternate(
            name,
            lambda a=audio, k=kwargs: raw.transcribe(model, a, **k),
            lambda p=pieces: asyncio.run(_turn(url, p)),
            pairs,
            warmup=1 if i == 0 else 0,
        )
        # CPU seconds are left out: the server's include decoding and VAD of the whole stream.
        results.rows.append(ratio_row(name, result.raw_median, result.http_median, LIMIT))
        for (text, usage), floor_text in zip(result.http_out, result.raw_out, strict=True):
            total += 1
            same += text == floor_text
            if abs(usage - seconds) > 0.002:
                raise RuntimeError(f"the server's turn is {usage:.3f} s, the floor's {seconds:.3f} s")
            if text != floor_text:
                progress(f"realtime {clip.stem[-4:]}: server {text!r} vs floor {floor_text!r}")
    return same, total


def _same_text_row(same: int, total: int) -> Row:
    return Row(
        "realtime: transcript equal to the floor's", f"{total} turns", f"{same}/{total} equal", None,
        "all equal", same == total,
    )  # fmt: skip
