"""POST /v1/audio/speech and GET /v1/audio/voices against a real server with the real piper voice.

Most tests use one server started with piper's noise at 0, so the same request gives the same bytes
and durations can be compared across formats and speeds. The error tests run against ``client``
(any deployment). Inputs are kept short: every synthesis costs real CPU.
"""

from __future__ import annotations

import base64
import io
import json
import re
import time
from collections.abc import Iterator
from pathlib import Path

import av
import httpx
import openai
import pytest

from tests.conftest import EXTERNAL_URL
from tests.support.server import RunningServer, start_server

pytestmark = pytest.mark.slow

OPENAI_VOICES = "alloy ash ballad coral echo fable nova onyx sage shimmer verse marin cedar".split()
TEXT = "The birch canoe slid on the smooth planks. Glue the sheet to the dark blue background."
PARAGRAPH = (
    "The museum opens at nine in the morning. Visitors can buy their tickets at the front desk. "
    "The garden behind the building is full of roses. Children love the old steam train in the main hall. "
    "Please remember to take your coat when you leave."
)
TEN_SENTENCES = " ".join(
    f"This is sentence {word}." for word in "one two three four five six seven eight nine ten".split()
)
MEDIA_TYPES = {
    "mp3": "audio/mpeg",
    "opus": "audio/ogg",
    "aac": "audio/aac",
    "flac": "audio/flac",
    "wav": "audio/wav",
    "pcm": "audio/pcm",
}


@pytest.fixture(scope="module")
def quiet_server(models_dir: Path, server_logs: Path) -> Iterator[RunningServer]:
    """A server with piper's noise at 0 (bit-identical output) and per-sentence debug logs."""
    if EXTERNAL_URL:
        pytest.skip("needs a local server with deterministic synthesis")
    env = {"EARSHOT_TTS_NOISE_SCALE": "0", "EARSHOT_TTS_NOISE_W_SCALE": "0", "EARSHOT_LOG_LEVEL": "debug"}
    server = start_server(server_logs, models_dir, env=env)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def quiet(quiet_server: RunningServer) -> openai.OpenAI:
    return openai.OpenAI(
        base_url=f"{quiet_server.base_url}/v1", api_key="sk-unused", max_retries=0, timeout=300
    )


def speak(client: openai.OpenAI, text: str = TEXT, **kw: object) -> bytes:
    kw.setdefault("model", "tts-1")
    kw.setdefault("voice", "alloy")
    return client.audio.speech.create(input=text, **kw).content  # type: ignore[arg-type]


def seconds(data: bytes, fmt: str) -> float:
    """Duration of encoded audio, by decoding every frame with PyAV (pcm: 24 kHz s16le mono)."""
    if fmt == "pcm":
        return len(data) / 2 / 24000
    with av.open(io.BytesIO(data)) as container:
        samples, rate = 0, 0
        for frame in container.decode(audio=0):
            samples, rate = samples + frame.samples, frame.sample_rate
    assert rate, f"{fmt}: no audio decoded"
    return samples / rate


@pytest.fixture(scope="module")
def reference_wav(quiet: openai.OpenAI) -> bytes:
    return speak(quiet, response_format="wav")


