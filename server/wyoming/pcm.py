"""Raw PCM as Wyoming carries it (any rate, width, channel count) to and from what the engines use."""

from __future__ import annotations

from dataclasses import dataclass

import av
import numpy as np

from server.core.audio import SAMPLE_RATE
from server.errors import invalid

MIN_RATE = 1000
MAX_RATE = 384_000
MAX_CHANNELS = 16
WIDTHS = {1: np.uint8, 2: np.int16, 4: np.int32}  # 8-bit PCM is unsigned, the others signed
OUT_WIDTH = 2  # synthesised audio goes out as 16-bit signed little-endian mono


@dataclass(frozen=True)
class PcmFormat:
    """A stream's format as its ``audio-start`` (or first ``audio-chunk``) declares it."""

    rate: int
    width: int
    channels: int

    def check(self) -> PcmFormat:
        """Itself, if the server can take it; a 400 naming what is wrong otherwise."""
        if not isinstance(self.rate, int) or not MIN_RATE <= self.rate <= MAX_RATE:
            raise invalid(f"Unsupported audio rate {self.rate!r}: use {MIN_RATE} to {MAX_RATE} Hz "
                          "(16000 is best).", "rate")  # fmt: skip
        if self.width not in WIDTHS:
            raise invalid(f"Unsupported audio width {self.width!r}: use 1, 2 or 4 bytes per sample "
                          "(2 is best).", "width")  # fmt: skip
        if not isinstance(self.channels, int) or not 1 <= self.channels <= MAX_CHANNELS:
            raise invalid(f"Unsupported channel count {self.channels!r}: use 1 to {MAX_CHANNELS} "
                          "(1 is best).", "channels")  # fmt: skip
        return self

    @property
    def frame_bytes(self) -> int:
        """Bytes per sample frame (every channel)."""
        return self.width * self.channels


def to_float(pcm: bytes, fmt: PcmFormat) -> np.ndarray:
    """Interleaved PCM bytes -> mono float32 in [-1, 1] at ``fmt.rate`` (channels averaged)."""
    usable = len(pcm) - len(pcm) % fmt.frame_bytes
    ints = np.frombuffer(pcm[:usable], dtype=np.dtype(WIDTHS[fmt.width]).newbyteorder("<"))
    if fmt.width == 1:
        samples = (ints.astype(np.float32) - 128.0) / 128.0
    else:
        samples = ints.astype(np.float32) / float(2 ** (8 * fmt.width - 1))
    if fmt.channels > 1:
        samples = samples.reshape(-1, fmt.channels).mean(axis=1)
    return samples.astype(np.float32, copy=False)


class Resampler:
    """Mono float32 at one rate -> mono float32 at 16 kHz, chunk by chunk (PyAV's resampler keeps state)."""

    def __init__(self, rate: int) -> None:
        self.rate = rate
        self._resampler = None if rate == SAMPLE_RATE else av.AudioResampler("flt", "mono", SAMPLE_RATE)

    def _frames(self, frames: list[av.AudioFrame]) -> list[np.ndarray]:
        return [frame.to_ndarray().reshape(-1) for frame in frames]

    def push(self, samples: np.ndarray) -> list[np.ndarray]:
        """Resampled output for these samples (may lag a little; :meth:`flush` gives the rest)."""
        if self._resampler is None or samples.size == 0:
            return [samples] if samples.size else []
        frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="flt", layout="mono")
        frame.sample_rate = self.rate
        return self._frames(self._resampler.resample(frame))

    def flush(self) -> list[np.ndarray]:
        """What the resampler still holds."""
        return [] if self._resampler is None else self._frames(self._resampler.resample(None))


def to_pcm16(samples: np.ndarray) -> bytes:
    """Float samples in [-1, 1] -> 16-bit signed little-endian PCM."""
    clipped = np.clip(np.asarray(samples, dtype=np.float32), -1.0, 1.0)
    return (clipped * 32767.0).astype("<i2").tobytes()
