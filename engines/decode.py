"""Decode any upload PyAV understands to 16 kHz mono float32, in memory.

The container is sniffed from the bytes (FFmpeg's probe), never taken from the file name or the
content type, which clients often send as ``upload`` / ``application/octet-stream``. Decoding stops
as soon as the audio passes the allowed duration, so a tiny file that decodes to hours costs little.
"""

from __future__ import annotations

import io
import logging
import threading

import numpy as np

from engines.errors import AudioDecodeError, AudioTooLongError

logger = logging.getLogger(__name__)

SAMPLE_RATE = 16000


def _describe(exc: Exception) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.split(": '<")[0]  # PyAV appends the (meaningless) in-memory file name


def _open_input(data: bytes):  # noqa: ANN202 - av.container.InputContainer
    """Open ``data`` for reading; tags that are not valid UTF-8 never stop the decode.

    PyAV < 19 raises on such tags unless told ``metadata_errors="ignore"``; PyAV 19 dropped that argument
    and always decodes tags with ``surrogateescape``.
    """
    import av

    if int(av.__version__.split(".")[0]) < 19:
        return av.open(io.BytesIO(data), mode="r", metadata_errors="ignore")
    return av.open(io.BytesIO(data), mode="r")


def packets_too_long(data: bytes, max_seconds: float) -> bool:
    """Whether the audio packets' own durations add up past ``max_seconds`` (demuxing only: fast).

    Containers' declared totals are never trusted; this sums the packets actually present, so a tiny file
    that would decode to hours (silence with DTX) is refused in well under a second instead of after
    decoding two hours of it. Decoding still counts real samples, whatever the packets claim.
    """
    import av

    try:
        with _open_input(data) as container:
            if not container.streams.audio:
                return False
            stream = container.streams.audio[0]
            if stream.time_base is None:
                return False
            limit = max_seconds / stream.time_base
            total = 0
            for packet in container.demux(stream):
                total += packet.duration or 0
                if total > limit:
                    return True
    except (av.error.FFmpegError, ValueError, UnicodeDecodeError):
        return False  # decoding reports what is wrong with the file
    return False


def decode_audio(
    data: bytes,
    max_seconds: float | None = None,
    sample_rate: int = SAMPLE_RATE,
    cancelled: threading.Event | None = None,
) -> np.ndarray:
    """Bytes of any audio/video container -> mono float32 samples at ``sample_rate``.

    Raises AudioDecodeError for empty, corrupt, non-audio or silent-of-samples input (or once
    ``cancelled`` is set) and AudioTooLongError past ``max_seconds``.
    """
    import av

    if not data:
        raise AudioDecodeError("The audio file is empty.")
    limit = None if max_seconds is None else int(max_seconds * sample_rate)
    if max_seconds is not None and packets_too_long(data, max_seconds):
        raise AudioTooLongError(f"The audio is longer than the maximum of {max_seconds:g} seconds.")
    try:
        container = _open_input(data)
    except (av.error.FFmpegError, ValueError, UnicodeDecodeError) as exc:
        raise AudioDecodeError(
            f"The file could not be decoded as audio ({_describe(exc)}). "
            "Supported formats: flac, mp3, mp4, mpeg, mpga, m4a, ogg, opus, wav, webm."
        ) from exc
    chunks: list[np.ndarray] = []
    total = 0
    try:
        streams = container.streams.audio
        if not streams:
            raise AudioDecodeError("The file contains no audio stream.")
        resampler = av.AudioResampler(format="flt", layout="mono", rate=sample_rate)
        try:
            for frame in container.decode(streams[0]):
                frame.pts = None  # the resampler re-times; odd source timestamps must not matter
                for out in resampler.resample(frame):
                    total += _append(chunks, out)
                if cancelled is not None and cancelled.is_set():
                    raise AudioDecodeError("Decoding was cancelled.")
                if limit is not None and total > limit:
                    raise AudioTooLongError(
                        f"The audio is longer than the maximum of {max_seconds:g} seconds."
                    )
            for out in resampler.resample(None):
                total += _append(chunks, out)
        except av.error.FFmpegError as exc:
            if total == 0:
                raise AudioDecodeError(f"The audio could not be decoded ({_describe(exc)}).") from exc
            logger.warning("audio decoding stopped early after %.2f s: %s", total / sample_rate, exc)
    finally:
        container.close()
    if limit is not None and total > limit:
        raise AudioTooLongError(f"The audio is longer than the maximum of {max_seconds:g} seconds.")
    if total == 0:
        raise AudioDecodeError("The file decodes to no audio samples.")
    audio = np.concatenate(chunks) if len(chunks) > 1 else chunks[0]
    if not np.all(np.isfinite(audio)):
        audio = np.nan_to_num(audio, nan=0.0, posinf=1.0, neginf=-1.0)
    return audio


def _append(chunks: list[np.ndarray], frame: object) -> int:
    samples = frame.to_ndarray().reshape(-1).astype(np.float32, copy=False)  # type: ignore[attr-defined]
    if samples.size:
        chunks.append(samples)
    return int(samples.size)
