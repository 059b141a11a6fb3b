"""Streaming encoders: bytes flow per chunk, and every format keeps its tail after flush()."""

from __future__ import annotations

import io
import wave
from pathlib import Path

import av
import numpy as np
import pytest
import soundfile

from engines.encode import FORMATS, StreamEncoder, audio_format
from engines.errors import InvalidOptionError

RATE = 22050


def _signal() -> np.ndarray:
    """1 s of a quiet tone, 0.3 s of silence, then a loud 100 ms burst that ends the stream."""
    t = np.arange(RATE) / RATE
    tone = 0.3 * np.sin(2 * np.pi * 220 * t)
    silence = np.zeros(int(0.3 * RATE))
    tb = np.arange(int(0.1 * RATE)) / RATE
    burst = 0.8 * np.sin(2 * np.pi * 1000 * tb)
    return np.concatenate([tone, silence, burst]).astype(np.float32)


def _encode(fmt: str, signal: np.ndarray, sizes: tuple[int, ...] = (7000, 3001, 11025)) -> list[bytes]:
    encoder = StreamEncoder(fmt, RATE)
    parts, start, i = [], 0, 0
    while start < len(signal):
        size = sizes[i % len(sizes)]
        parts.append(encoder.encode(signal[start : start + size]))
        start, i = start + size, i + 1
    parts.append(encoder.flush())
    return parts


def _decode(fmt: str, data: bytes) -> tuple[np.ndarray, int]:
    if fmt == "pcm":
        return np.frombuffer(data, dtype="<i2").astype(np.float32) / 32768, 24000
    with av.open(io.BytesIO(data)) as container:
        frames = [f.to_ndarray().reshape(-1) for f in container.decode(audio=0)]
        rate = container.streams.audio[0].rate
    return np.concatenate(frames).astype(np.float32), rate


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_every_format_flushes_its_tail(fmt: str) -> None:
    signal = _signal()
    data = b"".join(_encode(fmt, signal))
    audio, rate = _decode(fmt, data)
    expected = len(signal) / RATE
    got = len(audio) / rate
    # Nothing lost at the end; lossy formats may add encoder delay and last-frame padding (< 50 ms).
    assert expected - 0.001 <= got <= expected + 0.05, (fmt, expected, got)
    # The burst that ends the input is in the output: its last 50 ms (shifted at most by the delay).
    end = int(expected * rate)
    tail = audio[end - int(0.05 * rate) : end]
    assert np.sqrt(np.mean(tail**2)) > 0.2, fmt
    # ...and the silence before it is still silence (the burst is not smeared or misplaced).
    quiet = audio[int(1.05 * rate) : int(1.25 * rate)]
    assert np.sqrt(np.mean(quiet**2)) < 0.02, fmt


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_bytes_flow_chunk_by_chunk(fmt: str) -> None:
    parts = _encode(fmt, _signal(), sizes=(RATE // 2,))
    assert parts[0], f"{fmt}: nothing after the first 0.5 s"
    assert all(parts[1:-1]), f"{fmt}: a chunk produced no bytes"


def test_pcm_is_headerless_24khz_s16le() -> None:
    signal = _signal()
    data = b"".join(_encode("pcm", signal))
    samples = len(data) // 2
    assert len(data) % 2 == 0
    assert abs(samples - len(signal) * 24000 / RATE) <= 1


def test_streamed_wav_has_openais_plain_header_then_the_pcm() -> None:
    signal = _signal()
    pcm = b"".join(_encode("pcm", signal))
    wav = b"".join(_encode("wav", signal))
    # RIFF/WAVE, 16-byte fmt chunk (PCM, mono, 24000 Hz, 48000 B/s, 2-byte frames, 16 bits), then data;
    # both sizes are 0xFFFFFFFF ("unknown") because the header goes out before the audio is made.
    assert wav[:44] == (
        b"RIFF\xff\xff\xff\xffWAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00"
        + (24000).to_bytes(4, "little")
        + (48000).to_bytes(4, "little")
        + b"\x02\x00\x10\x00data\xff\xff\xff\xff"
    )
    assert wav[44:] == pcm
    with wave.open(io.BytesIO(wav)) as reader:
        assert reader.getframerate() == 24000 and reader.getnchannels() == 1
        assert reader.readframes(10**9) == pcm


def test_flac_is_lossless() -> None:
    signal = _signal()
    pcm = np.frombuffer(b"".join(_encode("pcm", signal)), dtype="<i2")
    data = b"".join(_encode("flac", signal))
    assert data[:4] == b"fLaC"
    with av.open(io.BytesIO(data)) as container:
        decoded = np.concatenate([f.to_ndarray().reshape(-1) for f in container.decode(audio=0)])
        assert container.streams.audio[0].rate == 24000
    assert np.array_equal(decoded, pcm)


def test_streamed_wav_reads_with_soundfile_from_a_file(tmp_path: Path) -> None:
    path = tmp_path / "x.wav"
    path.write_bytes(b"".join(_encode("wav", _signal())))
    audio, rate = soundfile.read(path, dtype="int16")
    assert rate == 24000 and len(audio) == len(b"".join(_encode("pcm", _signal()))) // 2


def test_lossy_formats_run_at_48khz_and_opus_is_ogg() -> None:
    assert FORMATS["opus"].sample_rate == 48000
    data = b"".join(_encode("opus", _signal()))
    assert data[:4] == b"OggS" and b"OpusHead" in data[:100]
    assert FORMATS["mp3"].media_type == "audio/mpeg"


def test_unknown_format_names_the_param() -> None:
    with pytest.raises(InvalidOptionError) as info:
        audio_format("ogg")
    assert info.value.param == "response_format"


def test_encode_after_flush_is_an_error_and_flush_is_idempotent() -> None:
    encoder = StreamEncoder("mp3", RATE)
    encoder.encode(_signal())
    assert encoder.flush()
    assert encoder.flush() == b""
    with pytest.raises(RuntimeError):
        encoder.encode(_signal())


def test_abandoned_encoder_closes_quietly() -> None:
    for fmt in FORMATS:
        encoder = StreamEncoder(fmt, RATE)
        encoder.encode(_signal()[:5000])
        encoder.close()
        encoder.close()
