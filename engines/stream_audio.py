"""Streamed raw audio to 16 kHz float32: s16le PCM or G.711 (mu-law / A-law), resampled as it arrives.

One :class:`StreamDecoder` per stream: it keeps the resampler's state, so chunks of any size join
without clicks, and the output has the same length whichever way the input was cut.
"""

from __future__ import annotations

import av
import numpy as np

TARGET_RATE = 16000


def _ulaw_table() -> np.ndarray:
    """ITU-T G.711 mu-law byte -> linear 16-bit value."""
    codes = ~np.arange(256, dtype=np.int32) & 0xFF
    sign = codes & 0x80
    exponent = (codes >> 4) & 0x07
    mantissa = codes & 0x0F
    magnitude = (((mantissa << 3) + 0x84) << exponent) - 0x84
    return np.where(sign != 0, -magnitude, magnitude).astype(np.int16)


def _alaw_table() -> np.ndarray:
    """ITU-T G.711 A-law byte -> linear 16-bit value."""
    codes = np.arange(256, dtype=np.int32) ^ 0x55
    sign = codes & 0x80
    exponent = (codes >> 4) & 0x07
    mantissa = codes & 0x0F
    magnitude = np.where(exponent == 0, (mantissa << 4) + 8, ((mantissa << 4) + 0x108) << (exponent - 1))
    return np.where(sign != 0, magnitude, -magnitude).astype(np.int16)


ULAW = _ulaw_table()
ALAW = _alaw_table()

# encoding -> (input sample rate, bytes per sample)
ENCODINGS = {"pcm16": (24000, 2), "pcmu": (8000, 1), "pcma": (8000, 1)}


def to_int16(data: bytes, encoding: str) -> np.ndarray:
    """Raw bytes of ``encoding`` -> linear int16 samples (a trailing odd byte of PCM16 is dropped)."""
    if encoding == "pcm16":
        usable = len(data) - len(data) % 2
        return np.frombuffer(data[:usable], dtype="<i2").astype(np.int16)
    table = ULAW if encoding == "pcmu" else ALAW
    return table[np.frombuffer(data, dtype=np.uint8)]


class StreamDecoder:
    """Raw chunks of one encoding in, 16 kHz mono float32 out (PyAV's resampler, state kept)."""

    def __init__(self, encoding: str) -> None:
        if encoding not in ENCODINGS:
            raise ValueError(f"unknown encoding {encoding!r}")
        self.encoding = encoding
        self.rate, self.sample_width = ENCODINGS[encoding]
        self._pending = b""  # half a PCM16 sample carried to the next chunk
        self._resampler = av.AudioResampler(format="flt", layout="mono", rate=TARGET_RATE)
        self._pts = 0

    def _frames(self, samples: np.ndarray | None) -> np.ndarray:
        if samples is None:
            frames = self._resampler.resample(None)
        else:
            frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="s16", layout="mono")
            frame.sample_rate = self.rate
            frame.pts = self._pts
            self._pts += samples.shape[0]
            frames = self._resampler.resample(frame)
        parts = [f.to_ndarray().reshape(-1) for f in frames]
        return np.concatenate(parts).astype(np.float32, copy=False) if parts else np.zeros(0, np.float32)

    def decode(self, data: bytes) -> np.ndarray:
        """The 16 kHz samples this chunk completes (the resampler holds back a few)."""
        data = self._pending + data
        cut = len(data) - len(data) % self.sample_width
        self._pending = data[cut:]
        if cut == 0:
            return np.zeros(0, np.float32)
        return self._frames(to_int16(data[:cut], self.encoding))

    def flush(self) -> np.ndarray:
        """The samples still held by the resampler (end of stream)."""
        out = self._frames(None)
        self._resampler = av.AudioResampler(format="flt", layout="mono", rate=TARGET_RATE)
        self._pending = b""
        return out
