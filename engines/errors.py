"""Errors raised by the engines.

EngineError
 ├── ManifestError            the manifest (or a user manifest) is malformed
 ├── ModelNotFoundError       no model or alias of that name (or of the wrong kind)
 ├── VoiceNotFoundError       no voice of that name
 ├── ModelUnavailableError    the model exists but cannot be loaded right now
 │    └── ModelFileError      a model file is missing or fails its sha256 check
 ├── InvalidOptionError       a request option the engine cannot honour (names the parameter)
 └── AudioError               the input audio cannot be used
      ├── AudioDecodeError    not decodable audio (corrupt, empty, not audio)
      └── AudioTooLongError   decodes to more than the configured maximum duration
"""

from __future__ import annotations


class EngineError(Exception):
    """Base class for every error raised by ``engines``."""


class ManifestError(EngineError):
    """The model manifest is malformed."""


_KIND_NAMES = {"stt": "transcription model", "tts": "speech model", "speaker": "speaker-embedding model"}
_KIND_USE = {
    "stt": "/v1/audio/transcriptions and /v1/audio/translations",
    "tts": "/v1/audio/speech",
    "speaker": "diarization (model gpt-4o-transcribe-diarize)",
}


class ModelNotFoundError(EngineError):
    """No model (or alias) with this name serves the requested kind.

    ``actual_kind`` is set when the name exists but is a model of another kind; ``available`` lists the
    names that do serve ``kind``, so the message can say which one to use.
    """

    def __init__(
        self,
        name: str,
        kind: str | None = None,
        actual_kind: str | None = None,
        available: list[str] | None = None,
    ) -> None:
        what = _KIND_NAMES.get(kind or "", "model")
        if actual_kind is not None:
            first = (
                f"'{name}' is a {_KIND_NAMES.get(actual_kind, actual_kind)}, not a {what}: "
                f"use it with {_KIND_USE.get(actual_kind, 'its own endpoint')}."
            )
        else:
            first = f"The {what} '{name}' does not exist or you do not have access to it."
        if available:
            plural = "s" if len(available) > 1 else ""
            hint = f" {what.capitalize()}{plural} on this server: {', '.join(available)}."
        else:
            hint = f" This server has no {what}."
        hint += " GET /v1/models lists every model; add one with `earshot models import PATH`."
        super().__init__(first + hint)
        self.name = name
        self.kind = kind
        self.actual_kind = actual_kind


class VoiceNotFoundError(EngineError):
    """No voice with this name."""

    def __init__(self, name: str, known: list[str]) -> None:
        super().__init__(f"Unknown voice '{name}'. Available voices: {', '.join(sorted(known))}.")
        self.name = name


class ModelUnavailableError(EngineError):
    """The model is listed but cannot be loaded (missing files, corrupt weights, no device)."""

    def __init__(self, model_id: str, reason: str) -> None:
        super().__init__(f"Model '{model_id}' is unavailable: {reason}")
        self.model_id = model_id
        self.reason = reason


class ModelFileError(ModelUnavailableError):
    """A model file is missing or does not match its recorded sha256."""

    def __init__(self, model_id: str, path: str, problem: str) -> None:
        super().__init__(model_id, f"file {path} {problem}")
        self.path = path


class InvalidOptionError(EngineError):
    """An option the engine cannot honour; ``param`` names the request field."""

    def __init__(self, message: str, param: str) -> None:
        super().__init__(message)
        self.param = param


class AudioError(EngineError):
    """The input audio cannot be used."""


class AudioDecodeError(AudioError):
    """The input is not decodable audio."""


class AudioTooLongError(AudioError):
    """The input decodes to more audio than allowed."""
