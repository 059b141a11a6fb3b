"""The speech wire model and model/voice resolution, without a server."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from engines.errors import InvalidOptionError, ModelNotFoundError, VoiceNotFoundError
from engines.manifest import Manifest, ModelSpec, builtin_manifest_path, read_manifest
from engines.registry import ModelRegistry
from engines.types import RuntimeOptions
from server.http.protocol.speech import SpeechRequest
from server.http.routes.voices import voice_list as list_voices_of
from server.http.speech import resolve_target


def _registry(tmp_path: Path) -> ModelRegistry:
    joe = ModelSpec(
        "piper-joe", "tts", "piper", aliases=("tts-1",), path=tmp_path / "joe.onnx", voices=("joe",)
    )
    alba = ModelSpec("piper-alba", "tts", "piper", path=tmp_path / "alba.onnx", voices=("alba",))
    whisper = ModelSpec("whisper", "stt", "faster-whisper", aliases=("whisper-1",), path=tmp_path)
    return ModelRegistry(
        Manifest((joe, alba, whisper), {"alloy": "joe", "nova": "alba"}), tmp_path, RuntimeOptions()
    )


def test_nulls_mean_defaults_and_unknown_keys_are_ignored() -> None:
    body = SpeechRequest.model_validate(
        {"model": "tts-1", "input": "Hi.", "voice": {"id": "alloy"}, "speed": None, "response_format": None,
         "stream_format": None, "instructions": None, "extra": [1, 2]}
    )  # fmt: skip
    assert (body.voice, body.speed, body.response_format, body.stream_format) == ("alloy", None, None, None)


@pytest.mark.parametrize(
    "field,value",
    [("input", ""), ("input", "x" * 4097), ("speed", 0.2), ("speed", 4.5), ("voice", {"name": "a"}),
     ("voice", ""), ("voice", 3), ("response_format", "ogg"), ("stream_format", "chunks"),
     ("instructions", "x" * 4097), ("model", None)],
)  # fmt: skip
def test_invalid_fields_are_named(field: str, value: object) -> None:
    raw = {"model": "tts-1", "input": "Hi.", "voice": "alloy", field: value}
    with pytest.raises(ValidationError) as info:
        SpeechRequest.model_validate(raw)
    assert info.value.errors()[0]["loc"] == (field,)


def _body(model: str, voice: str) -> SpeechRequest:
    return SpeechRequest(model=model, input="Hi.", voice=voice)


def test_the_voice_picks_the_model_unless_a_real_model_id_is_named(tmp_path: Path) -> None:
    registry = _registry(tmp_path)
    assert resolve_target(registry, _body("tts-1", "alloy"))[0].id == "piper-joe"
    assert resolve_target(registry, _body("tts-1", "nova")) == (registry.resolve("piper-alba"), "alba")
    assert resolve_target(registry, _body("piper-alba", "alba"))[1] == "alba"
    with pytest.raises(InvalidOptionError) as info:  # the server answers it as a 400 on voice
        resolve_target(registry, _body("piper-joe", "nova"))
    assert info.value.param == "voice"
    with pytest.raises(ModelNotFoundError):
        resolve_target(registry, _body("whisper-1", "alloy"))
    with pytest.raises(VoiceNotFoundError):
        resolve_target(registry, _body("tts-1", "shimmer"))  # not in this manifest's voice map


def test_voice_list_marks_missing_models_unavailable(tmp_path: Path) -> None:
    body = list_voices_of(_registry(tmp_path))
    by_id = {v.id: v for v in body.voices}
    assert set(by_id) == {"joe", "alba", "alloy", "nova"}
    assert not by_id["joe"].available and by_id["joe"].language is None  # joe.onnx does not exist
    assert (by_id["nova"].type, by_id["nova"].voice, by_id["nova"].model) == ("alias", "alba", "piper-alba")
    assert body.aliases == {"alloy": "joe", "nova": "alba"}


def test_voice_list_reads_the_packaged_voice(tmp_path: Path) -> None:
    registry = ModelRegistry(read_manifest(builtin_manifest_path()), tmp_path, RuntimeOptions())
    joe = next(v for v in list_voices_of(registry).voices if v.id == "en_US-joe-medium")
    assert joe.available and (joe.language, joe.sample_rate, joe.quality) == ("en_US", 22050, "medium")
    assert not registry.is_loaded("piper-en_US-joe-medium")  # listing never loads a model
