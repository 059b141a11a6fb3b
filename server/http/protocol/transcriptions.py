"""Wire models for /v1/audio/transcriptions and /v1/audio/translations (OpenAI's names and shapes)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

RESPONSE_FORMATS = ("json", "text", "srt", "verbose_json", "vtt", "diarized_json")
TRANSLATION_FORMATS = ("json", "text", "srt", "verbose_json", "vtt")
GRANULARITIES = ("word", "segment")
INCLUDES = ("logprobs",)


class Logprob(BaseModel):
    """One token's log-probability."""

    token: str
    logprob: float
    bytes: list[int]


class InputTokenDetails(BaseModel):
    """Where the input tokens came from."""

    text_tokens: int
    audio_tokens: int


class UsageTokens(BaseModel):
    """Token usage (stream ``transcript.text.done``)."""

    type: Literal["tokens"] = "tokens"
    input_tokens: int
    output_tokens: int
    total_tokens: int
    input_token_details: InputTokenDetails


class UsageDuration(BaseModel):
    """Billed audio duration in seconds (whisper-style json and verbose_json)."""

    type: Literal["duration"] = "duration"
    seconds: int


class Transcription(BaseModel):
    """``response_format=json``."""

    text: str
    logprobs: list[Logprob] | None = None
    usage: UsageDuration | None = None


class TranscriptionWord(BaseModel):
    """A word with its timing."""

    word: str
    start: float
    end: float


class TranscriptionSegment(BaseModel):
    """A segment as whisper reports it."""

    id: int
    seek: int
    start: float
    end: float
    text: str
    tokens: list[int]
    temperature: float
    avg_logprob: float
    compression_ratio: float
    no_speech_prob: float


class TranscriptionVerbose(BaseModel):
    """``response_format=verbose_json`` (translations too, with ``task: translate``)."""

    task: Literal["transcribe", "translate"] = "transcribe"
    language: str
    duration: float
    text: str
    segments: list[TranscriptionSegment] | None = None
    words: list[TranscriptionWord] | None = None
    usage: UsageDuration | None = None


class Translation(BaseModel):
    """Translation ``response_format=json``."""

    text: str


class TranscriptTextDelta(BaseModel):
    """Stream event: more text."""

    type: Literal["transcript.text.delta"] = "transcript.text.delta"
    delta: str
    logprobs: list[Logprob] | None = None


class TranscriptTextDone(BaseModel):
    """Stream event, last: the whole text (equal to the non-streamed text) and usage."""

    type: Literal["transcript.text.done"] = "transcript.text.done"
    text: str
    logprobs: list[Logprob] | None = None
    usage: UsageTokens
