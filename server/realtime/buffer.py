"""The input audio buffer of one session: decoded to 16 kHz as it arrives, cut into turns by the VAD.

Offsets are 16 kHz samples since the session began (``ms = sample // 16``), as OpenAI's
``audio_start_ms`` / ``audio_end_ms`` are. Without VAD everything since the last commit is kept; with it,
only ``prefix_padding_ms`` before the speech (the rest can never be part of a turn).
Not thread-safe: the session calls it from one worker thread at a time.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engines.stream_audio import StreamDecoder
from engines.stream_vad import StreamingVad
from server.realtime.config import SessionConfig
from server.realtime.errors import RealtimeError

RATE = 16000
MIN_COMMIT_SAMPLES = RATE // 10  # 100 ms, OpenAI's minimum


@dataclass(frozen=True)
class Mark:
    """What an append found: speech ``start`` (at ``sample``, padding included) or ``stop`` with the turn."""

    kind: str
    sample: int
    audio: np.ndarray | None = None
    forced: bool = False  # the turn hit the buffer limit while the speaker was still talking


class InputBuffer:
    """Uncommitted audio, the decoder and the turn detector of one session."""

    def __init__(self, config: SessionConfig, max_seconds: float) -> None:
        self.max_samples = int(max_seconds * RATE)
        self._chunks: list[np.ndarray] = []
        self._size = 0
        self.base = 0  # stream offset of the buffer's first sample
        self.speech_start: int | None = None  # stream offset of the current turn (padding included)
        self.decoder: StreamDecoder | None = None
        self.vad: StreamingVad | None = None
        self.configure(config)

    def configure(self, config: SessionConfig) -> None:
        """A new config: a new decoder if the format changed; the VAD follows turn_detection."""
        if self.decoder is None or self.decoder.encoding != config.encoding:
            self.decoder = StreamDecoder(config.encoding)
        self.prefix = config.prefix_ms() * RATE // 1000
        if config.turn_detection is None:
            self.vad = None
            self.speech_start = None
        elif self.vad is not None:  # the stream and the turn in progress go on
            self.vad.tune(config.threshold(), config.silence_ms())
        else:
            self.vad = StreamingVad(config.threshold(), config.silence_ms())
            self.vad.position = self.end

    @property
    def end(self) -> int:
        """Stream offset just past the last decoded sample."""
        return self.base + self._size

    @property
    def samples(self) -> int:
        return self._size

    def _audio(self, start: int, stop: int) -> np.ndarray:
        whole = np.concatenate(self._chunks) if len(self._chunks) != 1 else self._chunks[0]
        self._chunks = [whole]
        return whole[start - self.base : stop - self.base]

    def _drop_before(self, offset: int) -> None:
        if offset <= self.base:
            return
        whole = self._audio(self.base, self.end)
        kept = whole[offset - self.base :]
        self._chunks, self._size, self.base = [kept], kept.shape[0], offset

    def append(self, data: bytes) -> list[Mark]:
        """Decode ``data``, run the VAD, and return the speech starts and finished turns it completes."""
        assert self.decoder is not None
        samples = self.decoder.decode(data)
        if self.vad is None and self._size + samples.shape[0] > self.max_samples:
            raise RealtimeError(
                f"The input audio buffer is full ({self.max_samples / RATE:g} s uncommitted): commit or "
                "clear it (input_audio_buffer.commit / .clear) before appending more.",
                "input_audio_buffer_full",
                "audio",
            )
        self._chunks.append(samples)
        self._size += samples.shape[0]
        if self.vad is None:
            return []
        marks = []
        for event in self.vad.feed(samples):
            if event.kind == "start":
                self.speech_start = max(self.base, event.sample - self.prefix)
                marks.append(Mark("start", self.speech_start))
            elif self.speech_start is not None:
                marks.append(self._turn(event.sample))
        if self.speech_start is None:  # between turns: keep only what a next turn's padding needs
            self._drop_before(max(self.base, self.vad.position - self.prefix))
        elif self.vad.position - self.speech_start >= self.max_samples:
            self.vad.reset()
            marks.append(self._turn(self.vad.position, forced=True))
        return marks

    def _turn(self, stop: int, forced: bool = False) -> Mark:
        start = self.speech_start if self.speech_start is not None else self.base
        audio = self._audio(start, stop).copy()
        self.speech_start = None
        self._drop_before(stop)
        return Mark("stop", stop, audio, forced)

    def speech_so_far(self) -> np.ndarray | None:
        """The turn in progress up to now (a copy), or None when nobody is speaking."""
        if self.speech_start is None:
            return None
        return self._audio(self.speech_start, self.end).copy()

    def commit(self) -> np.ndarray:
        """Everything buffered, as one turn (a manual commit); refused under 100 ms."""
        if self._size < MIN_COMMIT_SAMPLES:
            raise RealtimeError(
                "Error committing input audio buffer: buffer too small. Expected at least 100ms of audio, "
                f"but buffer only has {self._size / 16:.2f}ms of audio.",
                "input_audio_buffer_commit_empty",
            )
        start = self.speech_start if self.speech_start is not None else self.base
        audio = self._audio(start, self.end).copy()
        self.clear()
        return audio

    def clear(self) -> None:
        """Drop the uncommitted audio and any speech in progress."""
        self._drop_before(self.end)
        self._chunks, self._size = [], 0
        self.speech_start = None
        if self.vad is not None:
            self.vad.reset()
