"""Orchestration of /v1/audio/transcriptions and /v1/audio/translations.

Order: parse and validate the form, resolve the model, check the model can do it, take an admission
slot, decode the audio (in a thread, stopped if the request is cancelled), run the engine in a worker
thread. Everything that can fail
is checked before a stream starts; a failure after the first event becomes a final error event.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AsyncExitStack
from dataclasses import replace
from functools import partial
from typing import Any

import anyio
import numpy as np
from fastapi import Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

from engines.decode import decode_audio
from engines.registry import ModelRegistry
from engines.types import Segment, TranscriptionInfo, TranscriptionOptions, VadOptions
from server import formats
from server.errors import invalid, to_api_error
from server.formats import Transcript
from server.protocol.transcriptions import TranscriptTextDelta, TranscriptTextDone
from server.serving import diarization, speakers
from server.serving.forms import TranscriptionRequest, parse_form
from server.settings import Settings
from server.streaming import ThreadedIterator, sse

logger = logging.getLogger(__name__)


def engine_options(req: TranscriptionRequest, settings: Settings) -> TranscriptionOptions:
    """What the engine is asked to do: the request's choices over the server's defaults."""
    vad: VadOptions | None = None
    if req.chunking is not None and req.chunking.vad is not None:
        vad = req.chunking.vad
    elif settings.vad_filter or req.chunking is not None:
        vad = VadOptions(settings.vad_threshold, settings.vad_min_silence_ms, settings.vad_speech_pad_ms)
    words = "word" in req.granularities and req.response_format == "verbose_json"
    return TranscriptionOptions(
        task=req.task,
        language=req.language,
        prompt=req.prompt,
        temperature=req.temperature,
        beam_size=settings.beam_size,
        word_timestamps=words or (req.response_format in formats.NEEDS_WORDS and not req.stream),
        token_logprobs="logprobs" in req.include,
        vad=vad,
        no_speech_threshold=settings.no_speech_threshold,
        log_prob_threshold=settings.log_prob_threshold,
        batched_min_seconds=settings.batched_min_seconds,
        batch_size=settings.batch_size,
        segment_timing=req.stream or req.response_format not in ("json", "text"),
    )


def _run(registry: ModelRegistry, model_id: str, audio: np.ndarray, options: TranscriptionOptions
         ) -> Iterator[TranscriptionInfo | Segment]:
    """In a worker thread: lease the model, yield the info, then each segment."""
    with registry.lease(model_id) as engine:
        info, segments = engine.transcribe(audio, options)
        yield info
        yield from segments


async def _decode(data: bytes, max_seconds: float) -> np.ndarray:
    """Decode in a worker thread; if the request is cancelled (client gone, timeout) decoding stops too."""
    cancelled = threading.Event()
    try:
        return await asyncio.get_running_loop().run_in_executor(
            None, partial(decode_audio, data, max_seconds, cancelled=cancelled)
        )
    except asyncio.CancelledError:
        cancelled.set()
        raise


def _respond(rendered: formats.Rendered) -> Response:
    if isinstance(rendered.body, dict):
        return JSONResponse(rendered.body, media_type=rendered.media_type)
    return Response(rendered.body, media_type=rendered.media_type)


async def handle(request: Request, task: str) -> Response:
    """Serve one transcription (``task='transcribe'``) or translation request."""
    settings: Settings = request.app.state.settings
    registry: ModelRegistry = request.app.state.registry
    async with request.form(max_files=4, max_fields=256, max_part_size=speakers.MAX_FIELD_BYTES) as form:
        req = await parse_form(form, task, settings.max_upload_bytes)
        diarize = speakers.parse(form, req)
    if diarize is not None:  # gpt-4o-transcribe-diarize or diarized_json: see server/serving/diarization.py
        return await diarization.handle(request, req, diarize)
    if req.response_format not in formats.FORMATS:
        raise invalid(f"response_format '{req.response_format}' is not available on this server yet.",
                      "response_format", code="unsupported_value")
    spec = registry.resolve(req.model, "stt")
    request.app.state.metrics.label_model(spec.id)
    if task == "translate" and spec.english_only:
        raise invalid(f"Model '{req.model}' is English-only and cannot translate; use a multilingual model "
                      "such as 'whisper-1'.", "model", code="unsupported_value")
    if spec.english_only and req.language not in (None, "en"):
        raise invalid(f"Model '{req.model}' is English-only; language '{req.language}' is not supported.",
                      "language", code="unsupported_value")
    options = engine_options(req, settings)
    stack = AsyncExitStack()
    # The slot comes first: it bounds concurrent decoding too (each up to max_audio_seconds of float32).
    await stack.enter_async_context(request.app.state.admission.slot(spec.id))
    try:
        audio = await _decode(req.audio, settings.max_audio_seconds)
    except BaseException:
        with anyio.CancelScope(shield=True):  # cancelled (client gone, timeout): wait for the engine
            await stack.aclose()
        raise
    req = replace(req, audio=b"")  # the bytes are not needed any more
    logger.info("%s: model=%s format=%s %.2f s of audio", task, spec.id, req.response_format,
                audio.shape[0] / 16000)

    def factory(_cancelled: Any) -> Iterator[TranscriptionInfo | Segment]:
        return _run(registry, spec.id, audio, options)

    started, seconds = time.perf_counter(), audio.shape[0] / 16000

    def observe() -> None:  # once the transcript is complete: audio seconds and engine time to /metrics
        request.app.state.metrics.observe_audio(request.scope["route"].path, spec.id, seconds_in=seconds,
                                                processing_seconds=time.perf_counter() - started)

    items: ThreadedIterator[TranscriptionInfo | Segment] = ThreadedIterator(factory)
    stack.push_async_callback(items.aclose)
    try:
        info = await anext(items)  # model loaded, VAD and language detection done: failures are plain errors
        assert isinstance(info, TranscriptionInfo)
        if req.stream:
            return StreamingResponse(
                _events(items, info, req, stack, observe),
                media_type="text/event-stream",
                headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
            )
        segments = [s async for s in items if isinstance(s, Segment)]
    except BaseException:
        with anyio.CancelScope(shield=True):  # cancelled (client gone, timeout): wait for the engine
            await stack.aclose()
        raise
    await stack.aclose()
    observe()
    transcript = Transcript(info, segments, req.granularities, req.include)
    return _respond(formats.render(req.response_format, transcript))


async def _events(
    items: ThreadedIterator[TranscriptionInfo | Segment],
    info: TranscriptionInfo,
    req: TranscriptionRequest,
    stack: AsyncExitStack,
    observe: Callable[[], None],
) -> AsyncIterator[bytes]:
    """``transcript.text.delta`` per segment, then ``transcript.text.done``; an error ends it as an event."""
    with_logprobs = "logprobs" in req.include
    segments: list[Segment] = []
    try:
        async for item in items:
            if not isinstance(item, Segment):
                continue
            event = TranscriptTextDelta(
                delta=formats.delta(item, not segments),
                logprobs=formats.logprobs(item.logprobs or ()) if with_logprobs else None,
            )
            segments.append(item)
            yield sse(event.model_dump(exclude_none=True))
        transcript = Transcript(info, segments, req.granularities, req.include)
        done = TranscriptTextDone(
            text=transcript.text,
            logprobs=formats.all_logprobs(segments) if with_logprobs else None,
            usage=formats.token_usage(transcript),
        )
        observe()
        yield sse(done.model_dump(exclude_none=True))
    except Exception as exc:  # after the 200: report as the last event, never a cut connection
        error = to_api_error(exc)
        if error.status >= 500:
            logger.exception("transcription stream failed")
        yield sse({"type": "error", "error": error.body()["error"]})
    finally:
        with anyio.CancelScope(shield=True):  # a disconnect cancels the stream: still wait for the engine
            await stack.aclose()
