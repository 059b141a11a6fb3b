"""Model and voice names never reach the filesystem: path-like names are unknown names (404 / 400).

The strongest case uses paths that exist: the absolute path of a real whisper model directory and of
the real piper voice file. A server that looked names up on disk would load them; Earshot resolves
names only against its manifest, so they are as unknown as any other string.
"""

from __future__ import annotations

from urllib.parse import quote

import httpx
import pytest

from engines.manifest import builtin_manifest_path, read_manifest
from engines.materialize import package_file
from tests.support.fuzz import error_shape_problem
from tests.support.probe import speech_wav


def _real_paths() -> list[str]:
    models = {m.id: m for m in read_manifest(builtin_manifest_path()).models}
    tiny = models["whisper-tiny.en"].files[0]
    voice = next(f for f in models["piper-en_US-joe-medium"].files if f.name.endswith(".onnx"))
    tiny_file = package_file("whisper-tiny.en", tiny.source)  # type: ignore[arg-type]
    voice_file = package_file("piper-en_US-joe-medium", voice.source)  # type: ignore[arg-type]
    return [str(tiny_file.parent), str(voice_file), str(voice_file.with_suffix(""))]


HOSTILE = [
    "../../../../etc/passwd",
    "../models/whisper-base",
    "/etc/passwd",
    "whisper-base/../whisper-base",
    "whisper-base\x00",
    "a\x00/../../etc/passwd",
    "..",
    "~/.ssh/id_rsa",
    "C:\\Windows\\win.ini",
    "file:///etc/passwd",
    *_real_paths(),
]
CLIP = speech_wav()[: 44 + 16000 * 2]


def _error(response: httpx.Response, status: int, param: str | None) -> None:
    assert response.status_code == status, response.text
    assert error_shape_problem(response) is None
    assert response.json()["error"]["param"] == param


@pytest.mark.parametrize("name", HOSTILE, ids=range(len(HOSTILE)))
def test_model_lookup(base_url: str, name: str) -> None:
    response = httpx.get(f"{base_url}/v1/models/{quote(name, safe='')}", timeout=10)
    assert response.status_code in (400, 404), response.text  # %00 may be refused before routing
    assert error_shape_problem(response) is None


@pytest.mark.parametrize("name", HOSTILE, ids=range(len(HOSTILE)))
def test_transcription_model(base_url: str, name: str) -> None:
    response = httpx.post(
        f"{base_url}/v1/audio/transcriptions", files={"file": ("a.wav", CLIP)}, data={"model": name},
        timeout=30,
    )
    _error(response, 404, "model")


@pytest.mark.parametrize("name", HOSTILE, ids=range(len(HOSTILE)))
def test_speech_model_and_voice(base_url: str, name: str) -> None:
    url = f"{base_url}/v1/audio/speech"
    bad_model = httpx.post(url, json={"model": name, "voice": "alloy", "input": "hi"}, timeout=30)
    _error(bad_model, 404, "model")
    bad_voice = httpx.post(url, json={"model": "tts-1", "voice": name, "input": "hi"}, timeout=30)
    _error(bad_voice, 400, "voice")
    as_object = {"model": "tts-1", "voice": {"id": name}, "input": "hi"}
    bad_voice_object = httpx.post(url, json=as_object, timeout=30)
    _error(bad_voice_object, 400, "voice")
