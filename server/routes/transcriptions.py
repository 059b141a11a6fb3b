"""POST /v1/audio/transcriptions and POST /v1/audio/translations (multipart, API.md §3-§4)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from server.serving.transcription import handle

router = APIRouter()


@router.post("/v1/audio/transcriptions")
async def create_transcription(request: Request) -> Response:
    """Speech -> text in the spoken language; json, text, srt, vtt, verbose_json, or SSE with stream=true."""
    return await handle(request, "transcribe")


@router.post("/v1/audio/translations")
async def create_translation(request: Request) -> Response:
    """Speech in any language -> English text; json, text, srt, vtt or verbose_json."""
    return await handle(request, "translate")
