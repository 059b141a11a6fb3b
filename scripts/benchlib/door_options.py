"""The whisper options a front door gives the engine, as the keyword arguments of a raw ``transcribe``.

The doors build :class:`engines.types.TranscriptionOptions` with the server's own code
(``server.core.options``); :func:`raw_kwargs` turns them into what ``engines/whisper.py`` passes to
``WhisperModel.transcribe`` on its unbatched path (audio under ``batched_min_seconds``), so the floor
runs with exactly the door's options.
"""

from __future__ import annotations

from typing import Any

from engines.types import TranscriptionOptions
from server.settings import Settings

FALLBACK_TEMPERATURES = [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]  # engines.whisper.FALLBACK_TEMPERATURES


def server_settings(server_env: dict[str, str]) -> Settings:
    """The settings the bench's server runs with: this environment's, with ``--server-env`` over them."""
    overrides = {k[len("EARSHOT_") :].lower(): v for k, v in server_env.items() if k.startswith("EARSHOT_")}
    return Settings(**overrides)


def raw_kwargs(options: TranscriptionOptions, seconds: float) -> dict[str, Any]:
    """``WhisperModel.transcribe`` keyword arguments equal to what the engine passes for ``options``."""
    from faster_whisper.vad import VadOptions

    if options.vad is not None and options.batched_min_seconds is not None:
        if seconds >= options.batched_min_seconds:
            raise ValueError(f"{seconds:.1f} s takes the batched pipeline: not a plain transcribe() floor")
    kwargs: dict[str, Any] = {
        "language": options.language,
        "task": options.task,
        "beam_size": options.beam_size,
        "initial_prompt": options.prompt or None,
        "word_timestamps": options.word_timestamps or options.token_logprobs,
        "no_speech_threshold": options.no_speech_threshold,
        "log_prob_threshold": options.log_prob_threshold,
        "vad_filter": options.vad is not None,
        "temperature": [options.temperature] if options.temperature > 0 else list(FALLBACK_TEMPERATURES),
    }
    if options.vad is not None:
        kwargs["vad_parameters"] = VadOptions(
            threshold=options.vad.threshold,
            min_silence_duration_ms=options.vad.min_silence_duration_ms,
            speech_pad_ms=options.vad.speech_pad_ms,
            max_speech_duration_s=float("inf"),
        )
    return kwargs
