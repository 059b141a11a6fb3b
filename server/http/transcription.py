"""POST /v1/audio/transcriptions and /v1/audio/translations: the form in, OpenAI bodies or SSE out.

Order: parse and validate the form, resolve the model and check it can do the task, then the
transcription service (server/core) admits, decodes and starts whisper. Everything that can fail is
checked before a stream starts; a failure after the first event becomes a final error event.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import replace

from fastapi import Request
from fastapi.responses import JSONResponse, Response

from engines.types import Segment, TranscriptionInfo
from server.core.job import close_shielded
from server.errors import invalid, to_api_error
from server.http import diarization, formats, speakers
from server.http.deps import get_services
from server.http.formats import Transcript
from server.http.forms import TranscriptionRequest, engine_options, parse_form
from server.http.protocol.transcriptions import TranscriptTextDelta, TranscriptTextDone
from server.http.streams import SSE_HEADERS, ClosingStream, sse
from server.settings import Settings

logger = logging.getLogger(__name__)


def _respond(rendered: formats.Rendered) -> Response:
    if isinstance(rendered.body, dict):
        return JSONResponse(rendered.body, media_type=rendered.media_type)
    return Response(rendered.body, media_type=rendered.media_type)


async def handle(request: Request, task: str) -> Response:
    """Serve one transcription (``task='transcribe'``) or translation request."""
    settings: Settings = request.app.state.settings
    services = get_services(request)
    async with request.form(max_files=4, max_fields=256, max_part_size=speakers.MAX_FIELD_BYTES) as form:
        req = await parse_form(form, task, settings.max_upload_bytes)
        diarize = speakers.parse(form, req)
    if diarize is not None:  # gpt-4o-transcribe-diarize or diarized_json: see server/http/diarization.py
        return await diarization.handle(request, req, diarize)
    if req.response_format not in formats.FORMATS:
        raise invalid(f"response_format '{req.response_format}' is not available on this server yet.",
                      "response_format", code="unsupported_value")  # fmt: skip
    spec = services.transcriber.resolve(req.model, task, req.language)
    options = engine_options(req, settings)
    audio, req = req.audio, replace(req, audio=b"")
    running = await services.transcriber.start(spec, audio, options, endpoint=request.scope["route"].path)
    del audio
    if req.stream:
        stack = AsyncExitStack()
        stack.push_async_callback(running.aclose)
        return ClosingStream(_events(running, running.info, req, stack), media_type="text/event-stream",
                             headers=SSE_HEADERS)  # fmt: skip
    async with running:
        segments = [segment async for segment in running]
    transcript = Transcript(running.info, segments, req.granularities, req.include)
    return _respond(formats.render(req.response_format, transcript))


async def _events(
    items: AsyncIterator[TranscriptionInfo | Segment],
    info: TranscriptionInfo,
    req: TranscriptionRequest,
    stack: AsyncExitStack,
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
        yield sse(done.model_dump(exclude_none=True))
    except Exception as exc:  # after the 200: report as the last event, never a cut connection
        error = to_api_error(exc)
        if error.status >= 500:
            logger.exception("transcription stream failed")
        yield sse({"type": "error", "error": error.body()["error"]})
    finally:
        await close_shielded(stack)  # a disconnect cancels the stream: still wait for the engine

