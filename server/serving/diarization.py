"""Diarized transcription: whisper words + speaker turns -> diarized_json, json, text or SSE.

Same order as plain transcription (validate, resolve, decode, admission, worker thread), plus: the known
speakers' clips are decoded and checked before any work; in the worker, after whisper's up-front work,
the whole audio is diarized (speaker turns) before the first segment, so every failure is still a plain
error response; then each whisper word is given the speaker whose turn it overlaps and consecutive words
of one speaker form a segment. Streams send ``transcript.text.delta`` (with ``segment_id``), one
``transcript.text.segment`` per finished segment (diarized_json), then ``transcript.text.done``.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AsyncExitStack
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from fastapi import Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from starlette.concurrency import run_in_threadpool

from engines.diarize import DiarizationOptions, DiarizedSegment, Diarizer, SegmentBuilder, SpeakerTurn
from engines.registry import ModelRegistry
from engines.types import Segment, TranscriptionInfo
from server.errors import invalid, to_api_error
from server.formats import AUDIO_TOKENS_PER_SECOND
from server.protocol.diarization import DiarizedTextDelta, TranscriptionDiarized, TranscriptionDiarizedSegment
from server.protocol.transcriptions import (
    InputTokenDetails,
    Transcription,
    TranscriptTextDone,
    UsageDuration,
    UsageTokens,
)
from server.serving import speakers
from server.serving.forms import TranscriptionRequest
from server.settings import Settings
from server.streaming import ThreadedIterator, sse

logger = logging.getLogger(__name__)
Item = TranscriptionInfo | list[SpeakerTurn] | Segment


class DiarizerHolder:
    """The speaker-diarization engine, loaded on first use and shared by all requests."""

    def __init__(self, loader: Callable[[], Diarizer] = Diarizer.load) -> None:
        self._loader = loader
        self._lock = threading.Lock()
        self._diarizer: Diarizer | None = None

    def get(self) -> Diarizer:
        """The loaded diarizer (loads it once, thread-safely)."""
        with self._lock:
            if self._diarizer is None:
                started = time.perf_counter()
                self._diarizer = self._loader()
                logger.info("speaker encoder loaded in %.2f s", time.perf_counter() - started)
            return self._diarizer


def _holder(request: Request) -> DiarizerHolder:
    """The app's diarizer holder, made on first use (on the event loop, so without a race)."""
    holder = getattr(request.app.state, "diarizer", None)
    if holder is None:
        settings: Settings = request.app.state.settings
        options = DiarizationOptions(
            encoder=settings.diarize_encoder,
            threshold=settings.diarize_threshold,
            max_speakers=settings.diarize_max_speakers,
        )
        holder = request.app.state.diarizer = DiarizerHolder(lambda: Diarizer.load(options=options))
    return holder


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


def _run(
    registry: ModelRegistry, model_id: str, audio: np.ndarray, options: Any,
    holder: DiarizerHolder, references: dict[str, np.ndarray],
) -> Iterator[Item]:  # fmt: skip
    """In a worker thread: whisper's info, then the speaker turns of the whole audio, then each segment."""
    with registry.lease(model_id) as engine:
        info, segments = engine.transcribe(audio, options)
        yield info
        diarizer = holder.get()
        started = time.perf_counter()
        refs = {name: diarizer.embed_reference(clip) for name, clip in references.items()}
        turns = diarizer.diarize(audio, refs or None)
        logger.info(
            "diarized %.2f s of audio in %.2f s: %d turns, speakers %s",
            len(audio) / 16000,
            time.perf_counter() - started,
            len(turns),
            sorted({t.speaker for t in turns}),
        )
        yield turns
        yield from segments


async def handle(request: Request, req: TranscriptionRequest, diarize: speakers.DiarizeRequest) -> Response:
    """Serve one diarized transcription (``req`` and ``diarize`` already validated)."""
    from server.serving.transcription import _decode, engine_options  # the plain path's helpers

    settings: Settings = request.app.state.settings
    registry: ModelRegistry = request.app.state.registry
    holder = _holder(request)
    spec = registry.resolve(req.model, "stt")
    request.app.state.metrics.label_model(spec.id)
    if spec.english_only and req.language not in (None, "en"):
        raise invalid(
            f"Model '{req.model}' is English-only; language '{req.language}' is not supported.",
            "language",
            code="unsupported_value",
        )
    options = replace(engine_options(req, settings), word_timestamps=True)
    references = await run_in_threadpool(speakers.decode_references, diarize)  # small: before the queue
    stack = AsyncExitStack()
    # As on the plain path, the slot comes first: it bounds concurrent decoding too.
    await stack.enter_async_context(request.app.state.admission.slot(spec.id))
    try:
        audio = await _decode(req.audio, settings.max_audio_seconds)
        seconds = audio.shape[0] / 16000
        speakers.check_length(diarize, req, seconds)
    except BaseException:
        await stack.aclose()
        raise
    req = replace(req, audio=b"")
    logger.info(
        "diarize: model=%s format=%s %.2f s of audio, %d known speaker(s)",
        spec.id,
        req.response_format,
        seconds,
        len(references),
    )
    started = time.perf_counter()

    def observe() -> None:
        request.app.state.metrics.observe_audio(
            request.scope["route"].path,
            spec.id,
            seconds_in=seconds,
            processing_seconds=time.perf_counter() - started,
        )

    items: ThreadedIterator[Item] = ThreadedIterator(
        lambda _cancelled: _run(registry, spec.id, audio, options, holder, references)
    )
    stack.push_async_callback(items.aclose)
    try:
        info = await anext(items)
        turns = await anext(items)  # diarization done: failures so far are plain errors
        assert isinstance(info, TranscriptionInfo) and isinstance(turns, list)
        out = _Output(SegmentBuilder(turns))
        if req.stream:
            return StreamingResponse(
                _events(items, info, out, req.response_format == "diarized_json", stack, observe),
                media_type="text/event-stream",
                headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
            )
        async for item in items:
            if isinstance(item, Segment):
                out.feed(item)
        out.finish()
    except BaseException:
        await stack.aclose()
        raise
    await stack.aclose()
    observe()
    return _render(req.response_format, info, out)


async def _events(
    items: ThreadedIterator[Item], info: TranscriptionInfo, out: _Output, with_segments: bool,
    stack: AsyncExitStack, observe: Callable[[], None],
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
        observe()
        done = TranscriptTextDone(text=out.text, usage=_token_usage(info, out.output_tokens))
        yield sse(done.model_dump(exclude_none=True))
    except Exception as exc:  # after the 200: report as the last event
        error = to_api_error(exc)
        if error.status >= 500:
            logger.exception("diarized transcription stream failed")
        yield sse({"type": "error", "error": error.body()["error"]})
    finally:
        await stack.aclose()
