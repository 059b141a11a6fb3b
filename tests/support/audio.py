"""Test audio: the vendored clips, their transcripts, and PyAV encoding to any container."""

from __future__ import annotations

import io
import re
import wave
from pathlib import Path

import av
import numpy as np

DATA = Path(__file__).resolve().parents[1] / "data"
LIBRIVOX = DATA / "librivox"


def librivox_transcripts() -> dict[str, str]:
    """Clip path -> reference text, from the CMU-style ``transcription`` file."""
    clips = {}
    for line in (LIBRIVOX / "transcription").read_text().splitlines():
        match = re.match(r"<s>(.*)</s>\s*\((.+)\)", line.strip())
        if match:
            clips[match.group(2)] = match.group(1).strip()
    return clips


def read_samples(path: Path, rate: int = 16000) -> np.ndarray:
    """Any audio file -> mono float32 at ``rate``."""
    out = []
    with av.open(str(path)) as container:
        resampler = av.AudioResampler(format="flt", layout="mono", rate=rate)
        for frame in container.decode(audio=0):
            out += [f.to_ndarray().reshape(-1) for f in resampler.resample(frame)]
        out += [f.to_ndarray().reshape(-1) for f in resampler.resample(None)]
    return np.concatenate(out)


def encode(samples: np.ndarray, container: str, codec: str, rate: int = 16000, in_rate: int = 16000) -> bytes:
    """Mono float32 samples -> bytes of ``container`` with ``codec`` (resampled to ``rate``)."""
    buffer = io.BytesIO()
    with av.open(buffer, "w", format=container) as out:
        stream = out.add_stream(codec, rate=rate, layout="mono")
        frame = av.AudioFrame.from_ndarray(
            samples.astype(np.float32).reshape(1, -1), format="flt", layout="mono"
        )
        frame.sample_rate = in_rate
        fmt = stream.codec_context.format.name if stream.codec_context.format else "s16"
        resampler = av.AudioResampler(format=fmt, layout="mono", rate=rate)
        for chunk in [*resampler.resample(frame), *resampler.resample(None)]:
            out.mux(stream.encode(chunk))
        out.mux(stream.encode(None))
    return buffer.getvalue()


def wav_bytes(samples: np.ndarray, rate: int = 16000) -> bytes:
    """16-bit PCM mono wav (a header alone for no samples)."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())
    return buffer.getvalue()
