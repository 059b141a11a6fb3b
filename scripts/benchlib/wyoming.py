"""Workload "wyoming": the Wyoming door of the bench's server (``--wyoming-port``) against the engine floors.

* transcript: the ~10 s clip sent as a satellite sends it (``transcribe``, ``audio-start``, 100 ms
  16 kHz pcm16 ``audio-chunk``s, ``audio-stop``), until ``transcript``; the floor is
  ``WhisperModel.transcribe`` on the samples the door decodes from those chunks, with the door's options
  (``server.wyoming.asr``: the server's VAD and guards, English). Target ≤ 1.05×, and the same text.
* first audio: ``synthesize`` of the speech text until the first ``audio-chunk``, against raw
  ``PiperVoice.synthesize`` until its first sentence (nothing encoded: Wyoming sends raw PCM). Target
  ≤ 1.05×; the whole stream (until ``audio-stop``) and the streaming form (``synthesize-start``, the text in
  12-character ``synthesize-chunk``s, ``synthesize-stop``) are reported beside it.
"""

from __future__ import annotations

import asyncio
import gc
import statistics
import time
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
from wyoming.asr import Transcribe, Transcript
from wyoming.audio import AudioChunk, AudioStart, AudioStop
from wyoming.client import AsyncTcpClient
from wyoming.tts import Synthesize, SynthesizeChunk, SynthesizeStart, SynthesizeStop, SynthesizeVoice

from benchlib import raw
from benchlib.data import SPEECH_TEXT, short_clips
from benchlib.door_options import raw_kwargs
from benchlib.results import Results, Row, ratio_row
from benchlib.timing import alternate, progress
from server.core.options import transcription_options
from server.settings import Settings
from server.wyoming.pcm import PcmFormat, to_float

TRANSCRIPT_LIMIT = 1.05
FIRST_AUDIO_LIMIT = 1.05
CHUNK_BYTES = 3200  # 100 ms of 16 kHz pcm16
VOICE_MODEL, VOICE = "piper-en_US-joe-medium", "en_US-joe-medium"  # the server's default voice


async def _transcribe(port: int, pcm: bytes) -> tuple[float, str]:
    """(seconds from ``transcribe`` sent to ``transcript`` received, its text)."""
    async with AsyncTcpClient("127.0.0.1", port) as client:
        started = time.perf_counter()
        await client.write_event(Transcribe(name="whisper-1", language="en").event())
        await client.write_event(AudioStart(rate=16000, width=2, channels=1).event())
        for i in range(0, len(pcm), CHUNK_BYTES):
            chunk = AudioChunk(rate=16000, width=2, channels=1, audio=pcm[i : i + CHUNK_BYTES])
            await client.write_event(chunk.event())
        await client.write_event(AudioStop().event())
        while True:
            event = await client.read_event()
            if event is None or event.type == "error":
                raise RuntimeError(f"Wyoming transcription failed: {event}")
            if Transcript.is_type(event.type):
                return time.perf_counter() - started, Transcript.from_event(event).text


async def _speak(port: int, text: str, streaming: bool) -> tuple[float, float]:
    """(seconds to the first ``audio-chunk``, seconds to the end of the audio)."""
    voice = SynthesizeVoice(name=VOICE)
    async with AsyncTcpClient("127.0.0.1", port) as client:
        started = time.perf_counter()
        if streaming:
            await client.write_event(SynthesizeStart(voice=voice).event())
            for i in range(0, len(text), 12):  # an LLM's tokens, roughly
                await client.write_event(SynthesizeChunk(text=text[i : i + 12]).event())
            await client.write_event(SynthesizeStop().event())
        else:
            await client.write_event(Synthesize(text=text, voice=voice).event())
        first: float | None = None
        end = "synthesize-stopped" if streaming else "audio-stop"
        while True:
            event = await client.read_event()
            if event is None or event.type == "error":
                raise RuntimeError(f"Wyoming synthesis failed: {event}")
            if first is None and AudioChunk.is_type(event.type):
                first = time.perf_counter() - started
            if event.type == end:
                if first is None:
                    raise RuntimeError("Wyoming synthesis sent no audio")
                return first, time.perf_counter() - started


