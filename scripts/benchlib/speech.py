"""Streamed speech against the engine floor, for every response format and every TTS engine.

The floor is the engine's own synthesis with nothing encoded: time to its first sentence and to its last
(piper: ``PiperVoice.synthesize`` on the whole text; Kokoro: ``KokoroEngine.synthesize``, the onnxruntime
session, voice table and G2P the server loads). The server side is a streamed POST /v1/audio/speech,
timed at the client to its first body byte and its last. A third arm, labelled *with encoding*, is the
floor plus each sentence encoded as it comes by the server's own encoder (engines/encode.py).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from benchlib.client import Client
from benchlib.results import Results, Row, ratio_row
from benchlib.timing import Timed, rotate
from engines.encode import FORMATS, StreamEncoder

LOSSLESS = ("flac", "wav", "pcm")
# Issue 18: first byte <= 1.1x the floor for every format, <= 1.05x where nothing is encoded
# (pcm, wav: a header at most); the whole request <= 1.05x the floor where encoding costs next to
# nothing, and <= 1.05x the floor + the same encoder where it does not (mp3, opus, aac, flac).
FIRST_BYTE_LIMIT = {"pcm": 1.05, "wav": 1.05}
WHOLE_LIMIT = 1.05

Chunks = Callable[[], Iterator[np.ndarray]]  # one synthesis: float32 samples, sentence by sentence


@dataclass(frozen=True)
class Voice:
    """One TTS engine as the bench drives it: its raw synthesis and how to ask the server for it."""

    name: str  # the row label: "piper joe", "kokoro jf_alpha"
    text: str
    sentences: int
    sample_rate: int
    synthesize: Chunks
    request: dict[str, str]  # model and voice for POST /v1/audio/speech


def floor(voice: Voice) -> tuple[float, tuple[float, float]]:
    """The engine alone: (whole seconds, (first-sentence seconds, audio seconds))."""
    started = time.perf_counter()
    first: float | None = None
    samples = 0
    for chunk in voice.synthesize():
        if first is None:
            first = time.perf_counter() - started
        samples += len(chunk)
    if first is None or samples == 0:
        raise RuntimeError(f"{voice.name} produced no audio")
    return time.perf_counter() - started, (first, samples / voice.sample_rate)


def with_encoding(voice: Voice, fmt: str) -> tuple[float, tuple[float, float]]:
    """The engine with each sentence encoded as it comes: (whole, (first sentence, audio seconds))."""
    started = time.perf_counter()
    first: float | None = None
    encoder = StreamEncoder(fmt, voice.sample_rate)
    size = samples = 0
    try:
        for chunk in voice.synthesize():
            if first is None:
                first = time.perf_counter() - started
            samples += len(chunk)
            size += len(encoder.encode(chunk))
        size += len(encoder.flush())
    finally:
        encoder.close()
    if first is None or size == 0:
        raise RuntimeError(f"{voice.name} produced no audio")
    return time.perf_counter() - started, (first, samples / voice.sample_rate)


def server(client: Client, voice: Voice, fmt: str) -> tuple[float, tuple[float, float]]:
    """The streamed request: (whole seconds, (first-byte seconds, bytes))."""
    first, total, size = client.speech(voice.text, fmt, **voice.request)
    return total, (first, float(size))


def speech(results: Results, client: Client, voice: Voice, pairs: int, formats: tuple[str, ...]) -> None:
    """For each format: floor, server and floor + encoding in rotation; first byte and whole rows.

    Two extra warm-up rounds first: the first requests to a freshly loaded voice run slower (onnxruntime
    sizes its memory arena to the sentences it meets), which penalised whichever format came first.
    """
    for _ in range(2):
        floor(voice)
        server(client, voice, formats[0])
    for fmt in formats:
        label = f"speech, {voice.name}, {voice.sentences} sentences, {fmt}"
        lossless_free = fmt in ("wav", "pcm")  # nothing to encode: no third arm
        calls: dict[str, Timed] = {
            "floor": lambda: floor(voice),
            "server": lambda fmt=fmt: server(client, voice, fmt),
        }
        if not lossless_free:
            calls["encoded"] = lambda fmt=fmt: with_encoding(voice, fmt)
        arms = rotate(label, calls, pairs, server_arm="server")
        floor_first = statistics.median(out[0] for out in arms["floor"].outputs)
        server_first = statistics.median(out[0] for out in arms["server"].outputs)
        audio = statistics.median(out[1] for out in arms["floor"].outputs)
        whole, served = arms["floor"].median, arms["server"].median
        results.rows.append(
            ratio_row(
                f"{label}: first byte vs the engine's first sentence",
                floor_first,
                server_first,
                FIRST_BYTE_LIMIT.get(fmt, 1.1),
            )  # fmt: skip
        )
        results.rows.append(
            ratio_row(
                f"{label}: whole request vs the engine's whole synthesis",
                whole,
                served,
                WHOLE_LIMIT if lossless_free else None,
                cpu_ratio=arms["server"].cpu_ratio_to(arms["floor"]),
            )  # fmt: skip
        )
        if not lossless_free:
            results.rows.append(
                ratio_row(
                    f"{label}: whole request vs the engine + the same encoder (with encoding)",
                    arms["encoded"].median,
                    served,
                    WHOLE_LIMIT,
                    cpu_ratio=arms["server"].cpu_ratio_to(arms["encoded"]),
                )  # fmt: skip
            )
        results.rows.append(
            Row(
                f"{label}: real-time factor (engine, server)",
                f"{whole / audio:.3f}",
                f"{served / audio:.3f}",
                None,
            )  # fmt: skip
        )


def piper_voice(raw_voice: Any, text: str) -> Voice:
    """Raw piper (``PiperVoice.synthesize`` on the whole text) as a :class:`Voice` (OpenAI's alloy)."""

    def synthesize() -> Iterator[np.ndarray]:
        for chunk in raw_voice.synthesize(text):
            yield np.asarray(chunk.audio_float_array, dtype=np.float32)

    return Voice("piper joe", text, text.count(". ") + 1, int(raw_voice.config.sample_rate), synthesize,
                 {"model": "tts-1", "voice": "alloy"})  # fmt: skip


ALL_FORMATS = tuple(FORMATS)
