"""GET /v1/audio/voices: local voices and what each OpenAI voice name maps to."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request

from engines.errors import EngineError
from engines.piper import VoiceInfo
from engines.registry import ModelRegistry
from engines.voice_catalog import voice_infos
from server.http.deps import get_registry
from server.http.protocol.speech import VoiceEntry, VoiceList

logger = logging.getLogger(__name__)

router = APIRouter()

_UNKNOWN = VoiceInfo(language=None, sample_rate=None, quality=None, dataset=None, speakers=())


def _local_voices(registry: ModelRegistry) -> dict[str, VoiceEntry]:
    voices: dict[str, VoiceEntry] = {}
    for spec in registry.models("tts"):
        try:
            infos, available = voice_infos(spec, registry.models_dir), True
        except (EngineError, OSError, ValueError) as exc:
            logger.warning("voice model %s unavailable: %s", spec.id, exc)
            infos, available = {}, False
        for voice in spec.voices:
            if voice in voices:
                continue
            info = infos.get(voice, _UNKNOWN)
            voices[voice] = VoiceEntry(
                id=voice,
                name=voice,
                type="local",
                voice=voice,
                model=spec.id,
                language=info.language,
                quality=info.quality,
                sample_rate=info.sample_rate,
                available=available,
            )
    return voices


def voice_list(registry: ModelRegistry) -> VoiceList:
    """Local voices first, then every mapped name (OpenAI's 13 by default) with the voice it plays."""
    local = _local_voices(registry)
    names = registry.voice_names()
    aliases = {name: target for name, target in names.items() if name not in local}
    entries = list(local.values())
    for name, target in aliases.items():
        played = local[target]
        entries.append(played.model_copy(update={"id": name, "name": name, "type": "alias"}))
    return VoiceList(voices=entries, aliases=aliases)


@router.get("/v1/audio/voices", response_model=VoiceList)
def list_voices(request: Request) -> VoiceList:
    """Every voice POST /v1/audio/speech accepts (read from the voices' files; nothing is loaded)."""
    return voice_list(get_registry(request))
