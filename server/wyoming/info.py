"""The ``info`` answer to ``describe``: every speech-to-text model and every voice, read without loading."""

from __future__ import annotations

import logging
from importlib.metadata import PackageNotFoundError, version

from wyoming.info import AsrModel, AsrProgram, Attribution, Info, TtsProgram, TtsVoice, TtsVoiceSpeaker

from engines.errors import EngineError
from engines.languages import LANGUAGES
from engines.registry import ModelRegistry
from engines.voice_catalog import voice_infos

logger = logging.getLogger(__name__)

EARSHOT = Attribution(name="Earshot", url="https://github.com/earshot-audio/earshot")
WHISPER = Attribution(name="OpenAI Whisper (faster-whisper)", url="https://github.com/SYSTRAN/faster-whisper")
PIPER = Attribution(name="Piper (rhasspy)", url="https://github.com/OHF-Voice/piper1-gpl")


def earshot_version() -> str:
    """The installed Earshot version."""
    try:
        return version("earshot")
    except PackageNotFoundError:
        return "0.0.0"


def _asr(registry: ModelRegistry, release: str) -> AsrProgram:
    models = [
        AsrModel(
            name=spec.id,
            attribution=WHISPER,
            installed=True,
            description=spec.description or spec.id,
            version=release,
            languages=["en"] if spec.english_only else list(LANGUAGES),
        )
        for spec in registry.models("stt")
    ]
    return AsrProgram(
        name="earshot-stt",
        attribution=EARSHOT,
        installed=True,
        description="Earshot speech to text (Whisper)",
        version=release,
        models=models,
        supports_transcript_streaming=True,
    )


KOKORO = Attribution(name="Kokoro-82M (hexgrad)", url="https://huggingface.co/hexgrad/Kokoro-82M")


def _voices(registry: ModelRegistry, release: str) -> list[TtsVoice]:
    voices: dict[str, TtsVoice] = {}
    for spec in registry.models("tts"):
        try:
            infos = voice_infos(spec, registry.models_dir)
        except (EngineError, OSError, ValueError) as exc:  # not materialised yet: still listed
            logger.warning("voice model %s: %s", spec.id, exc)
            infos = {}
        for name in spec.voices:
            info = infos.get(name)
            language = info.language if info is not None else None
            speakers = info.speakers if info is not None else ()
            voices.setdefault(name, TtsVoice(
                name=name,
                attribution=KOKORO if spec.backend == "kokoro" else PIPER,
                installed=True,
                description=spec.description or name,
                version=release,
                languages=[language] if language else [],
                speakers=[TtsVoiceSpeaker(name=s) for s in speakers] if len(speakers) > 1 else None,
            ))  # fmt: skip
    return list(voices.values())


def build_info(registry: ModelRegistry) -> Info:
    """What this server offers, in Wyoming's terms."""
    release = earshot_version()
    asr = [_asr(registry, release)] if registry.models("stt") else []
    tts = []
    if registry.models("tts"):
        tts = [TtsProgram(
            name="earshot-tts",
            attribution=EARSHOT,
            installed=True,
            description="Earshot text to speech (Piper)",
            version=release,
            voices=_voices(registry, release),
            supports_synthesize_streaming=True,
        )]  # fmt: skip
    return Info(asr=asr, tts=tts)
