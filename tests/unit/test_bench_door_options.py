"""The bench's door floors call faster-whisper with exactly what the engine passes for a door's options.

``scripts/benchlib/door_options.raw_kwargs`` takes from ``engines/whisper.py`` how it turns
``TranscriptionOptions`` into ``WhisperModel.transcribe`` arguments; a floor with other arguments would
measure other work. Here the real engine runs a real clip and its call to faster-whisper is recorded.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from engines.types import RuntimeOptions, TranscriptionOptions
from engines.whisper import WhisperEngine
from server.core.options import transcription_options
from server.realtime.config import SessionConfig
from server.realtime.turns import engine_options
from server.settings import Settings
from tests.support import parity
from tests.support.audio import LIBRIVOX, read_samples

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
from benchlib.door_options import raw_kwargs, server_settings  # noqa: E402

pytestmark = pytest.mark.slow

SETTINGS = Settings()
DOORS = {
    "realtime turn": engine_options(SessionConfig(language="en"), SETTINGS),
    "realtime turn, prompt": engine_options(SessionConfig(language="en", prompt="Dashwood."), SETTINGS),
    "wyoming transcript": transcription_options(SETTINGS, language="en", segment_timing=False),
    "no VAD, one temperature": transcription_options(
        Settings(vad_filter=False), language="en", temperature=0.4, segment_timing=False
    ),
}


@pytest.fixture(scope="module")
def engine(models_dir: Path) -> WhisperEngine:
    path = parity.model_paths(models_dir)["whisper-tiny.en"]
    return WhisperEngine.load(path, RuntimeOptions(cpu_threads=2))


@pytest.mark.parametrize("door", DOORS)
def test_the_floor_gets_the_engines_arguments(engine: WhisperEngine, door: str) -> None:
    options: TranscriptionOptions = DOORS[door]
    audio = read_samples(sorted(LIBRIVOX.glob("*.wav"))[1])
    passed: dict[str, Any] = {}
    real = engine.model.transcribe

    def recording(samples: Any, **kwargs: Any) -> Any:
        passed.update(kwargs)
        return real(samples, **kwargs)

    engine.model.transcribe = recording
    try:
        _info, segments = engine.transcribe(audio, options)
        assert list(segments)
    finally:
        del engine.model.transcribe
    assert raw_kwargs(options, audio.shape[0] / 16000) == passed


def test_audio_for_the_batched_pipeline_has_no_plain_floor() -> None:
    with pytest.raises(ValueError, match="batched"):
        raw_kwargs(DOORS["wyoming transcript"], 61.0)


def test_server_settings_take_the_servers_extra_environment() -> None:
    settings = server_settings({"EARSHOT_BEAM_SIZE": "3", "GOMP_SPINCOUNT": "1000"})
    assert settings.beam_size == 3
    assert raw_kwargs(transcription_options(settings, language="en"), 5.0)["beam_size"] == 3
