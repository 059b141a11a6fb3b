"""POST /v1/audio/transcriptions and POST /v1/audio/translations (multipart, API.md §3-§4)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from server.http.protocol.transcriptions import GRANULARITIES, INCLUDES, RESPONSE_FORMATS, TRANSLATION_FORMATS
from server.http.transcription import handle

router = APIRouter()


def form_schema(task: str) -> dict[str, Any]:
    """The multipart body in /openapi.json (the form is parsed by hand, so FastAPI cannot infer it)."""
    fields: dict[str, Any] = {
        "file": {"type": "string", "format": "binary", "description": "The audio file (any container)."},
        "model": {"type": "string", "description": "A speech-to-text model id or alias (whisper-1, ...)."},
        "prompt": {"type": "string"},
        "response_format": {"type": "string", "enum": list(RESPONSE_FORMATS if task == "transcribe"
                                                           else TRANSLATION_FORMATS)},
        "temperature": {"type": "number", "minimum": 0, "maximum": 1},
    }
    if task == "transcribe":
        fields |= {
            "language": {"type": "string", "description": "ISO-639-1 code of the spoken language."},
            "timestamp_granularities[]": {"type": "array", "items": {"enum": list(GRANULARITIES)}},
            "include[]": {"type": "array", "items": {"enum": list(INCLUDES)}},
            "stream": {"type": "boolean"},
            "chunking_strategy": {"type": "string", "description": "'auto' or a server_vad JSON object."},
        }
    schema = {"type": "object", "required": ["file", "model"], "properties": fields}
    return {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": schema}}}}


@router.post("/v1/audio/transcriptions", openapi_extra=form_schema("transcribe"))
async def create_transcription(request: Request) -> Response:
    """Speech -> text in the spoken language; json, text, srt, vtt, verbose_json, or SSE with stream=true."""
    return await handle(request, "transcribe")


@router.post("/v1/audio/translations", openapi_extra=form_schema("translate"))
async def create_translation(request: Request) -> Response:
    """Speech in any language -> English text; json, text, srt, vtt or verbose_json."""
    return await handle(request, "translate")
