"""What each local voice is (language, rate, quality), read from the model files without loading a model."""

from __future__ import annotations

from pathlib import Path

from engines.kokoro_voices import voice_language
from engines.manifest import ModelSpec
from engines.materialize import model_entry_point, model_location
from engines.piper import VoiceInfo, read_voice_info

KOKORO_SAMPLE_RATE = 24_000


def voice_infos(spec: ModelSpec, models_dir: Path) -> dict[str, VoiceInfo]:
    """Every voice of a tts model with what is known about it; raises EngineError/OSError if files are bad."""
    location = model_location(spec, models_dir)
    if spec.backend == "kokoro":
        return {
            voice: VoiceInfo(
                language=voice_language(voice),
                sample_rate=KOKORO_SAMPLE_RATE,
                quality=None,
                dataset=None,
                speakers=(),
            )
            for voice in spec.voices
        }
    info = read_voice_info(model_entry_point(spec, location))
    return {voice: info for voice in spec.voices}
