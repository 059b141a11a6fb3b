"""Wire models for diarized transcription (``gpt-4o-transcribe-diarize``, ``diarized_json``)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from server.http.protocol.transcriptions import Logprob, UsageDuration, UsageTokens


class TranscriptionDiarizedSegment(BaseModel):
    """One speaker's stretch of text; also the ``transcript.text.segment`` stream event."""

    type: Literal["transcript.text.segment"] = "transcript.text.segment"
    id: str
    start: float
    end: float
    text: str
    speaker: str


class TranscriptionDiarized(BaseModel):
    """``response_format=diarized_json``."""

    task: Literal["transcribe"] = "transcribe"
    duration: float
    text: str
    segments: list[TranscriptionDiarizedSegment]
    usage: UsageDuration | UsageTokens | None = None


class DiarizedTextDelta(BaseModel):
    """Stream event: more text, tagged with the diarized segment it belongs to."""

    type: Literal["transcript.text.delta"] = "transcript.text.delta"
    delta: str
    logprobs: list[Logprob] | None = None
    segment_id: str | None = None
