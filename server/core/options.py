"""Engine options over the server's defaults, and the text of a transcription: the same for every door.

Every front door builds its whisper options here (so VAD, beam size and the hallucination guards are the
server's, whatever the protocol) and joins segment texts with :func:`join_text` (so the words are equal
across doors).
"""

from __future__ import annotations

from collections.abc import Iterable

from engines.types import Segment, TranscriptionOptions, VadOptions
from server.settings import Settings


def server_vad(settings: Settings) -> VadOptions:
    """The server's VAD settings (EARSHOT_VAD_THRESHOLD / _MIN_SILENCE_MS / _SPEECH_PAD_MS)."""
    return VadOptions(settings.vad_threshold, settings.vad_min_silence_ms, settings.vad_speech_pad_ms)


def transcription_options(
    settings: Settings,
    *,
    task: str = "transcribe",
    language: str | None = None,
    prompt: str | None = None,
    temperature: float = 0.0,
    vad: VadOptions | None = None,
    word_timestamps: bool = False,
    token_logprobs: bool = False,
    segment_timing: bool = True,
) -> TranscriptionOptions:
    """Whisper options: the request's choices over the server's defaults.

    ``vad``: the request's own VAD; None means the server's (when EARSHOT_VAD_FILTER is on, else none).
    """
    if vad is None and settings.vad_filter:
        vad = server_vad(settings)
    return TranscriptionOptions(
        task=task,
        language=language,
        prompt=prompt,
        temperature=temperature,
        beam_size=settings.beam_size,
        word_timestamps=word_timestamps,
        token_logprobs=token_logprobs,
        vad=vad,
        no_speech_threshold=settings.no_speech_threshold,
        log_prob_threshold=settings.log_prob_threshold,
        batched_min_seconds=settings.batched_min_seconds,
        batch_size=settings.batch_size,
        segment_timing=segment_timing,
    )


def join_text(segments: Iterable[Segment]) -> str:
    """Segments' texts joined; equal to the concatenation of :func:`delta` over them."""
    return "".join(delta(s, i == 0) for i, s in enumerate(segments))


def delta(segment: Segment, first: bool) -> str:
    """The streamed text of a segment (the first one loses its leading space)."""
    return segment.text.lstrip() if first else segment.text
