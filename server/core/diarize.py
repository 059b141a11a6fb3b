"""Diarized transcription: whisper's words plus the speaker turns of the whole audio.

In the worker thread, after whisper's up-front work, the speaker encoder (a registry model, leased
like the others) diarizes the whole audio before the first segment, so every failure is still a plain
exception. Callers give each word its speaker with ``engines.diarize.SegmentBuilder(turns)``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace

import numpy as np

from engines.diarize import DiarizationOptions, Diarizer, SpeakerTurn
from engines.manifest import ModelSpec
from engines.registry import ModelRegistry
from engines.types import Segment, TranscriptionInfo, TranscriptionOptions
from server.core import audio as audio_input
from server.core.audio import Audio
from server.core.cancel import CancelToken
from server.core.job import Job
from server.core.transcribe import AudioCheck, Transcriber, Transcription
from server.core.worker import ThreadedIterator

logger = logging.getLogger(__name__)
Item = TranscriptionInfo | list[SpeakerTurn] | Segment
SPEAKER_KIND = "speaker"
ENCODER_BACKENDS = {"campplus": "campplus", "ge2e": "speaker-encoder"}  # EARSHOT_DIARIZE_ENCODER -> backend


@dataclass
class DiarizedTranscription(Transcription):
    """A running transcription whose speaker ``turns`` are known; iterate for segments (with words)."""

    turns: list[SpeakerTurn]


def _run(
    registry: ModelRegistry, model_id: str, encoder_id: str, audio: np.ndarray, options: TranscriptionOptions,
    diarization: DiarizationOptions, references: Mapping[str, np.ndarray],
) -> Iterator[Item]:  # fmt: skip
    """In a worker thread: whisper's info, then the speaker turns of the whole audio, then each segment."""
    with registry.lease(model_id) as engine:
        info, segments = engine.transcribe(audio, options)
        yield info
        with registry.lease(encoder_id) as encoder:
            diarizer = Diarizer(encoder, diarization)
            started = time.perf_counter()
            refs = {name: diarizer.embed_reference(clip) for name, clip in references.items()}
            turns = diarizer.diarize(audio, refs or None)
        logger.info(
            "diarized %.2f s of audio in %.2f s: %d turns, speakers %s",
            len(audio) / audio_input.SAMPLE_RATE,
            time.perf_counter() - started,
            len(turns),
            sorted({t.speaker for t in turns}),
        )
        yield turns
        yield from segments


class Diarization:
    """The diarized-transcription service: a :class:`Transcriber`'s work plus the speaker encoder's."""

    def __init__(self, transcriber: Transcriber, options: DiarizationOptions | None = None) -> None:
        self.transcriber = transcriber
        self.options = options or DiarizationOptions()

    def encoder(self) -> ModelSpec:
        """The speaker encoder model ``options.encoder`` names (``campplus`` or ``ge2e``)."""
        backend = ENCODER_BACKENDS[self.options.encoder]
        registry = self.transcriber.registry
        return next(
            (m for m in registry.models(SPEAKER_KIND) if m.backend == backend), registry.default(SPEAKER_KIND)
        )

    async def start(
        self, model: str | ModelSpec, audio: Audio, options: TranscriptionOptions,
        references: Mapping[str, np.ndarray] | None = None, cancel: CancelToken | None = None, *,
        endpoint: str = "diarize", check: AudioCheck | None = None,
    ) -> DiarizedTranscription:  # fmt: skip
        """Admit, decode, transcribe and diarize; returns once the turns are known.

        ``references``: known speakers' names -> 16 kHz clips (2-10 s); turns take their names.
        """
        service = self.transcriber
        spec = model if isinstance(model, ModelSpec) else service.resolve(model, language=options.language)
        encoder = self.encoder()
        options = replace(options, word_timestamps=True)
        refs = dict(references or {})
        stack, samples = await audio_input.admit_and_decode(
            service.admission, spec.id, audio, service.max_audio_seconds, cancel, check
        )
        seconds = audio_input.seconds(samples)
        del audio
        logger.info("diarize: model=%s %.2f s of audio, %d known speaker(s)", spec.id, seconds, len(refs))
        started = time.perf_counter()

        def observe() -> None:
            if service.metrics is not None:
                service.metrics.observe_audio(endpoint, spec.id, seconds_in=seconds,
                                              processing_seconds=time.perf_counter() - started)  # fmt: skip

        registry, diarization = service.registry, self.options
        items = ThreadedIterator(
            lambda _cancelled: _run(registry, spec.id, encoder.id, samples, options, diarization, refs)
        )
        job: Job[Item] = Job(items, stack, cancel, observe)
        info = await job.first()
        turns = await job.first()  # diarization done: failures so far are plain errors
        assert isinstance(info, TranscriptionInfo) and isinstance(turns, list)
        return DiarizedTranscription(spec, info, seconds, job, turns)  # type: ignore[arg-type]
