"""The set of services one server runs, built once from the settings and shared by every door."""

from __future__ import annotations

from dataclasses import dataclass

from engines.diarize import DiarizationOptions
from engines.registry import ModelRegistry
from server.admission import Admission
from server.core.diarize import Diarization
from server.core.speak import Speech
from server.core.transcribe import Transcriber
from server.metrics import Metrics
from server.settings import Settings


@dataclass(frozen=True)
class Services:
    """One service per job; each owns admission, leases, decoding, worker threads and metrics."""

    transcriber: Transcriber
    diarization: Diarization
    speech: Speech

    @classmethod
    def build(
        cls, settings: Settings, registry: ModelRegistry, admission: Admission, metrics: Metrics | None
    ) -> Services:
        """The services for these settings, sharing the registry, the admission gates and the metrics."""
        transcriber = Transcriber(registry, admission, metrics, settings.max_audio_seconds)
        diarization = DiarizationOptions(
            encoder=settings.diarize_encoder,
            threshold=settings.diarize_threshold,
            max_speakers=settings.diarize_max_speakers,
        )
        return cls(
            transcriber=transcriber,
            diarization=Diarization(transcriber, diarization),
            speech=Speech(registry, admission, metrics, settings.tts_noise_scale, settings.tts_noise_w_scale),
        )
