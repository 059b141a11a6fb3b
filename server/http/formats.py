"""Transcript -> response bodies: json, text, srt, vtt, verbose_json (pure functions).

:data:`FORMATS` maps each ``response_format`` to its renderer. A format that is not in the table
(``diarized_json`` until diarization lands) is refused with a 400 before any work is done; adding a
renderer here is all it takes to serve a new one.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from engines.languages import language_name
from engines.types import Segment, TokenLogprob, TranscriptionInfo
from server.core.options import delta, join_text  # noqa: F401 - re-exported for the HTTP door
from server.http import subtitles
from server.http.protocol.transcriptions import (
    InputTokenDetails,
    Logprob,
    Transcription,
    TranscriptionSegment,
    TranscriptionVerbose,
    TranscriptionWord,
    Translation,
    UsageDuration,
    UsageTokens,
)

AUDIO_TOKENS_PER_SECOND = 50  # whisper's encoder positions: 1500 per 30 s window


@dataclass(frozen=True)
class Transcript:
    """A finished transcription: what the engine said before decoding, and every segment."""

    info: TranscriptionInfo
    segments: list[Segment]
    granularities: tuple[str, ...] = ("segment",)
    include: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)  # room for later stages (e.g. speakers)

    @property
    def text(self) -> str:
        """The whole text, exactly as the stream's deltas add up to it."""
        return join_text(self.segments)


@dataclass(frozen=True)
class Rendered:
    """A body and its media type; ``dict`` bodies are sent as JSON."""

    body: dict[str, Any] | str
    media_type: str


def logprobs(items: Iterable[TokenLogprob]) -> list[Logprob]:
    """Engine log-probabilities -> wire objects."""
    return [Logprob(token=x.token, logprob=x.logprob, bytes=list(x.bytes)) for x in items]


def all_logprobs(segments: Iterable[Segment]) -> list[Logprob]:
    """Every segment's token log-probabilities, in order."""
    return logprobs(x for s in segments for x in (s.logprobs or ()))


def duration_usage(info: TranscriptionInfo) -> UsageDuration:
    """Whisper-style usage: the audio's duration, whole seconds rounded up."""
    return UsageDuration(seconds=math.ceil(info.duration))


def token_usage(transcript: Transcript) -> UsageTokens:
    """Token usage: prompt + audio (encoder positions) in, generated tokens out."""
    audio_tokens = math.ceil(transcript.info.duration * AUDIO_TOKENS_PER_SECOND)
    text_tokens = transcript.info.prompt_tokens
    output = sum(len(s.tokens) for s in transcript.segments)
    return UsageTokens(
        input_tokens=audio_tokens + text_tokens,
        output_tokens=output,
        total_tokens=audio_tokens + text_tokens + output,
        input_token_details=InputTokenDetails(text_tokens=text_tokens, audio_tokens=audio_tokens),
    )


def _json(t: Transcript) -> Rendered:
    if t.info.task == "translate":
        return Rendered(Translation(text=t.text).model_dump(), "application/json")
    body = Transcription(
        text=t.text,
        logprobs=all_logprobs(t.segments) if "logprobs" in t.include else None,
        usage=duration_usage(t.info),
    )
    return Rendered(body.model_dump(exclude_none=True), "application/json")


def _segment(s: Segment) -> TranscriptionSegment:
    return TranscriptionSegment(
        id=s.id,
        seek=s.seek,
        start=round(s.start, 3),
        end=round(s.end, 3),
        text=s.text,
        tokens=list(s.tokens),
        temperature=s.temperature,
        avg_logprob=s.avg_logprob,
        compression_ratio=s.compression_ratio,
        no_speech_prob=s.no_speech_prob,
    )


def _verbose(t: Transcript) -> Rendered:
    translate = t.info.task == "translate"
    words = None
    if "word" in t.granularities and not translate:
        words = [
            TranscriptionWord(word=w.word.strip(), start=round(w.start, 3), end=round(w.end, 3))
            for s in t.segments
            for w in (s.words or ())
            if w.word.strip()
        ]
    body = TranscriptionVerbose(
        task="translate" if translate else "transcribe",
        language="english" if translate else language_name(t.info.language),
        duration=round(t.info.duration, 3),
        text=t.text,
        segments=[_segment(s) for s in t.segments] if "segment" in t.granularities or translate else None,
        words=words,
        usage=None if translate else duration_usage(t.info),
    )
    return Rendered(body.model_dump(exclude_none=True), "application/json")


def _text(t: Transcript) -> Rendered:
    return Rendered(t.text + "\n" if t.text else "", "text/plain; charset=utf-8")


def _srt(t: Transcript) -> Rendered:
    return Rendered(
        subtitles.srt(subtitles.cues(t.segments, t.info.duration)), "application/x-subrip; charset=utf-8"
    )


def _vtt(t: Transcript) -> Rendered:
    return Rendered(subtitles.vtt(subtitles.cues(t.segments, t.info.duration)), "text/vtt; charset=utf-8")


FORMATS: dict[str, Callable[[Transcript], Rendered]] = {
    "json": _json,
    "verbose_json": _verbose,
    "text": _text,
    "srt": _srt,
    "vtt": _vtt,
}

NEEDS_WORDS = frozenset({"srt", "vtt"})  # formats that time their cues by word


def render(response_format: str, transcript: Transcript) -> Rendered:
    """The body for a response format (one of :data:`FORMATS`)."""
    return FORMATS[response_format](transcript)
