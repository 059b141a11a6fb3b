"""Diarized transcription: whisper words + speaker turns -> diarized_json, json, text or SSE.

Same order as plain transcription (validate, resolve, then the diarization service admits, decodes,
transcribes and diarizes), plus: the known speakers' clips are decoded and checked before any work; the
service knows the speaker turns before the first segment, so every failure is still a plain error
response; then each whisper word is given the speaker whose turn it overlaps and consecutive words
of one speaker form a segment. Streams send ``transcript.text.delta`` (with ``segment_id``), one
``transcript.text.segment`` per finished segment (diarized_json), then ``transcript.text.done``.
"""

from __future__ import annotations

import logging
import math
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack
from dataclasses import dataclass, field, replace

from fastapi import Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from engines.diarize import DiarizedSegment, SegmentBuilder
from engines.types import Segment, TranscriptionInfo
from server.core.job import close_shielded
from server.errors import to_api_error
from server.http import speakers
from server.http.deps import get_services
from server.http.formats import AUDIO_TOKENS_PER_SECOND
from server.http.forms import TranscriptionRequest, engine_options
from server.http.protocol.diarization import (
    DiarizedTextDelta,
    TranscriptionDiarized,
    TranscriptionDiarizedSegment,
)
from server.http.protocol.transcriptions import (
    InputTokenDetails,
    Transcription,
    TranscriptTextDone,
    UsageDuration,
    UsageTokens,
)
from server.http.streams import SSE_HEADERS, ClosingStream, sse
from server.settings import Settings

logger = logging.getLogger(__name__)


def _wire(segment: DiarizedSegment, index: int) -> TranscriptionDiarizedSegment:
    return TranscriptionDiarizedSegment(
        id=f"seg_{index:03d}", start=round(segment.start, 3), end=round(segment.end, 3), text=segment.text,
        speaker=segment.speaker,
    )  # fmt: skip


Event = DiarizedTextDelta | TranscriptionDiarizedSegment


@dataclass
class _Output:
    """Diarized segments and text as they are built (the text is exactly the sum of the deltas)."""

    builder: SegmentBuilder
    segments: list[DiarizedSegment] = field(default_factory=list)
    text: str = ""
    output_tokens: int = 0

    def _close(self, segment: DiarizedSegment | None) -> list[Event]:
        if segment is None:
            return []
        self.segments.append(segment)
        return [_wire(segment, len(self.segments) - 1)]

    def feed(self, segment: Segment) -> list[Event]:
        """Add one whisper segment's words; the delta and segment events they make, in order."""
        self.output_tokens += len(segment.tokens)
        events: list[Event] = []
        for word in segment.words or ():
            events += self._close(self.builder.add(word))
            piece = word.word if self.text else word.word.lstrip()
            if piece:
                self.text += piece
                events.append(DiarizedTextDelta(delta=piece, segment_id=f"seg_{len(self.segments):03d}"))
        return events

    def finish(self) -> list[Event]:
        """Close the last segment."""
        return self._close(self.builder.finish())


def _token_usage(info: TranscriptionInfo, output_tokens: int) -> UsageTokens:
    audio = math.ceil(info.duration * AUDIO_TOKENS_PER_SECOND)
    return UsageTokens(
        input_tokens=audio, output_tokens=output_tokens, total_tokens=audio + output_tokens,
        input_token_details=InputTokenDetails(text_tokens=0, audio_tokens=audio),
    )  # fmt: skip


def _render(response_format: str, info: TranscriptionInfo, out: _Output) -> Response:
    if response_format == "text":
        return Response(out.text + "\n" if out.text else "", media_type="text/plain; charset=utf-8")
    usage = UsageDuration(seconds=math.ceil(info.duration))
    if response_format == "json":
        return JSONResponse(Transcription(text=out.text, usage=usage).model_dump(exclude_none=True))
    body = TranscriptionDiarized(
        duration=round(info.duration, 3), text=out.text,
        segments=[_wire(s, i) for i, s in enumerate(out.segments)], usage=usage,
    )  # fmt: skip
    return JSONResponse(body.model_dump(exclude_none=True))


async def handle(request: Request, req: TranscriptionRequest, diarize: speakers.DiarizeRequest) -> Response:
    """Serve one diarized transcription (``req`` and ``diarize`` already validated)."""
    settings: Settings = request.app.state.settings
    services = get_services(request)
    spec = services.transcriber.resolve(req.model, "transcribe", req.language)
    options = engine_options(req, settings)
    references = await run_in_threadpool(speakers.decode_references, diarize)  # small: before the queue
    audio, req = req.audio, replace(req, audio=b"")
    running = await services.diarization.start(
        spec, audio, options, references, endpoint=request.scope["route"].path,
        check=lambda seconds: speakers.check_length(diarize, req, seconds),
    )  # fmt: skip
    del audio
    out = _Output(SegmentBuilder(running.turns))
    if req.stream:
        stack = AsyncExitStack()
        stack.push_async_callback(running.aclose)
        return ClosingStream(
            _events(running, running.info, out, req.response_format == "diarized_json", stack),
            media_type="text/event-stream",
            headers=SSE_HEADERS,
        )
    async with running:
        async for segment in running:
            out.feed(segment)
    out.finish()
    return _render(req.response_format, running.info, out)


async def _events(
    items: AsyncIterator[Segment], info: TranscriptionInfo, out: _Output, with_segments: bool,
    stack: AsyncExitStack,
) -> AsyncIterator[bytes]:  # fmt: skip
    """Deltas as words arrive, a segment event whenever a speaker's segment closes, then done."""

    def wanted(events: list[Event]) -> Iterator[bytes]:
        for event in events:
            if with_segments or isinstance(event, DiarizedTextDelta):
                yield sse(event.model_dump(exclude_none=True))

    try:
        async for item in items:
            if isinstance(item, Segment):
                for event in wanted(out.feed(item)):
                    yield event
        for event in wanted(out.finish()):
            yield event
        done = TranscriptTextDone(text=out.text, usage=_token_usage(info, out.output_tokens))
        yield sse(done.model_dump(exclude_none=True))
    except Exception as exc:  # after the 200: report as the last event
        error = to_api_error(exc)
        if error.status >= 500:
            logger.exception("diarized transcription stream failed")
        yield sse({"type": "error", "error": error.body()["error"]})
    finally:
        await close_shielded(stack)
