"""Workload 3: streamed speech, first byte and whole request, against raw piper (+ the same encoder)."""

from __future__ import annotations

import statistics
import time
from typing import Any

import numpy as np

from benchlib.client import Client
from benchlib.data import SPEECH_TEXT
from benchlib.results import Results, ratio_row
from benchlib.timing import alternate
from engines.encode import StreamEncoder


def raw_speech(voice: Any, text: str, fmt: str) -> tuple[float, float]:
    """Raw piper synthesis, every chunk encoded as it comes; (whole seconds, first-sentence seconds).

    The first-sentence time stops when piper yields its first chunk, before that chunk is encoded.
    """
    started = time.perf_counter()
    first: float | None = None
    encoder = StreamEncoder(fmt, int(voice.config.sample_rate))
    size = 0
    for chunk in voice.synthesize(text):
        if first is None:
            first = time.perf_counter() - started
        size += len(encoder.encode(np.asarray(chunk.audio_float_array, dtype=np.float32)))
    size += len(encoder.flush())
    whole = time.perf_counter() - started
    if first is None or size == 0:
        raise RuntimeError("piper produced no audio")
    return whole, first


def speech(results: Results, client: Client, voice: Any, pairs: int) -> None:
    """10 sentences, mp3 and pcm, streamed: first byte ≤ 1.1× first sentence, whole ≤ 1.1× synth + encode."""
    sentences = SPEECH_TEXT.count(". ") + 1
    for fmt in ("mp3", "pcm"):
        label = f"speech {sentences} sentences, {fmt}, streamed"

        def http(fmt: str = fmt) -> tuple[float, float]:
            first, total, _size = client.speech(SPEECH_TEXT, fmt)
            return total, first

        def rawcall(fmt: str = fmt) -> tuple[float, float]:
            whole, first = raw_speech(voice, SPEECH_TEXT, fmt)
            return whole, first

        result = alternate(label, rawcall, http, pairs)
        raw_first = statistics.median(result.raw_out)
        http_first = statistics.median(result.http_out)
        results.rows.append(
            ratio_row(f"{label}: first byte vs raw first sentence", raw_first, http_first, 1.1)
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
