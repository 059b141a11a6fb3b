"""POST /v1/audio/speech: the JSON body in, an encoded audio stream (or SSE) out.

Everything that can be refused is refused before the 200: the body is validated by the wire model,
the speech service (server/core) resolves the model and voice, takes an admission slot and returns once
the first encoded chunk is ready (the voice is loaded and the options checked). After that, audio goes
out sentence by sentence; a client that disconnects cancels the synthesis, and the slot and model
lease are held until the worker has stopped.
"""

from __future__ import annotations

import base64
import logging
import threading
from collections.abc import AsyncIterator, Iterator

from fastapi import Request

from engines.encode import AudioFormat, StreamEncoder, audio_format
from engines.manifest import ModelSpec
from engines.registry import ModelRegistry
from engines.types import AudioChunk
from server.core import Synthesis
from server.core.speak import Pipe, resolve_voice
from server.errors import invalid, to_api_error
from server.http.deps import get_services
from server.http.protocol.speech import SpeechRequest, SpeechUsage
from server.http.streams import SSE_HEADERS, ClosingStream, sse

logger = logging.getLogger(__name__)

ENDPOINT = "/v1/audio/speech"
FIRST_SLICE_SECONDS = 0.04


def resolve_target(registry: ModelRegistry, body: SpeechRequest) -> tuple[ModelSpec, str]:
    """(tts model, local voice id). The voice picks the model, unless ``model`` names another real model."""
    return resolve_voice(registry, body.model, body.voice)


def encoded(fmt: AudioFormat) -> Pipe:
    """The worker-thread pipe that encodes each sentence's samples into ``fmt`` as they come."""

    def encode(chunks: Iterator[AudioChunk], sample_rate: int, cancelled: threading.Event) -> Iterator[bytes]:
        encoder = StreamEncoder(fmt, sample_rate)
        try:
            for index, chunk in enumerate(chunks):
                for data in (
                    _first_bytes_early(encoder, chunk) if index == 0 else (encoder.encode(chunk.samples),)
                ):
                    if data:
                        yield data
            if not cancelled.is_set():
                tail = encoder.flush()
                if tail:
                    yield tail
        finally:
            encoder.close()

    return encode


def _first_bytes_early(encoder: StreamEncoder, chunk: AudioChunk) -> Iterator[bytes]:
    """The first sentence fed in slices of FIRST_SLICE_SECONDS until the encoder gives its first bytes
    (those go out at once), then the rest of it in one piece.

    A lossy encoder holds its first output until it has a frame and its look-ahead (mp3 at 48 kHz: ~80 ms
    of audio); encoding the whole first sentence before sending anything cost ~10 ms of CPU per second
    of audio, and even a fixed quarter second cost ~4 ms for mp3 where ~1.5 ms suffices.
    """
    step = max(1, int(FIRST_SLICE_SECONDS * chunk.sample_rate))
    samples = chunk.samples
    start = 0
    while start < samples.size:
        data = encoder.encode(samples[start : start + step])
        start += step
        if data:
            yield data
            break
    yield encoder.encode(samples[start:])


async def create_speech(request: Request, body: SpeechRequest) -> ClosingStream:
    """Validate and start the synthesis; returns once the first audio bytes are ready."""
    services = get_services(request)
    if not body.input.strip():
        raise invalid("Invalid value for 'input': there is no text to speak.", "input")
    spec, voice_id = services.speech.resolve(body.model, body.voice)
    fmt = audio_format(body.response_format or "mp3")
    options = services.speech.options(voice_id, 1.0 if body.speed is None else body.speed)
    synthesis = await services.speech.speak(spec, body.input, options, endpoint=ENDPOINT, pipe=encoded(fmt))
    sse_mode = body.stream_format == "sse"
    return ClosingStream(
        (_sse_body if sse_mode else _audio_body)(synthesis),
        media_type="text/event-stream" if sse_mode else fmt.media_type,
        headers=SSE_HEADERS,
    )


def _usage(synthesis: Synthesis[bytes]) -> SpeechUsage:
    tokens_in, tokens_out = synthesis.progress.input_tokens, synthesis.progress.output_tokens
    return SpeechUsage(input_tokens=tokens_in, output_tokens=tokens_out, total_tokens=tokens_in + tokens_out)


async def _audio_body(synthesis: Synthesis[bytes]) -> AsyncIterator[bytes]:
    """The raw audio stream. A failure after the 200 can only cut the stream short (and is logged)."""
    try:
        sent = False
        async for data in synthesis:
            yield data
            if not sent:
                sent = True
                logger.debug("speech: first audio bytes sent")
    except Exception:
        logger.exception("speech stream failed after the response started")
        raise
    finally:
        await synthesis.aclose()


async def _sse_body(synthesis: Synthesis[bytes]) -> AsyncIterator[bytes]:
    """``speech.audio.delta`` events, then ``speech.audio.done`` with usage (or a final error event)."""
    try:
        sent = False
        async for data in synthesis:
            yield sse({"type": "speech.audio.delta", "audio": base64.b64encode(data).decode("ascii")})
            if not sent:
                sent = True
                logger.debug("speech: first audio bytes sent")
        yield sse({"type": "speech.audio.done", "usage": _usage(synthesis).model_dump()})
    except Exception as exc:
        logger.exception("speech stream failed after the response started")
        yield sse(to_api_error(exc).body() | {"type": "error"})
    finally:
        await synthesis.aclose()
