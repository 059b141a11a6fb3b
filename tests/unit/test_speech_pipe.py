"""The HTTP door's speech pipe: early first bytes, and the same stream however the first sentence is cut."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from engines.encode import FORMATS, StreamEncoder, audio_format
from engines.types import AudioChunk
from server.http.speech import FIRST_SLICE_SECONDS, encoded

RATE = 22050


def _sentences() -> list[AudioChunk]:
    rng = np.random.default_rng(7)
    t = np.arange(int(2.5 * RATE)) / RATE
    voiced = (0.3 * np.sin(2 * np.pi * 180 * t) + 0.02 * rng.standard_normal(t.size)).astype(np.float32)
    return [AudioChunk(voiced, RATE, 0, 10, 100), AudioChunk(voiced[::-1].copy(), RATE, 1, 10, 100)]


def _one_shot(fmt: str, chunks: list[AudioChunk]) -> bytes:
    encoder = StreamEncoder(fmt, RATE)
    data = b"".join(encoder.encode(c.samples) for c in chunks) + encoder.flush()
    encoder.close()
    return data


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_slicing_the_first_sentence_changes_no_byte(fmt: str) -> None:
    chunks = _sentences()
    pieces = list(encoded(audio_format(fmt))(iter(chunks), RATE, threading.Event()))
    assert b"".join(pieces) == _one_shot(fmt, chunks)


@pytest.mark.parametrize("fmt", ["mp3", "aac", "opus", "pcm"])
def test_the_first_bytes_leave_before_the_first_sentence_is_encoded(
    fmt: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    chunks = _sentences()
    fed: list[int] = []

    class Recording(StreamEncoder):
        def encode(self, samples: np.ndarray) -> bytes:
            fed.append(int(samples.size))
            return super().encode(samples)

    monkeypatch.setattr("server.http.speech.StreamEncoder", Recording)
    pipe = encoded(audio_format(fmt))(iter(chunks), RATE, threading.Event())
    first = next(pipe)
    assert first
    # Only whole slices were encoded before the first bytes: a tenth of a second or so, not 2.5 s.
    step = int(FIRST_SLICE_SECONDS * RATE)
    assert fed and all(n == step for n in fed)
    assert sum(fed) <= int(0.2 * RATE)
    pipe.close()
