"""Generate the malformed-audio corpus in tests/data/bad/ (and its expectations in cases.json).

Every case is made by code from a real recording (tests/data/librivox/...-0880.wav, "he was not an
ill disposed young man"), so the corpus can be rebuilt and reviewed: run
``python scripts/make_bad_corpus.py``. Expectations: ``400`` with ``param: file`` (and an error code),
or ``200`` with words the transcript must contain.
"""

from __future__ import annotations

import io
import json
import random
import struct
from pathlib import Path

import av
import numpy as np
import soundfile as sf

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "tests/data/librivox/sense_and_sensibility_01_austen_64kb-0880.wav"
OUT = ROOT / "tests/data/bad"
WORDS = ["ill", "disposed", "young", "man"]


def encode(samples: np.ndarray, rate: int, container: str, codec: str, channels: int = 1) -> bytes:
    """Encode float32 samples (frames x channels) with PyAV into a container in memory."""
    buf = io.BytesIO()
    layout = "mono" if channels == 1 else "stereo"
    with av.open(buf, "w", format=container) as out:
        stream = out.add_stream(codec, rate=rate)
        stream.layout = layout
        pcm = (np.clip(samples, -1, 1) * 32767).astype(np.int16).reshape(-1, channels)
        step = rate // 10
        for start in range(0, len(pcm), step):
            block = np.ascontiguousarray(pcm[start : start + step].T.reshape(1, -1))
            frame = av.AudioFrame.from_ndarray(block, format="s16", layout=layout)
            frame.sample_rate = rate
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return buf.getvalue()


def resample(samples: np.ndarray, rate_in: int, rate_out: int) -> np.ndarray:
    """Linear resampling (good enough to make test inputs)."""
    n_out = int(len(samples) * rate_out / rate_in)
    return np.interp(np.linspace(0, len(samples) - 1, n_out), np.arange(len(samples)), samples).astype(
        np.float32
    )


def silent_opus(seconds: int) -> bytes:
    """Ogg Opus of pure silence with DTX: ~0.7 MB per hour, decodes to ``seconds`` of audio."""
    buf = io.BytesIO()
    with av.open(buf, "w", format="ogg") as out:
        stream = out.add_stream("libopus", rate=8000)
        stream.layout = "mono"
        stream.codec_context.options = {"dtx": "1", "frame_duration": "60", "b": "6000"}
        minute = np.zeros((1, 8000 * 60), dtype=np.int16)
        for _ in range(seconds // 60):
            frame = av.AudioFrame.from_ndarray(minute, format="s16", layout="mono")
            frame.sample_rate = 8000
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return buf.getvalue()


def video_only_mp4() -> bytes:
    """An mp4 with one short video stream and no audio at all."""
    buf = io.BytesIO()
    with av.open(buf, "w", format="mp4") as out:
        stream = out.add_stream("mpeg4", rate=10)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for i in range(10):
            image = np.full((48, 64, 3), i * 20, dtype=np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return buf.getvalue()


def wav_header(data_bytes: int, rate: int = 16000) -> bytes:
    """A 44-byte PCM16 mono wav header declaring ``data_bytes`` of samples."""
    return (
        b"RIFF"
        + struct.pack("<I", (36 + data_bytes) & 0xFFFFFFFF)
        + b"WAVE"
        + b"fmt "
        + struct.pack("<IHHIIHH", 16, 1, 1, rate, rate * 2, 2, 16)
        + b"data"
        + struct.pack("<I", data_bytes & 0xFFFFFFFF)
    )


def main() -> None:
    rng = random.Random(1234)
    speech, rate = sf.read(SOURCE, dtype="float32")
    pcm16 = (speech * 32767).astype("<i2").tobytes()
    mp3 = encode(speech, rate, "mp3", "libmp3lame")
    ogg = encode(speech, rate, "ogg", "libopus") if rate in (8000, 16000) else b""
    flac = encode(speech, rate, "flac", "flac")
    wav = wav_header(len(pcm16), rate) + pcm16
    bad = "400"
    cases: dict[str, dict] = {
        "truncated.mp3": (mp3[: len(mp3) * 2 // 3], {"status": 200, "words": ["he", "was"]}),
        "truncated.ogg": (ogg[:300], {"status": bad}),
        "truncated.flac": (flac[: len(flac) * 2 // 3], {"status": 200, "words": ["he", "was"]}),
        "truncated.wav": (wav[: 44 + len(pcm16) // 2], {"status": 200, "words": ["he", "was"]}),
        "random.mp3": (rng.randbytes(20000), {"status": bad}),
        "random.wav": (rng.randbytes(20000), {"status": bad}),
        "random.ogg": (rng.randbytes(20000), {"status": bad}),
        "random.flac": (rng.randbytes(20000), {"status": bad}),
        "zero-bytes.wav": (b"", {"status": bad}),
        "header-only.wav": (wav_header(0, rate), {"status": bad}),
        "huge-declared-length.wav": (wav_header(0xFFFFFFF0, rate) + pcm16, {"status": 200, "words": WORDS}),
        "zero-samples.flac": (encode(np.zeros(0, np.float32), rate, "flac", "flac"), {"status": bad}),
        "stereo-8khz.wav": (None, {"status": 200, "words": WORDS}),
        "stereo-96khz.flac": (None, {"status": 200, "words": WORDS}),
        "hours-of-silence.opus": (silent_opus(9000), {"status": bad, "code": "audio_too_long"}),
        "text-named.mp3": (b"This is a text file, not audio.\n" * 40, {"status": bad}),
        "video-only.mp4": (video_only_mp4(), {"status": bad}),
    }
    for name, rate_out, fmt in (("stereo-8khz.wav", 8000, "WAV"), ("stereo-96khz.flac", 96000, "FLAC")):
        mono = resample(speech, rate, rate_out)
        stereo = np.stack([mono, mono * 0.8], axis=1)
        buf = io.BytesIO()
        sf.write(buf, stereo, rate_out, format=fmt, subtype="PCM_16")
        cases[name] = (buf.getvalue(), cases[name][1])
    OUT.mkdir(parents=True, exist_ok=True)
    expectations = {}
    for name, (data, expect) in cases.items():
        (OUT / name).write_bytes(data)
        expectations[name] = {k: (int(v) if k == "status" else v) for k, v in expect.items()}
    (OUT / "cases.json").write_text(json.dumps(expectations, indent=2) + "\n")
    print(f"wrote {len(cases)} cases to {OUT}")


if __name__ == "__main__":
    main()
