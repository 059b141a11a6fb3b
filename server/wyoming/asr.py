"""Speech to text over Wyoming: ``transcribe``, ``audio-start``/``audio-chunk``/``audio-stop`` -> transcript.

The audio arrives as raw PCM in whatever format the client declares; it is converted on arrival to
16 kHz mono float32 (channels averaged, PyAV's resampler) and transcribed with the same engine options as
an HTTP ``json`` request, so the words are the same. The reply is ``transcript-start``, one
``transcript-chunk`` per segment, ``transcript`` (the whole text) and ``transcript-stop``.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import numpy as np
from wyoming.asr import Transcribe, Transcript, TranscriptChunk, TranscriptStart, TranscriptStop
from wyoming.audio import AudioChunk, AudioStart
from wyoming.event import Event

from engines.errors import AudioTooLongError
from engines.languages import normalize_language
from engines.manifest import ModelSpec
from server.core import CancelToken, Services
from server.core.audio import SAMPLE_RATE
from server.core.options import delta, join_text, transcription_options
from server.errors import APIError
from server.settings import Settings
from server.wyoming.pcm import PcmFormat, Resampler, to_float

logger = logging.getLogger(__name__)

Send = Callable[[Event], Awaitable[None]]
ENDPOINT = "wyoming:transcribe"


@dataclass
class _Stream:
    """One utterance being received."""

    format: PcmFormat
    resampler: Resampler
    parts: list[np.ndarray] = field(default_factory=list)
    samples: int = 0


class Recognizer:
    """One connection's speech-to-text state: the requested model and language, and the audio so far."""

    def __init__(self, services: Services, settings: Settings, send: Send) -> None:
        self.services = services
        self.settings = settings
        self.send = send
        self.model: str | None = None
        self.language: str | None = None
        self.stream: _Stream | None = None
        self.refused = False  # an error was sent for this utterance; ignore its audio until the next start
        self.model_id = "-"  # the model of the last transcription (the metrics' label)

    def _spec(self) -> ModelSpec:
        name = self.model or self.services.transcriber.registry.default("stt").id
        return self.services.transcriber.resolve(name, "transcribe", self.language)

    def transcribe(self, event: Event) -> None:
        """``transcribe``: remember the model and language (checked now, so a bad one fails at once)."""
        request = Transcribe.from_event(event)
        language = normalize_language(request.language) if request.language else None
        self.model, self.language = request.name or None, language
        self._spec()

    def start(self, event: Event) -> None:
        """``audio-start``: a new utterance in this format."""
        start = AudioStart.from_event(event)
        self.stream = None
        self.refused = False
        fmt = PcmFormat(start.rate, start.width, start.channels).check()
        self._spec()
        self.stream = _Stream(fmt, Resampler(fmt.rate))

    def refuse(self) -> None:
        """Drop the utterance after an error: its later chunks are ignored until the next ``audio-start``."""
        self.stream = None
        self.refused = True

    def chunk(self, event: Event) -> None:
        """``audio-chunk``: convert and keep (the chunk's own format, which must keep the stream's rate)."""
        if self.refused:
            return
        if self.stream is None:
            raise APIError(400, "audio-chunk before audio-start: send audio-start (rate, width, channels) "
                           "first.", param="audio-chunk", code="audio_not_started")  # fmt: skip
        chunk = AudioChunk.from_event(event)
        fmt = PcmFormat(chunk.rate, chunk.width, chunk.channels).check()
        if fmt.rate != self.stream.format.rate:
            started = self.stream.format.rate
            raise APIError(400, f"audio-chunk rate {fmt.rate} differs from audio-start's {started}; keep one "
                           "rate per utterance.", param="rate", code="invalid_value")  # fmt: skip
        self._keep(self.stream.resampler.push(to_float(chunk.audio or b"", fmt)))

    def _keep(self, parts: list[np.ndarray]) -> None:
        assert self.stream is not None
        for part in parts:
            self.stream.parts.append(part)
            self.stream.samples += part.shape[0]
        limit = self.settings.max_audio_seconds
        if self.stream.samples > limit * SAMPLE_RATE:
            raise AudioTooLongError(f"The audio is longer than the maximum of {limit:g} seconds; "
                                    "send audio-stop sooner.")  # fmt: skip

    async def stop(self, cancel: CancelToken) -> None:
        """``audio-stop``: transcribe what came and send the transcript events."""
        if self.refused:
            self.refused = False
            return
        if self.stream is None:
            raise APIError(400, "audio-stop before audio-start: send transcribe, audio-start, audio-chunk "
                           "and then audio-stop.", param="audio-stop", code="audio_not_started")  # fmt: skip
        stream, self.stream = self.stream, None
        self._restore(stream)
        samples = np.concatenate(stream.parts) if stream.parts else np.zeros(0, np.float32)
        spec = self._spec()
        self.model_id = spec.id
        options = transcription_options(self.settings, language=self.language, segment_timing=False)
        transcriber = self.services.transcriber
        async with await transcriber.start(spec, samples, options, cancel, endpoint=ENDPOINT) as running:
            language = running.info.language
            await self.send(TranscriptStart(language=language).event())
            segments = []
            async for segment in running:
                await self.send(TranscriptChunk(text=delta(segment, not segments)).event())
                segments.append(segment)
        text = join_text(segments)
        logger.info("wyoming transcript: model=%s %.2f s of audio, %d characters", spec.id,
                    samples.shape[0] / SAMPLE_RATE, len(text))  # fmt: skip
        await self.send(Transcript(text=text, language=language).event())
        await self.send(TranscriptStop().event())

    def _restore(self, stream: _Stream) -> None:
        """Flush the resampler's tail into the stream."""
        self.stream = stream
        try:
            self._keep(stream.resampler.flush())
        finally:
            self.stream = None