# -- formats ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", ["mp3", "opus", "aac", "flac", "pcm"])
def test_every_format_decodes_to_the_wav_duration(
    quiet_server: RunningServer, reference_wav: bytes, fmt: str
) -> None:
    response = httpx.post(
        f"{quiet_server.base_url}/v1/audio/speech",
        json={"model": "tts-1", "input": TEXT, "voice": "alloy", "response_format": fmt},
        timeout=120,
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(MEDIA_TYPES[fmt])
    assert response.headers.get("transfer-encoding") == "chunked"
    expected = seconds(reference_wav, "wav")
    got = seconds(response.content, fmt)
    assert expected > 3.0
    assert abs(got - expected) <= 0.05, (fmt, expected, got)
    assert got >= expected - 0.001, f"{fmt} lost its tail"


def test_pcm_is_the_wav_payload_at_24khz(quiet: openai.OpenAI, reference_wav: bytes) -> None:
    pcm = speak(quiet, response_format="pcm")
    assert reference_wav[:4] == b"RIFF" and reference_wav[24:28] == (24000).to_bytes(4, "little")
    assert len(pcm) == round(2 * 24000 * seconds(reference_wav, "wav"))
    assert pcm == reference_wav[44:]  # also: noise 0 makes synthesis bit-identical across requests


def test_sse_deltas_concatenate_to_the_same_audio(quiet_server: RunningServer, quiet: openai.OpenAI) -> None:
    mp3 = speak(quiet, response_format="mp3")
    response = httpx.post(
        f"{quiet_server.base_url}/v1/audio/speech",
        json={"model": "gpt-4o-mini-tts", "input": TEXT, "voice": "alloy", "stream_format": "sse"},
        timeout=120,
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    assert "\n\n" in response.text and all(
        line.startswith("data: ") for line in response.text.splitlines() if line
    )
    events = [json.loads(line[6:]) for line in response.text.splitlines() if line.startswith("data: ")]
    *deltas, done = events
    assert len(deltas) >= 2 and all(e["type"] == "speech.audio.delta" for e in deltas)
    audio = b"".join(base64.b64decode(e["audio"]) for e in deltas)
    assert audio == mp3
    assert abs(seconds(audio, "mp3") - seconds(mp3, "mp3")) <= 0.05
    assert done["type"] == "speech.audio.done"
    usage = done["usage"]
    assert usage["input_tokens"] > 0 and usage["output_tokens"] > 0
    assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"]


@pytest.mark.parametrize("speed,ratio", [(2.0, 0.5), (0.5, 2.0)])
def test_speed_scales_the_duration(
    quiet: openai.OpenAI, reference_wav: bytes, speed: float, ratio: float
) -> None:
    normal = seconds(reference_wav, "wav")
    got = seconds(speak(quiet, response_format="pcm", speed=speed), "pcm")
    assert got == pytest.approx(normal * ratio, rel=0.15)


# -- voices ----------------------------------------------------------------------------------------
def test_every_openai_voice_name_and_form_works(quiet: openai.OpenAI) -> None:
    reference = speak(quiet, "Hi there.", response_format="pcm", voice="en_US-joe-medium")
    assert len(reference) > 24000  # more than half a second of speech
    for voice in [*OPENAI_VOICES, {"id": "alloy"}, {"id": "en_US-joe-medium"}]:
        # today every name maps to the one packaged voice, so every answer is the same audio
        assert speak(quiet, "Hi there.", response_format="pcm", voice=voice) == reference, voice


def test_voices_lists_local_voices_and_the_openai_names(client: openai.OpenAI, base_url: str) -> None:
    body = httpx.get(
        f"{base_url}/v1/audio/voices", headers={"Authorization": f"Bearer {client.api_key}"}
    ).json()
    by_id = {v["id"]: v for v in body["voices"]}
    local = by_id["en_US-joe-medium"]
    assert local["type"] == "local" and local["model"] == "piper-en_US-joe-medium"
    assert local["language"] == "en_US" and local["name"]
    assert body["aliases"] == {name: "en_US-joe-medium" for name in OPENAI_VOICES}
    for name in OPENAI_VOICES:
        assert by_id[name]["type"] == "alias" and by_id[name]["voice"] == "en_US-joe-medium"


def test_optional_fields_accept_null_and_unknown_keys_are_ignored(quiet_server: RunningServer) -> None:
    body = {
        "model": "tts-1-hd",
        "input": "Okay.",
        "voice": "nova",
        "instructions": "Speak like a pirate.",  # accepted, and ignored by piper
        "response_format": None,
        "speed": None,
        "stream_format": None,
        "some_future_option": {"x": 1},
    }
    response = httpx.post(f"{quiet_server.base_url}/v1/audio/speech", json=body, timeout=120)
    assert response.status_code == 200 and response.headers["content-type"] == "audio/mpeg"
    assert seconds(response.content, "mp3") > 0.3


# -- streaming -------------------------------------------------------------------------------------
def _log_lines(server: RunningServer, request_id: str) -> list[str]:
    return [line for line in server.log().splitlines() if f"[{request_id}]" in line]


@pytest.mark.parametrize("stream_format", ["audio", "sse"])
def test_first_bytes_go_out_before_the_last_sentence_is_made(
    quiet_server: RunningServer, stream_format: str
) -> None:
    request_id = f"speech-first-bytes-{stream_format}"
    body = {"model": "tts-1", "input": TEN_SENTENCES, "voice": "alloy", "response_format": "pcm"}
    body["stream_format"] = stream_format
    pieces: list[bytes] = []
    with httpx.stream(
        "POST",
        f"{quiet_server.base_url}/v1/audio/speech",
        json=body,
        headers={"x-request-id": request_id},
        timeout=120,
    ) as response:
        assert response.status_code == 200
        pieces = list(response.iter_raw())
    lines = _log_lines(quiet_server, request_id)
    made = [i for i, line in enumerate(lines) if re.search(r"sentence \d+ synthesised", line)]
    sent = [i for i, line in enumerate(lines) if "first audio bytes sent" in line]
    assert len(made) == 10 and len(sent) == 1
    # The worker is at most a few sentences ahead of the socket (a queue of 2): the first bytes were
    # on the wire before sentence 10 existed.
    assert sent[0] < made[-1]
    assert sum(1 for i in made if i < sent[0]) <= 4
    if stream_format == "sse":
        events = b"".join(pieces).decode().split("\n\n")
        deltas = [e for e in events if '"speech.audio.delta"' in e]
        assert len(deltas) >= 10  # one per sentence, plus the flushed tail
    else:
        assert len(pieces) > 1


def test_disconnect_stops_synthesis_and_frees_the_model(
    quiet_server: RunningServer, quiet: openai.OpenAI
) -> None:
    request_id = "speech-disconnect"
    text = " ".join(f"Sentence number {i} goes on for a little while." for i in range(1, 41))
    with httpx.stream(
        "POST",
        f"{quiet_server.base_url}/v1/audio/speech",
        json={"model": "tts-1", "input": text, "voice": "alloy", "response_format": "pcm"},
        headers={"x-request-id": request_id},
        timeout=120,
    ) as response:
        assert response.status_code == 200
        next(response.iter_raw())
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        lines = _log_lines(quiet_server, request_id)
        # piper notices between sentences, or the worker stops while handing a chunk over
        if any("synthesis cancelled" in line or "engine work cancelled" in line for line in lines):
            break
        time.sleep(0.2)
    else:
        pytest.fail("synthesis was not cancelled after the client went away")
    made = [line for line in lines if re.search(r"sentence \d+ synthesised", line)]
    assert len(made) < 40
    # the admission slot (1 per model) was released: the next request is served
    assert len(speak(quiet, "Next.", response_format="pcm")) > 0


# -- round trip ------------------------------------------------------------------------------------
def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower())


def word_error_rate(reference: str, hypothesis: str) -> float:
    ref, hyp = _words(reference), _words(hypothesis)
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        prev, row[0] = row[0], i
        for j, h in enumerate(hyp, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (r != h))
    return row[-1] / max(1, len(ref))


def test_round_trip_through_whisper_base(quiet: openai.OpenAI) -> None:
    wav = speak(quiet, PARAGRAPH, response_format="wav")
    result = quiet.audio.transcriptions.create(model="whisper-1", file=("speech.wav", wav), language="en")
    assert word_error_rate(PARAGRAPH, result.text) <= 0.05, result.text


# -- errors (any deployment) -----------------------------------------------------------------------
@pytest.mark.parametrize(
    "overrides,status,param",
    [
        ({"input": ""}, 400, "input"),
        ({"input": "   "}, 400, "input"),
        ({"input": "x" * 4097}, 400, "input"),
        ({"speed": 0.1}, 400, "speed"),
        ({"speed": 5}, 400, "speed"),
        ({"voice": "nobody"}, 400, "voice"),
        ({"voice": {"name": "alloy"}}, 400, "voice"),
        ({"response_format": "ogg"}, 400, "response_format"),
        ({"stream_format": "chunks"}, 400, "stream_format"),
        ({"instructions": "x" * 4097}, 400, "instructions"),
        ({"model": "no-such-model"}, 404, "model"),
        ({"model": "whisper-1"}, 404, "model"),  # a transcription model cannot speak
    ],
)
def test_bad_requests_name_the_param(client: openai.OpenAI, overrides: dict, status: int, param: str) -> None:
    kw: dict = {"model": "tts-1", "input": "Hello.", "voice": "alloy"}
    kw.update(overrides)
    with pytest.raises(openai.APIStatusError) as info:
        client.audio.speech.create(**kw)
    assert info.value.status_code == status
    assert info.value.param == param
    assert isinstance(info.value.body, dict) and info.value.body["message"]


def test_malformed_json_is_a_400(base_url: str, client: openai.OpenAI) -> None:
    response = httpx.post(
        f"{base_url}/v1/audio/speech",
        content=b'{"model": "tts-1", "input": "Hello.",',
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {client.api_key}"},
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_json"
