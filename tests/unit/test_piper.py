"""PiperEngine.synthesize on the packaged voice: validate first, one chunk per sentence, cancel."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest

from engines.errors import InvalidOptionError
from engines.manifest import builtin_manifest_path, read_manifest
from engines.materialize import model_entry_point, model_location
from engines.piper import PiperEngine, read_voice_info, speed_plan
from engines.types import RuntimeOptions, SpeechOptions

pytestmark = pytest.mark.slow

QUIET = SpeechOptions(voice="en_US-joe-medium", noise_scale=0.0, noise_w_scale=0.0)


@pytest.fixture(scope="module")
def onnx_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    spec = read_manifest(builtin_manifest_path()).by_id()["piper-en_US-joe-medium"]
    models_dir = tmp_path_factory.mktemp("models")
    return model_entry_point(spec, model_location(spec, models_dir))


@pytest.fixture(scope="module")
def engine(onnx_path: Path) -> PiperEngine:
    return PiperEngine.load(onnx_path, RuntimeOptions(cpu_threads=1))


def test_voice_info_is_read_without_loading(onnx_path: Path) -> None:
    info = read_voice_info(onnx_path)
    assert (info.language, info.sample_rate, info.quality) == ("en_US", 22050, "medium")


@pytest.mark.parametrize("speed", [0.1, 0.24, 4.01, 5.0, float("nan"), float("inf")])
def test_bad_speed_is_refused_before_any_work(engine: PiperEngine, speed: float) -> None:
    with pytest.raises(InvalidOptionError) as info:
        engine.synthesize("Hello.", SpeechOptions(voice="en_US-joe-medium", speed=speed))  # not iterated
    assert info.value.param == "speed"


@pytest.mark.parametrize("text", ["", "   \n "])
def test_blank_text_is_refused_at_once(engine: PiperEngine, text: str) -> None:
    with pytest.raises(InvalidOptionError) as info:
        engine.synthesize(text, QUIET)
    assert info.value.param == "input"


def test_punctuation_only_is_refused_when_iterated(engine: PiperEngine) -> None:
    chunks = engine.synthesize("...", QUIET)
    with pytest.raises(InvalidOptionError) as info:
        list(chunks)
    assert info.value.param == "input"


def test_one_chunk_per_sentence_and_noise_zero_is_bit_identical(engine: PiperEngine) -> None:
    text = "One sentence here. Another one there! And a question?"
    first = list(engine.synthesize(text, QUIET))
    second = list(engine.synthesize(text, QUIET))
    assert [c.index for c in first] == [0, 1, 2]
    assert all(c.sample_rate == 22050 and c.samples.dtype == np.float32 for c in first)
    assert all(c.input_tokens > 0 and c.output_tokens == len(c.samples) // 256 for c in first)
    assert all(np.array_equal(a.samples, b.samples) for a, b in zip(first, second, strict=True))


def test_speed_scales_duration(engine: PiperEngine) -> None:
    text = "The quick brown fox jumps over the lazy dog."

    def seconds(speed: float) -> float:
        options = SpeechOptions(voice="en_US-joe-medium", speed=speed, noise_scale=0.0, noise_w_scale=0.0)
        return sum(len(c.samples) for c in engine.synthesize(text, options)) / 22050

    normal = seconds(1.0)
    for speed in (0.5, 1.5, 2.0, 4.0):
        assert seconds(speed) == pytest.approx(normal / speed, rel=0.15), speed


def test_cancel_stops_between_sentences(engine: PiperEngine) -> None:
    cancelled = threading.Event()
    chunks = engine.synthesize("First. Second. Third. Fourth. Fifth.", QUIET, cancelled)
    got = [next(chunks)]
    cancelled.set()
    got += list(chunks)
    assert len(got) == 1


@pytest.mark.parametrize("speed", [0.25, 0.5, 0.8, 1.25, 2.0, 4.0])
def test_speed_plan_is_monotonic_and_reaches_every_speed(speed: float) -> None:
    scale, tempo = speed_plan(speed)
    assert 0.5 <= scale <= 5.0 and tempo >= 1.0
    assert (tempo > 1.0) == (speed > 1 / 0.602)
    assert speed_plan(speed * 1.1)[0] <= scale


def test_the_session_stops_spinning_once_a_sentence_is_done(engine: PiperEngine) -> None:
    """Idle intra-op threads must not hold the cores the encoder and the event loop need next."""
    from engines.onnx_session import FORCE_SPINNING_STOP

    session = engine.voice.session  # type: ignore[attr-defined]
    assert session.get_session_options().get_session_config_entry(FORCE_SPINNING_STOP) == "1"
