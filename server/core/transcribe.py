"""Speech to text (and translation to English): resolve, admit, decode, run whisper in a worker thread."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from engines.manifest import ModelSpec
from engines.registry import ModelRegistry
from engines.types import Segment, TranscriptionInfo, TranscriptionOptions
from server.admission import Admission
from server.core import audio as audio_input
from server.core.audio import Audio
from server.core.cancel import CancelToken
from server.core.job import Job
from server.core.worker import ThreadedIterator
from server.errors import invalid
from server.metrics import Metrics

logger = logging.getLogger(__name__)

AudioCheck = Callable[[float], None]  # a door's own rule on the decoded length (seconds); raises to refuse


@dataclass
class Transcription:
    """A running transcription: ``info`` at once, then ``async for segment in transcription``.

    Holds the slot and the lease until exhausted or closed (``async with`` / ``aclose()``).
    """

    model: ModelSpec
    info: TranscriptionInfo
    seconds: float  # decoded audio
    job: Job[TranscriptionInfo | Segment]

    def __aiter__(self) -> Transcription:
        return self

    async def __anext__(self) -> Segment:
        item = await anext(self.job)
        assert isinstance(item, Segment)
        return item

    async def aclose(self) -> None:
        """Stop the engine and release the slot and the lease."""
        await self.job.aclose()

    async def __aenter__(self) -> Transcription:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


def _run(registry: ModelRegistry, model_id: str, audio: np.ndarray, options: TranscriptionOptions
         ) -> Iterator[TranscriptionInfo | Segment]:  # fmt: skip
    """In a worker thread: lease the model, yield the info, then each segment."""
    with registry.lease(model_id) as engine:
        info, segments = engine.transcribe(audio, options)
        yield info
        yield from segments


class Transcriber:
    """The transcription service every front door calls."""

    def __init__(self, registry: ModelRegistry, admission: Admission, metrics: Metrics | None,
                 max_audio_seconds: float) -> None:  # fmt: skip
        self.registry = registry
        self.admission = admission
        self.metrics = metrics
        self.max_audio_seconds = max_audio_seconds

    def resolve(self, model: str, task: str = "transcribe", language: str | None = None) -> ModelSpec:
        """The speech-to-text model for a requested name; 404/400 if it cannot do ``task`` in ``language``."""
        spec = self.registry.resolve(model, "stt")
        if self.metrics is not None:
            self.metrics.label_model(spec.id)
        if task == "translate" and spec.english_only:
            raise invalid(f"Model '{model}' is English-only and cannot translate; use a multilingual model "
                          "such as 'whisper-1'.", "model", code="unsupported_value")  # fmt: skip
        if spec.english_only and language not in (None, "en"):
            raise invalid(f"Model '{model}' is English-only; language '{language}' is not supported.",
                          "language", code="unsupported_value")  # fmt: skip
        return spec

    async def start(
        self, model: str | ModelSpec, audio: Audio, options: TranscriptionOptions,
        cancel: CancelToken | None = None, *, endpoint: str = "transcribe", check: AudioCheck | None = None,
    ) -> Transcription:  # fmt: skip
        """Admit, decode and start whisper; returns once the info is known (language detected).

        Every failure up to here is a plain exception (nothing was sent yet); ``endpoint`` labels the
        metrics. The slot comes first: it bounds concurrent decoding too.
        """
        spec = model if isinstance(model, ModelSpec) else self.resolve(model, options.task, options.language)
        stack, samples = await audio_input.admit_and_decode(
            self.admission, spec.id, audio, self.max_audio_seconds, cancel, check
        )
        seconds = audio_input.seconds(samples)
        del audio  # the encoded bytes are not needed any more
        logger.info("%s: model=%s %.2f s of audio", options.task, spec.id, seconds)
        started = time.perf_counter()

        def observe() -> None:  # once the transcript is complete: audio seconds and engine time
            if self.metrics is not None:
                self.metrics.observe_audio(endpoint, spec.id, seconds_in=seconds,
                                           processing_seconds=time.perf_counter() - started)  # fmt: skip

        items = ThreadedIterator(lambda _cancelled: _run(self.registry, spec.id, samples, options))
        job: Job[TranscriptionInfo | Segment] = Job(items, stack, cancel, observe)
        info = await job.first()  # model loaded, VAD and language detection done
        assert isinstance(info, TranscriptionInfo)
        return Transcription(spec, info, seconds, job)

    async def transcribe(
        self, model: str | ModelSpec, audio: Audio, options: TranscriptionOptions,
        cancel: CancelToken | None = None, *, endpoint: str = "transcribe",
    ) -> tuple[TranscriptionInfo, list[Segment]]:  # fmt: skip
        """The whole transcription: (info, every segment)."""
        async with await self.start(model, audio, options, cancel, endpoint=endpoint) as running:
            return running.info, [segment async for segment in running]
