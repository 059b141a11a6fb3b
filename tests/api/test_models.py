"""GET /v1/models and /v1/models/{id} through the official SDK."""

from __future__ import annotations

import httpx
import openai
import pytest

EXPECTED = {
    "whisper-base": {
        "whisper-1",
        "gpt-4o-transcribe",
        "gpt-4o-mini-transcribe",
        "gpt-4o-mini-transcribe-2025-12-15",
        "gpt-transcribe",
        "gpt-4o-transcribe-diarize",
    },
    "whisper-tiny.en": set(),
    "piper-en_US-joe-medium": {"tts-1", "tts-1-hd", "gpt-4o-mini-tts", "gpt-4o-mini-tts-2025-12-15"},
}


def test_list_has_real_models_and_aliases(client: openai.OpenAI) -> None:
    models = {m.id: m for m in client.models.list()}
    for model_id, aliases in EXPECTED.items():
        assert model_id in models
        assert models[model_id].object == "model"
        assert isinstance(models[model_id].created, int)
        assert models[model_id].owned_by
        assert aliases <= set(models[model_id].model_extra["aliases"])
        for alias in aliases:
            assert models[alias].model_extra["root"] == model_id


@pytest.mark.parametrize("name,root,kind", [("whisper-1", "whisper-base", "stt"), ("whisper-base", "whisper-base", "stt"),
                                            ("tts-1", "piper-en_US-joe-medium", "tts")])
def test_retrieve_by_alias_and_id(client: openai.OpenAI, name: str, root: str, kind: str) -> None:
    model = client.models.retrieve(name)
    assert model.id == name
    assert model.model_extra["root"] == root
    assert model.model_extra["kind"] == kind


def test_unknown_model_is_404_model_not_found(client: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as info:
        client.models.retrieve("Systran/faster-whisper-large-v3")  # a '/' arrives as %2F
    assert info.value.code == "model_not_found"
    assert info.value.param == "model"
    assert info.value.status_code == 404
    assert "Systran/faster-whisper-large-v3" in info.value.message


def test_path_traversal_model_names_are_plain_404(base_url: str) -> None:
    for name in ["..%2F..%2Fetc%2Fpasswd", "%2Fetc%2Fpasswd", "a%00b"]:
        r = httpx.get(f"{base_url}/v1/models/{name}")
        assert r.status_code == 404, name
        assert r.json()["error"]["code"] == "model_not_found"


def test_health_and_ready(base_url: str) -> None:
    assert httpx.get(f"{base_url}/health").json() == {"status": "ok"}
    ready = httpx.get(f"{base_url}/ready")
    assert ready.status_code == 200
    body = ready.json()
    assert body["status"] == "ready"
    assert set(EXPECTED) <= set(body["models"])
    assert body["unavailable"] == {}


def test_speech_model_sent_to_transcriptions_says_what_it_is(client: openai.OpenAI) -> None:
    with open("tests/data/cards/001.wav", "rb") as audio:
        with pytest.raises(openai.NotFoundError) as info:
            client.audio.transcriptions.create(model="tts-1", file=audio)
    message = info.value.message
    assert info.value.code == "model_not_found" and info.value.param == "model"
    assert "'tts-1' is a speech model" in message and "/v1/audio/speech" in message
    assert "whisper-1" in message and "whisper-tiny.en" in message  # which ones to use instead


def test_transcription_model_sent_to_speech_says_what_it_is(client: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as info:
        client.audio.speech.create(model="whisper-1", voice="alloy", input="Hello.")
    message = info.value.message
    assert "'whisper-1' is a transcription model" in message and "/v1/audio/transcriptions" in message
    assert "tts-1" in message


def test_unknown_model_names_the_ones_that_exist_and_how_to_add_one(client: openai.OpenAI) -> None:
    with open("tests/data/cards/001.wav", "rb") as audio:
        with pytest.raises(openai.NotFoundError) as info:
            client.audio.transcriptions.create(model="whisper-large-v3", file=audio)
    message = info.value.message
    assert "'whisper-large-v3' does not exist" in message
    assert "whisper-base" in message and "GET /v1/models" in message and "earshot models import" in message
    assert "tts-1" not in message  # only the models this endpoint can use
