"""Streaming audio encoders (PyAV, in-process): float32 chunks in, encoded bytes out.

One :class:`StreamEncoder` per response. ``encode(samples)`` returns whatever bytes the muxer has
produced so far (possibly none: encoders buffer a frame or two), ``flush()`` drains the resampler
and encoder and writes the trailer, so nothing at the tail is lost. The output is written to a
non-seekable sink, exactly as it goes over the wire: no format here needs to seek back.

Lossless formats (wav, flac, pcm) are 24 kHz mono, OpenAI's rate; ``pcm`` is headerless 24 kHz
s16le mono. The lossy ones are 48 kHz: libopus cannot take 22.05 kHz, and at 48 kHz the encoder
delay and last-frame padding that mp3 and ADTS AAC cannot signal in a stream stay under 50 ms
(at 24 kHz they reach 71 ms and 85 ms).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import av
import numpy as np

from engines.errors import InvalidOptionError

logger = logging.getLogger(__name__)

OUTPUT_RATE = 24000
LOSSY_RATE = 48000


@dataclass(frozen=True)
class AudioFormat:
    """How one ``response_format`` is encoded and labelled."""

    name: str
    media_type: str
    sample_rate: int
    container: str | None  # None: raw samples, no container
    codec: str | None
    bit_rate: int | None = None
    container_options: Mapping[str, str] = field(default_factory=dict)


# No encoder tags: a streamed wav then has OpenAI's plain 44-byte header (sizes 0xFFFFFFFF: unknown).
_PLAIN = {"fflags": "+bitexact"}

FORMATS: Mapping[str, AudioFormat] = {
    # A streamed mp3 cannot have its Xing/LAME header filled in afterwards: bare frames, no ID3.
    "mp3": AudioFormat(
        "mp3",
        "audio/mpeg",
        LOSSY_RATE,
        "mp3",
        "libmp3lame",
        64_000,
        {**_PLAIN, "write_xing": "0", "id3v2_version": "0"},
    ),
    # Ogg holds ~1 s pages unless told otherwise; 100 ms pages let bytes flow as they are made.
    "opus": AudioFormat(
        "opus",
        "audio/ogg; codecs=opus",
        LOSSY_RATE,
        "ogg",
        "libopus",
        48_000,
        {**_PLAIN, "page_duration": "100000"},
    ),
    "aac": AudioFormat("aac", "audio/aac", LOSSY_RATE, "adts", "aac", 64_000, _PLAIN),
    "flac": AudioFormat("flac", "audio/flac", OUTPUT_RATE, "flac", "flac", None, _PLAIN),
    "wav": AudioFormat("wav", "audio/wav", OUTPUT_RATE, "wav", "pcm_s16le", None, _PLAIN),
    "pcm": AudioFormat("pcm", "audio/pcm", OUTPUT_RATE, None, None),
}


def audio_format(name: str) -> AudioFormat:
    """The format called ``name``; unknown names are an InvalidOptionError on ``response_format``."""
    try:
        return FORMATS[name]
    except KeyError:
        raise InvalidOptionError(
            f"Invalid value for 'response_format': '{name}'. Supported values are: {', '.join(FORMATS)}.",
            "response_format",
        ) from None


class _Sink:
    """A write-only, non-seekable file object that hands its bytes out on demand."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []

    def write(self, data: Any) -> int:
        self._parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        """Nothing buffered here beyond what :meth:`take` returns."""

    def take(self) -> bytes:
        """Everything written since the last call."""
        data = b"".join(self._parts)
        self._parts.clear()
        return data


class StreamEncoder:
    """Encodes one mono float32 stream of ``input_rate`` Hz into ``fmt``, chunk by chunk."""

    def __init__(self, fmt: str | AudioFormat, input_rate: int) -> None:
        self.format = fmt if isinstance(fmt, AudioFormat) else audio_format(fmt)
        self.input_rate = input_rate
        self._pts = 0
        self._time_base = Fraction(1, input_rate)
        self._closed = False
        self._container: Any = None
        self._stream: Any = None
        self._resampler: Any = None
        self._sink = _Sink()
        if self.format.container is None:
            self._resampler = av.AudioResampler(format="s16", layout="mono", rate=self.format.sample_rate)
            return
        self._container = av.open(
            self._sink, mode="w", format=self.format.container, options=dict(self.format.container_options)
        )
        stream = self._container.add_stream(self.format.codec, rate=self.format.sample_rate, layout="mono")
        if self.format.bit_rate is not None:
            stream.bit_rate = self.format.bit_rate
        self._stream = stream

    def _frame(self, samples: np.ndarray) -> av.AudioFrame:
        data = np.ascontiguousarray(samples, dtype=np.float32).reshape(1, -1)
        frame = av.AudioFrame.from_ndarray(data, format="flt", layout="mono")
        frame.sample_rate = self.input_rate
        frame.pts = self._pts
        frame.time_base = self._time_base
        self._pts += data.shape[1]
        return frame

    def _raw(self, frames: list[av.AudioFrame]) -> bytes:
        return b"".join(f.to_ndarray().astype("<i2", copy=False).tobytes() for f in frames if f is not None)

    def encode(self, samples: np.ndarray) -> bytes:
        """Feed float32 samples in [-1, 1]; returns the bytes produced so far (may be empty)."""
        if self._closed:
            raise RuntimeError("encoder already flushed")
        if samples.size == 0:
            return b""
        frame = self._frame(samples)
        if self._resampler is not None:
            return self._raw(self._resampler.resample(frame))
        for packet in self._stream.encode(frame):
            self._container.mux(packet)
        return self._sink.take()

    def flush(self) -> bytes:
        """Drain the resampler and encoder and write the trailer: the rest of the stream."""
        if self._closed:
            return b""
        self._closed = True
        if self._resampler is not None:
            return self._raw(self._resampler.resample(None))
        for packet in self._stream.encode(None):
            self._container.mux(packet)
        self._container.close()
        return self._sink.take()

    def close(self) -> None:
        """Release the encoder without flushing (the stream was abandoned)."""
        if self._closed:
            return
        self._closed = True
        if self._container is not None:
            try:
                self._container.close()
            except Exception:  # noqa: BLE001 - an abandoned stream may be half-written
                logger.debug("closing an abandoned %s encoder failed", self.format.name, exc_info=True)
