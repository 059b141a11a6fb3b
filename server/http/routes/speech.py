"""POST /v1/audio/speech: text to speech, streamed (raw audio or SSE)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from server.http.protocol.speech import SpeechRequest
from server.http.speech import create_speech

router = APIRouter()

_AUDIO = {"schema": {"type": "string", "format": "binary"}}


@router.post(
    "/v1/audio/speech",
    response_class=Response,
    responses={
        200: {
            "description": "Audio in the requested format, chunked; or SSE when stream_format is sse.",
            "content": {
                "audio/mpeg": _AUDIO,
                "audio/ogg": _AUDIO,
                "audio/aac": _AUDIO,
                "audio/flac": _AUDIO,
                "audio/wav": _AUDIO,
                "audio/pcm": _AUDIO,
                "text/event-stream": {"schema": {"type": "string"}},
            },
        }
    },
)
async def speech(body: SpeechRequest, request: Request) -> Response:
    """OpenAI's ``audio.speech.create``; ``instructions`` is accepted and ignored (piper cannot follow it)."""
    return await create_speech(request, body)