def wyoming_transcript(
    results: Results, port: int, models_dir: Path, threads: int, pairs: int, settings: Settings
) -> None:
    """The ~10 s clip over Wyoming vs ``transcribe`` on the samples the door decodes (≤ 1.05×, same text)."""
    clip, _ = short_clips()
    pcm = (np.clip(clip.samples, -1, 1) * 32767).astype("<i2").tobytes()
    samples = to_float(pcm, PcmFormat(16000, 2, 1))  # what the door keeps (16 kHz: no resampling)
    kwargs = raw_kwargs(transcription_options(settings, language="en", segment_timing=False), clip.seconds)
    progress("wyoming: loading raw whisper-base")
    model = raw.load_whisper(raw.model_path("whisper-base", models_dir), threads)
    name = f"wyoming transcript {clip.seconds:.0f} s, whisper-base"
    try:
        result = alternate(name, partial(raw.transcribe, model, samples, **kwargs),
                           lambda: asyncio.run(_transcribe(port, pcm)), pairs)  # fmt: skip
    finally:
        del model
        gc.collect()
    results.rows.append(
        ratio_row(name, result.raw_median, result.http_median, TRANSCRIPT_LIMIT, cpu_ratio=result.cpu_ratio)
    )
    same = sum(a.strip() == b for a, b in zip(result.http_out, result.raw_out, strict=True))
    if same < len(result.raw_out):
        progress(f"wyoming: server {result.http_out[-1]!r} vs floor {result.raw_out[-1]!r}")
    results.notes.append(
        "wyoming transcript: server = `transcribe` sent → `transcript` received (100 ms `audio-chunk`s of "
        "16 kHz pcm16, as fast as the socket takes them); floor = `WhisperModel.transcribe` on the samples "
        "the door decodes from those chunks, with its options (`transcription_options`, English)."
    )
    results.rows.append(
        Row(f"{name}: transcript equal to the floor's", f"{len(result.raw_out)} runs",
            f"{same}/{len(result.raw_out)} equal", None, "all equal", same == len(result.raw_out))
    )  # fmt: skip


def wyoming_speech(results: Results, port: int, models_dir: Path, pairs: int) -> None:
    """``synthesize``: first ``audio-chunk`` vs raw piper's first sentence (≤ 1.05×); whole and streamed."""
    progress("wyoming: loading raw piper voice")
    voice = raw.load_piper(raw.model_path(VOICE_MODEL, models_dir))
    try:
        _speech_rows(results, port, voice, pairs)
    finally:
        del voice
        gc.collect()


def _speech_rows(results: Results, port: int, voice: Any, pairs: int) -> None:
    """Plain and streamed form against the same floor, alternately."""
    sentences = SPEECH_TEXT.count(". ") + 1
    for streaming in (False, True):
        form = "streamed synthesize-chunk" if streaming else "synthesize"
        result = alternate(
            f"wyoming {form}: raw piper (A) vs Wyoming (B)",
            lambda: _floor(voice),
            lambda s=streaming: _first_first(asyncio.run(_speak(port, SPEECH_TEXT, s))),
            pairs,
        )
        floor_first = statistics.median(x[0] for x in result.raw_out)
        door_first = statistics.median(x[0] for x in result.http_out)
        # Streamed, the first sentence cannot start before its text (and the space after it) came in
        # 12-character pieces: reported, the target is the plain synthesize's.
        limit = None if streaming else FIRST_AUDIO_LIMIT
        label = f"wyoming {form}, {sentences} sentences"
        results.rows.append(ratio_row(f"{label}: first audio-chunk vs first sentence", floor_first,
                                      door_first, limit))  # fmt: skip
        floor_whole = statistics.median(x[1] for x in result.raw_out)
        door_whole = statistics.median(x[1] for x in result.http_out)
        results.rows.append(ratio_row(f"{label}: whole audio", floor_whole, door_whole, None,
                                      cpu_ratio=result.cpu_ratio))  # fmt: skip
    results.notes.append(
        "wyoming speech: server = `synthesize` sent → first `audio-chunk` (and → `audio-stop`: whole); "
        "floor = raw `PiperVoice.synthesize` of the same text → its first sentence (and → its end), "
        "nothing encoded (Wyoming sends raw PCM). The streamed form sends the text in 12-character "
        "`synthesize-chunk`s: its first sentence cannot start before its text came, so it is reported "
        "without a target."
    )


def _floor(voice: object) -> tuple[float, tuple[float, float]]:
    """Raw piper as a timed call: (first-sentence seconds, (first, whole))."""
    whole, first = raw.piper_floor(voice, SPEECH_TEXT)
    return first, (first, whole)


def _first_first(times: tuple[float, float]) -> tuple[float, tuple[float, float]]:
    """The door's (first, whole) as a timed call: (first seconds, (first, whole))."""
    return times[0], times
