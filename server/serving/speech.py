"""POST /v1/audio/speech: resolve, admit, synthesise in a worker thread, encode and stream.

Everything that can be refused is refused before the 200: the body is validated by the wire model,
the model and voice are resolved, an admission slot is taken, and the first encoded chunk is pulled
from the worker (which loads the voice and checks the options) before the response starts. After
that, audio goes out sentence by sentence; a client that disconnects cancels the synthesis, and
the slot and model lease are held until the worker has stopped.
"""

from __future__ import annotations

import base64
import logging
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from functools import partial

import anyio
from fastapi import Request
from starlette.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

from engines.encode import AudioFormat, StreamEncoder, audio_format
from engines.manifest import ModelSpec
from engines.protocols import Synthesizer
from engines.registry import ModelRegistry
from engines.types import SpeechOptions
from server.context import request_id
from server.deps import get_admission, get_registry, get_settings
from server.errors import invalid, to_api_error
from server.protocol.speech import SpeechRequest, SpeechUsage
from server.streaming import ThreadedIterator, sse

logger = logging.getLogger(__name__)

ENDPOINT = "/v1/audio/speech"
FIRST_SLICE_SECONDS = 0.25


@dataclass
class _Progress:
    """Counters the worker fills in as sentences are synthesised (read once the stream ends)."""

    started: float = field(default_factory=time.perf_counter)
    admitted: float | None = None  # when the admission slot was granted
    sentences: int = 0
    audio_seconds: float = 0.0
    input_tokens: int = 0
    output_tokens: int = 0
    first_byte_seconds: float | None = None

    def usage(self) -> SpeechUsage:
        tokens_in, tokens_out = self.input_tokens, self.output_tokens
        return SpeechUsage(
            input_tokens=tokens_in, output_tokens=tokens_out, total_tokens=tokens_in + tokens_out
        )


def resolve_target(registry: ModelRegistry, body: SpeechRequest) -> tuple[ModelSpec, str]:
    """(tts model, local voice id or blend). The voice picks the model, unless ``model`` names another."""
    return registry.resolve_speech(body.model, body.voice)


def _encoded(
    registry: ModelRegistry,
    model_id: str,
    text: str,
    options: SpeechOptions,
    fmt: AudioFormat,
    rid: str | None,
    progress: _Progress,
    cancelled: threading.Event,
) -> Iterator[bytes]:
    """Runs in the worker thread: lease the voice, synthesise sentence by sentence, encode each."""
    request_id.set(rid)  # this thread's own context: log lines carry the request id
    with registry.lease(model_id) as engine:
        synthesizer: Synthesizer = engine
        chunks = synthesizer.synthesize(text, options, cancelled)
        encoder = StreamEncoder(fmt, synthesizer.sample_rate)
        try:
            for index, chunk in enumerate(chunks):
                progress.sentences += 1
                progress.audio_seconds += len(chunk.samples) / chunk.sample_rate
                progress.input_tokens += chunk.input_tokens
                progress.output_tokens += chunk.output_tokens
                # The first bytes go out once a quarter second is encoded, not a whole sentence
                # (mp3 costs ~10 ms of CPU per second of audio: a long first sentence delayed them).
                cut = int(FIRST_SLICE_SECONDS * chunk.sample_rate) if index == 0 else 0
                for piece in (chunk.samples[:cut], chunk.samples[cut:]) if cut else (chunk.samples,):
                    data = encoder.encode(piece)
                    if data:
                        yield data
            if not cancelled.is_set():
                tail = encoder.flush()
                if tail:
                    yield tail
        finally:
            encoder.close()
            close = getattr(chunks, "close", None)
            if close is not None:
                close()


