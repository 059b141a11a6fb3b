"""The session object on the wire: GA (``session.update`` / ``session.created``) and beta
(``transcription_session.update`` / ``transcription_session.created``) shapes over one :class:`SessionConfig`.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from server.realtime import config as cfg
from server.realtime.config import SessionConfig
from server.realtime.errors import RealtimeError

GA_SESSION_KEYS = ("type", "audio", "include", "object", "id", "expires_at", "client_secret")
BETA_SESSION_KEYS = (
    "input_audio_format",
    "input_audio_transcription",
    "turn_detection",
    "input_audio_noise_reduction",
    "include",
    "modalities",
    "client_secret",
    "object",
    "id",
    "expires_at",
)


def is_flat_beta(session: Any) -> bool:
    """An old client's flat ``session.update`` (beta field names, no ``type``)."""
    return (
        isinstance(session, dict)
        and "type" not in session
        and "audio" not in session
        and any(key in session for key in ("input_audio_format", "input_audio_transcription"))
    )


def apply_ga(config: SessionConfig, value: Any) -> SessionConfig:
    """A GA ``session.update``'s ``session`` applied to ``config`` (raises, changing nothing, if bad)."""
    session = cfg._object(value, "session")
    cfg._known(session, GA_SESSION_KEYS, "session")
    kind = session.get("type")
    if kind != "transcription":
        raise RealtimeError(
            "This server serves transcription sessions only: set session.type to 'transcription' "
            "(speech-to-speech 'realtime' sessions are not available).",
            "invalid_value" if kind is not None else "missing_required_parameter",
            "session.type",
        )
    if "include" in session:
        config = replace(config, include=cfg.include(session["include"], "session.include"))
    if "audio" not in session:
        return config
    audio = cfg._object(session["audio"], "session.audio")
    cfg._known(audio, ("input",), "session.audio")
    if "input" not in audio:
        return config
    inp = cfg._object(audio["input"], "session.audio.input")
    cfg._known(inp, ("format", "transcription", "noise_reduction", "turn_detection"), "session.audio.input")
    if "format" in inp:
        config = replace(config, encoding=_ga_format(inp["format"]))
    if "transcription" in inp:
        config = cfg.transcription(config, inp["transcription"], "session.audio.input.transcription")
    if "noise_reduction" in inp:
        nr = cfg.noise_reduction(inp["noise_reduction"], "session.audio.input.noise_reduction")
        config = replace(config, noise_reduction=nr)
    if "turn_detection" in inp:
        td = cfg.turn_detection(inp["turn_detection"], "session.audio.input.turn_detection")
        config = replace(config, turn_detection=td)
    return config


def _ga_format(value: Any) -> str:
    param = "session.audio.input.format"
    fmt = cfg._object(value, param)
    cfg._known(fmt, ("type", "rate"), param)
    encoding = cfg.GA_FORMATS.get(fmt.get("type"))  # type: ignore[arg-type]
    if encoding is None:
        raise RealtimeError(
            f"Invalid value for '{param}.type': expected 'audio/pcm', 'audio/pcmu' or 'audio/pcma'.",
            "invalid_value",
            f"{param}.type",
        )
    if encoding == "pcm16" and fmt.get("rate", 24000) != 24000:
        raise RealtimeError(
            f"Invalid value for '{param}.rate': audio/pcm must be 24000 Hz (16-bit "
            "little-endian mono); resample before sending.",
            "invalid_value",
            f"{param}.rate",
        )
    return encoding


def apply_beta(config: SessionConfig, value: Any) -> SessionConfig:
    """A beta ``transcription_session.update`` (or flat ``session.update``) applied to ``config``."""
    session = cfg._object(value, "session")
    cfg._known(session, BETA_SESSION_KEYS, "session")
    if "input_audio_format" in session:
        encoding = cfg.BETA_FORMATS.get(session["input_audio_format"])
        if encoding is None:
            raise RealtimeError(
                "Invalid value for 'session.input_audio_format': expected 'pcm16', "
                "'g711_ulaw' "
                "or 'g711_alaw'.",
                "invalid_value",
                "session.input_audio_format",
            )
        config = replace(config, encoding=encoding)
    if "input_audio_transcription" in session:
        config = cfg.transcription(
            config, session["input_audio_transcription"], "session.input_audio_transcription"
        )
    if "input_audio_noise_reduction" in session:
        nr = cfg.noise_reduction(
            session["input_audio_noise_reduction"], "session.input_audio_noise_reduction"
        )
        config = replace(config, noise_reduction=nr)
    if "turn_detection" in session:
        config = replace(
            config, turn_detection=cfg.turn_detection(session["turn_detection"], "session.turn_detection")
        )
    if "include" in session:
        config = replace(config, include=cfg.include(session["include"], "session.include"))
    return config


def _transcription(config: SessionConfig) -> dict:
    body: dict[str, Any] = {"model": config.model, "language": config.language, "prompt": config.prompt}
    if config.interim_results:  # shown only to a client that asked: OpenAI's shape otherwise
        body["interim_results"] = True
    return body


def _turn_detection(config: SessionConfig, beta: bool) -> dict | None:
    td = config.turn_detection
    if td is None:
        return None
    if beta:  # create_response / interrupt_response are "not available for transcription sessions"
        return {k: v for k, v in td.items() if k not in ("create_response", "interrupt_response")}
    return dict(td)


def render_ga(config: SessionConfig, session_id: str, expires_at: int) -> dict:
    """The full effective config as GA's ``realtime.transcription_session``."""
    fmt: dict[str, Any] = {"type": next(k for k, v in cfg.GA_FORMATS.items() if v == config.encoding)}
    if config.encoding == "pcm16":
        fmt["rate"] = 24000
    return {
        "type": "transcription",
        "object": "realtime.transcription_session",
        "id": session_id,
        "expires_at": expires_at,
        "include": list(config.include) or None,
        "audio": {
            "input": {
                "format": fmt,
                "transcription": _transcription(config),
                "noise_reduction": config.noise_reduction,
                "turn_detection": _turn_detection(config, beta=False),
            }
        },
    }


def render_beta(config: SessionConfig, session_id: str, expires_at: int) -> dict:
    """The full effective config as the beta ``transcription_session`` object."""
    return {
        "id": session_id,
        "object": "realtime.transcription_session",
        "expires_at": expires_at,
        "modalities": ["text"],
        "input_audio_format": next(k for k, v in cfg.BETA_FORMATS.items() if v == config.encoding),
        "input_audio_transcription": _transcription(config),
        "turn_detection": _turn_detection(config, beta=True),
        "input_audio_noise_reduction": config.noise_reduction,
        "include": list(config.include) or None,
    }
