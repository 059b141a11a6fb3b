"""Wire models for POST /v1/audio/speech and GET /v1/audio/voices."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema
from pydantic_core import PydanticCustomError

OPENAI_VOICES = tuple("alloy ash ballad coral echo fable nova onyx sage shimmer verse marin cedar".split())
MAX_INPUT_CHARS = 4096
MAX_INSTRUCTIONS_CHARS = 4096

ResponseFormat = Literal["mp3", "opus", "aac", "flac", "wav", "pcm"]
StreamFormat = Literal["audio", "sse"]


def _voice_name(value: Any) -> str:
    """A voice is a name or ``{"id": name}``; either way the server works with the name."""
    if isinstance(value, dict):
        value = value.get("id")
    if not isinstance(value, str) or not value.strip():
        raise PydanticCustomError(
            "voice_type", 'expected a voice name or an object {"id": "<voice>"} with a non-empty id'
        )
    return value


Voice = Annotated[
    str,
    BeforeValidator(_voice_name),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "description": "An OpenAI voice name or a local voice id."},
                {"type": "object", "properties": {"id": {"type": "string"}}, "required": ["id"]},
            ]
        }
    ),
]


class SpeechRequest(BaseModel):
    """The JSON body of POST /v1/audio/speech. ``null`` means the default; unknown keys are ignored."""

    model_config = ConfigDict(extra="ignore")

    model: str = Field(description="A tts model id or alias (tts-1, tts-1-hd, gpt-4o-mini-tts, ...).")
    input: str = Field(min_length=1, max_length=MAX_INPUT_CHARS, description="The text to speak.")
    voice: Voice
    instructions: str | None = Field(
        None,
        max_length=MAX_INSTRUCTIONS_CHARS,
        description="Accepted for compatibility and ignored: piper voices cannot follow style instructions.",
    )
    response_format: ResponseFormat | None = Field(None, description="Audio format (default mp3).")
    speed: float | None = Field(
        None,
        ge=0.25,
        le=4.0,
        allow_inf_nan=False,
        description="0.25 to 4.0 (default 1).",
    )
    stream_format: StreamFormat | None = Field(None, description="audio (default) or sse.")


class SpeechUsage(BaseModel):
    """Token usage sent with ``speech.audio.done``: phoneme ids in, spectrogram frames out."""

    input_tokens: int
    output_tokens: int
    total_tokens: int


class VoiceEntry(BaseModel):
    """One entry of GET /v1/audio/voices: a local voice, or an OpenAI name mapped to one."""

    id: str
    name: str
    object: Literal["audio.voice"] = "audio.voice"
    type: Literal["local", "alias"]
    voice: str  # the local voice it plays (itself for a local voice)
    model: str
    language: str | None = None
    quality: str | None = None
    sample_rate: int | None = None
    available: bool = True


class VoiceList(BaseModel):
    """Every voice the speech endpoint accepts, and what each OpenAI name maps to."""

    object: Literal["list"] = "list"
    voices: list[VoiceEntry]
    aliases: dict[str, str]
