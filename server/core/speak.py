"""Text to speech: resolve the voice, admit, synthesise sentence by sentence in a worker thread.

The engine is whatever the registry loads for the model (any :class:`engines.protocols.Synthesizer`).
A door that wants its own audio format passes a ``pipe``: it runs in the worker thread on the chunk
iterator (e.g. an mp3 encoder), so the event loop never encodes.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from engines.manifest import ModelSpec
from engines.protocols import Synthesizer
from engines.registry import ModelRegistry
from engines.types import AudioChunk, SpeechOptions
from server.admission import Admission
from server.core.cancel import CancelToken
from server.core.job import Job, admit, close_shielded
from server.core.worker import ThreadedIterator
from server.metrics import Metrics

logger = logging.getLogger(__name__)
T = TypeVar("T")
# (chunks, sample rate, cancelled) -> what the door streams; runs in the worker thread.
Pipe = Callable[[Iterator[AudioChunk], int, threading.Event], Iterator[T]]


@dataclass
class SpeechProgress:
    """Counters the worker fills in as sentences are synthesised (complete once the stream ends)."""

    started: float = field(default_factory=time.perf_counter)
    admitted: float | None = None  # when the admission slot was granted
    first_item_seconds: float | None = None  # from start to the first item ready
    sentences: int = 0
    audio_seconds: float = 0.0
    input_tokens: int = 0
    output_tokens: int = 0


def resolve_voice(registry: ModelRegistry, model: str, voice: str) -> tuple[ModelSpec, str]:
    """(tts model, local voice id or blend). The voice picks the model, unless ``model`` names another."""
    return registry.resolve_speech(model, voice)


def _counted(chunks: Iterator[AudioChunk], progress: SpeechProgress) -> Iterator[AudioChunk]:
    for chunk in chunks:
        progress.sentences += 1
        progress.audio_seconds += len(chunk.samples) / chunk.sample_rate
        progress.input_tokens += chunk.input_tokens
        progress.output_tokens += chunk.output_tokens
        yield chunk


def _run(registry: ModelRegistry, model_id: str, text: str, options: SpeechOptions, progress: SpeechProgress,
         pipe: Pipe[Any] | None, cancelled: threading.Event) -> Iterator[Any]:  # fmt: skip
    """In the worker thread: lease the voice, synthesise sentence by sentence (through ``pipe``)."""
    with registry.lease(model_id) as engine:
        synthesizer: Synthesizer = engine
        chunks = synthesizer.synthesize(text, options, cancelled)
        try:
            counted = _counted(chunks, progress)
            yield from pipe(counted, synthesizer.sample_rate, cancelled) if pipe is not None else counted
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()


@dataclass
class Synthesis(Generic[T]):
    """A running synthesis: ``async for item in synthesis`` (AudioChunk, or what the pipe made).

    The first item is ready when it is returned (the voice loaded and the options checked). Holds the
    slot and the lease until exhausted or closed (``async with`` / ``aclose()``).
    """

    model: ModelSpec
    progress: SpeechProgress
    job: Job[T]
    first: T | None

    def __aiter__(self) -> Synthesis[T]:
        return self

    async def __anext__(self) -> T:
        if self.first is not None:
            item, self.first = self.first, None
            return item
        return await anext(self.job)

    async def aclose(self) -> None:
        """Stop the synthesis and release the slot and the lease."""
        await self.job.aclose()

    async def __aenter__(self) -> Synthesis[T]:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


class Speech:
    """The text-to-speech service every front door calls."""

    def __init__(self, registry: ModelRegistry, admission: Admission, metrics: Metrics | None,
                 noise_scale: float | None = None, noise_w_scale: float | None = None) -> None:  # fmt: skip
        self.registry = registry
        self.admission = admission
        self.metrics = metrics
        self.noise_scale = noise_scale
        self.noise_w_scale = noise_w_scale

    def resolve(self, model: str, voice: str) -> tuple[ModelSpec, str]:
        """(tts model, local voice id) for a requested model name and voice name."""
        spec, voice_id = resolve_voice(self.registry, model, voice)
        if self.metrics is not None:
            self.metrics.label_model(spec.id)
        return spec, voice_id

    def options(self, voice_id: str, speed: float = 1.0) -> SpeechOptions:
        """Options for a local voice with the server's noise scales."""
        return SpeechOptions(voice=voice_id, speed=speed, noise_scale=self.noise_scale,
                             noise_w_scale=self.noise_w_scale)  # fmt: skip

    async def speak(
        self, model: ModelSpec, text: str, options: SpeechOptions, cancel: CancelToken | None = None, *,
        endpoint: str = "speak", pipe: Pipe[T] | None = None,
    ) -> Synthesis[Any]:  # fmt: skip
        """Admit and start the synthesis; returns once the first item is ready (failures before it raise)."""
        progress = SpeechProgress()
        stack = await admit(self.admission, model.id, cancel)
        progress.admitted = time.perf_counter()
        try:
            items: ThreadedIterator[Any] = ThreadedIterator(
                lambda cancelled: _run(self.registry, model.id, text, options, progress, pipe, cancelled)
            )
        except BaseException:
            await close_shielded(stack)
            raise
        job: Job[Any] = Job(items, stack, cancel, lambda: self._finished(model.id, endpoint, progress))
        try:
            first = await anext(job)
        except StopAsyncIteration:
            first = None
        progress.first_item_seconds = time.perf_counter() - progress.started
        return Synthesis(model, progress, job, first)

    def _finished(self, model_id: str, endpoint: str, progress: SpeechProgress) -> None:
        now = time.perf_counter()
        elapsed = now - progress.started
        processing = now - (progress.admitted or progress.started)  # without the wait for a slot
        rtf = processing / progress.audio_seconds if progress.audio_seconds else 0.0
        logger.info(
            "speech via %s: %d sentence(s), %.2f s of audio, first audio %.3f s, done %.3f s "
            "(%.3f s queued), RTF %.3f",
            model_id,
            progress.sentences,
            progress.audio_seconds,
            progress.first_item_seconds or 0.0,
            elapsed,
            elapsed - processing,
            rtf,
        )
        if self.metrics is not None:
            self.metrics.observe_audio(
                endpoint, model_id, seconds_out=progress.audio_seconds, processing_seconds=processing
            )
