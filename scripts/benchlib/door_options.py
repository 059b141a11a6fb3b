"""The whisper options a front door gives the engine, as the keyword arguments of a raw ``transcribe``.

The doors build :class:`engines.types.TranscriptionOptions` with the server's own code
(``server.core.options``); :func:`raw_kwargs` asks ``engines/whisper.py`` what it passes to
``WhisperModel.transcribe`` on its unbatched path (audio under ``batched_min_seconds``), so the floor
runs with exactly the door's options.
"""

from __future__ import annotations

from typing import Any

from engines.types import TranscriptionOptions
from engines.whisper import faster_whisper_arguments
from server.settings import Settings


def server_settings(server_env: dict[str, str]) -> Settings:
    """The settings the bench's server runs with: this environment's, with ``--server-env`` over them."""
    overrides = {k[len("EARSHOT_") :].lower(): v for k, v in server_env.items() if k.startswith("EARSHOT_")}
    return Settings(**overrides)


def raw_kwargs(options: TranscriptionOptions, seconds: float) -> dict[str, Any]:
    """``WhisperModel.transcribe`` keyword arguments: the engine's own (``faster_whisper_arguments``)."""
    batched, kwargs = faster_whisper_arguments(options, seconds)
    if batched:
        raise ValueError(f"{seconds:.1f} s takes the batched pipeline: not a plain transcribe() floor")
    return kwargs
