"""A transcription session's configuration: OpenAI's defaults, GA and beta updates, GA and beta renderings.

Updates are partial (only the fields present change, ``null`` clears) and atomic: a bad field raises
:class:`RealtimeError` naming it and nothing changes. ``semantic_vad`` is served by the same Silero
turn detector, its eagerness mapped to a silence timeout (:data:`EAGERNESS_SILENCE_MS`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from server.realtime.errors import RealtimeError

LOGPROBS = "item.input_audio_transcription.logprobs"
SERVER_VAD = {
    "type": "server_vad",
    "threshold": 0.5,
    "prefix_padding_ms": 300,
    "silence_duration_ms": 500,
    "idle_timeout_ms": None,
    "create_response": False,
    "interrupt_response": False,
}
EAGERNESS_SILENCE_MS = {"low": 1500, "medium": 800, "auto": 800, "high": 500}
GA_FORMATS = {"audio/pcm": "pcm16", "audio/pcmu": "pcmu", "audio/pcma": "pcma"}
BETA_FORMATS = {"pcm16": "pcm16", "g711_ulaw": "pcmu", "g711_alaw": "pcma"}
NOISE_TYPES = ("near_field", "far_field")


@dataclass(frozen=True)
class SessionConfig:
    """The effective configuration (the encoding is ``pcm16`` / ``pcmu`` / ``pcma``)."""

    encoding: str = "pcm16"
    model: str = "whisper-1"
    language: str | None = None
    prompt: str = ""
    noise_reduction: dict | None = None
    turn_detection: dict | None = field(default_factory=lambda: dict(SERVER_VAD))
    include: tuple[str, ...] = ()
    interim_results: bool = False  # Earshot's own: interim transcripts while the speaker talks

    @property
    def logprobs(self) -> bool:
        return LOGPROBS in self.include

    def silence_ms(self) -> int:
        """How long a pause ends a turn (server_vad's silence, or semantic_vad's eagerness)."""
        td = self.turn_detection or {}
        if td.get("type") == "semantic_vad":
            return EAGERNESS_SILENCE_MS[td.get("eagerness", "auto")]
        return int(td.get("silence_duration_ms", SERVER_VAD["silence_duration_ms"]))

    def threshold(self) -> float:
        return float((self.turn_detection or {}).get("threshold", SERVER_VAD["threshold"]))

    def prefix_ms(self) -> int:
        return int((self.turn_detection or {}).get("prefix_padding_ms", SERVER_VAD["prefix_padding_ms"]))


# -- field checks ----------------------------------------------------------------------------
def _object(value: Any, param: str) -> dict:
    if not isinstance(value, dict):
        raise RealtimeError(
            f"Invalid type for '{param}': expected an object, not {type(value).__name__}.",
            "invalid_type",
            param,
        )
    return value


def _known(obj: dict, allowed: tuple[str, ...], prefix: str) -> None:
    for key in obj:
        if key not in allowed:
            raise RealtimeError(
                f"Unknown parameter: '{prefix}.{key}'.", "unknown_parameter", f"{prefix}.{key}"
            )


def _string(value: Any, param: str, nullable: bool = True) -> str | None:
    if value is None and nullable:
        return None
    if not isinstance(value, str):
        raise RealtimeError(f"Invalid type for '{param}': expected a string.", "invalid_type", param)
    return value


def _number(obj: dict, key: str, param: str, low: float, high: float) -> None:
    value = obj.get(key)
    if key in obj and (
        isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high
    ):
        raise RealtimeError(
            f"Invalid value for '{param}.{key}': expected a number from {low:g} to {high:g}.",
            "invalid_value",
            f"{param}.{key}",
        )


def turn_detection(value: Any, param: str) -> dict | None:
    """A ``turn_detection`` object with OpenAI's defaults filled in, or None (manual commits)."""
    if value is None:
        return None
    td = _object(value, param)
    kind = td.get("type", "server_vad")
    if kind == "server_vad":
        _known(td, tuple(SERVER_VAD), param)
        _number(td, "threshold", param, 0.0, 1.0)
        _number(td, "prefix_padding_ms", param, 0, 10000)
        _number(td, "silence_duration_ms", param, 0, 10000)
        _number(td, "idle_timeout_ms", param, 0, 3_600_000)
        merged = {**SERVER_VAD, **td, "type": "server_vad"}
        for key in ("prefix_padding_ms", "silence_duration_ms"):
            merged[key] = int(merged[key])
        return merged
    if kind == "semantic_vad":
        _known(td, ("type", "eagerness", "create_response", "interrupt_response"), param)
        eagerness = td.get("eagerness", "auto")
        if eagerness not in EAGERNESS_SILENCE_MS:
            raise RealtimeError(
                f"Invalid value for '{param}.eagerness': expected one of low, medium, high, auto.",
                "invalid_value",
                f"{param}.eagerness",
            )
        return {
            "type": "semantic_vad",
            "eagerness": eagerness,
            "create_response": False,
            "interrupt_response": False,
        }
    raise RealtimeError(
        f"Invalid value for '{param}.type': expected 'server_vad', 'semantic_vad' or null.",
        "invalid_value",
        f"{param}.type",
    )


def noise_reduction(value: Any, param: str) -> dict | None:
    """Accepted and echoed (whisper's own robustness is what reduces noise here)."""
    if value is None:
        return None
    nr = _object(value, param)
    _known(nr, ("type", "strength"), param)
    if nr.get("type") not in NOISE_TYPES:
        raise RealtimeError(
            f"Invalid value for '{param}.type': expected 'near_field' or 'far_field'.",
            "invalid_value",
            f"{param}.type",
        )
    return dict(nr)


def include(value: Any, param: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or any(item != LOGPROBS for item in value):
        raise RealtimeError(
            f"Invalid value for '{param}': the only supported value is ['{LOGPROBS}'].",
            "invalid_value",
            param,
        )
    return tuple(value)


def transcription(config: SessionConfig, value: Any, param: str) -> SessionConfig:
    if value is None:
        return replace(config, model="whisper-1", language=None, prompt="")
    tr = _object(value, param)
    _known(tr, ("model", "language", "prompt", "delay", "keywords", "languages", "interim_results"), param)
    changes: dict[str, Any] = {}
    if "model" in tr:
        changes["model"] = _string(tr["model"], f"{param}.model", nullable=False)
    if "language" in tr:
        language = _string(tr["language"], f"{param}.language")
        changes["language"] = language or None
    if "prompt" in tr:
        changes["prompt"] = _string(tr["prompt"], f"{param}.prompt") or ""
    if "interim_results" in tr:
        if not isinstance(tr["interim_results"], bool):
            name = f"{param}.interim_results"
            raise RealtimeError(f"Invalid type for '{name}': expected a boolean.", "invalid_type", name)
        changes["interim_results"] = tr["interim_results"]
    return replace(config, **changes)