class SpeechStream(StreamingResponse):
    """A StreamingResponse that always closes its body (so the worker stops) when the response ends."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            with anyio.CancelScope(shield=True):
                await self.body_iterator.aclose()  # type: ignore[attr-defined]


async def create_speech(request: Request, body: SpeechRequest) -> SpeechStream:
    """Validate and start the synthesis; returns once the first audio bytes are ready."""
    registry, settings = get_registry(request), get_settings(request)
    if not body.input.strip():
        raise invalid("Invalid value for 'input': there is no text to speak.", "input")
    spec, voice_id = resolve_target(registry, body)
    metrics = getattr(request.app.state, "metrics", None)
    if metrics is not None:
        metrics.label_model(spec.id)
    fmt = audio_format(body.response_format or "mp3")
    options = SpeechOptions(
        voice=voice_id,
        speed=1.0 if body.speed is None else body.speed,
        noise_scale=settings.tts_noise_scale,
        noise_w_scale=settings.tts_noise_w_scale,
    )
    progress = _Progress()
    stack = AsyncExitStack()
    try:
        await stack.enter_async_context(get_admission(request).slot(spec.id))
        progress.admitted = time.perf_counter()
        factory = partial(_encoded, registry, spec.id, body.input, options, fmt, request_id.get(), progress)
        chunks: ThreadedIterator[bytes] = ThreadedIterator(factory)
        stack.push_async_callback(chunks.aclose)
        try:
            first = await anext(chunks)
        except StopAsyncIteration:
            first = b""
    except BaseException:
        with anyio.CancelScope(shield=True):
            await stack.aclose()
        raise
    progress.first_byte_seconds = time.perf_counter() - progress.started
    sse_mode = body.stream_format == "sse"
    stream = _sse_body if sse_mode else _audio_body
    finish = partial(_finished, request, spec.id, fmt.name, progress)
    return SpeechStream(
        stream(first, chunks, stack, progress, finish),
        media_type="text/event-stream" if sse_mode else fmt.media_type,
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


def _finished(request: Request, model_id: str, fmt: str, progress: _Progress) -> None:
    now = time.perf_counter()
    elapsed = now - progress.started
    processing = now - (progress.admitted or progress.started)  # without the wait for a slot
    rtf = processing / progress.audio_seconds if progress.audio_seconds else 0.0
    logger.info(
        "speech %s via %s: %d sentence(s), %.2f s of audio, first bytes %.3f s, done %.3f s "
        "(%.3f s queued), RTF %.3f",
        fmt,
        model_id,
        progress.sentences,
        progress.audio_seconds,
        progress.first_byte_seconds or 0.0,
        elapsed,
        elapsed - processing,
        rtf,
    )
    metrics = getattr(request.app.state, "metrics", None)
    if metrics is not None:
        metrics.observe_audio(
            ENDPOINT, model_id, seconds_out=progress.audio_seconds, processing_seconds=processing
        )


async def _audio_body(
    first: bytes,
    chunks: ThreadedIterator[bytes],
    stack: AsyncExitStack,
    progress: _Progress,
    finish: Callable[[], None],
) -> AsyncIterator[bytes]:
    """The raw audio stream. A failure after the 200 can only cut the stream short (and is logged)."""
    try:
        if first:
            yield first
            logger.debug("speech: first audio bytes sent")
        async for data in chunks:
            yield data
        finish()
    except Exception:
        logger.exception("speech stream failed after the response started")
        raise
    finally:
        with anyio.CancelScope(shield=True):
            await stack.aclose()


async def _sse_body(
    first: bytes,
    chunks: ThreadedIterator[bytes],
    stack: AsyncExitStack,
    progress: _Progress,
    finish: Callable[[], None],
) -> AsyncIterator[bytes]:
    """``speech.audio.delta`` events, then ``speech.audio.done`` with usage (or a final error event)."""
    try:
        if first:
            yield sse({"type": "speech.audio.delta", "audio": base64.b64encode(first).decode("ascii")})
            logger.debug("speech: first audio bytes sent")
        async for data in chunks:
            yield sse({"type": "speech.audio.delta", "audio": base64.b64encode(data).decode("ascii")})
        yield sse({"type": "speech.audio.done", "usage": progress.usage().model_dump()})
        finish()
    except Exception as exc:
        logger.exception("speech stream failed after the response started")
        yield sse(to_api_error(exc).body() | {"type": "error"})
    finally:
        with anyio.CancelScope(shield=True):
            await stack.aclose()
