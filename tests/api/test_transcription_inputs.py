"""Inputs of /v1/audio/transcriptions: every container, sniffed from bytes; the bad-input table; limits."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import openai
import pytest

from tests.support.audio import DATA, LIBRIVOX, encode, librivox_transcripts, read_samples, wav_bytes
from tests.support.server import RunningServer
from tests.support.wer import wer

pytestmark = pytest.mark.slow

TINY = "whisper-tiny.en"
CLIP = LIBRIVOX / "sense_and_sensibility_01_austen_64kb-0870.wav"  # 7.1 s, 21 words
REFERENCE = librivox_transcripts()[CLIP.stem]

CONTAINERS = {  # name: (PyAV container, codec, sample rate)
    "mp3": ("mp3", "libmp3lame", 16000),
    "ogg-opus": ("ogg", "libopus", 48000),
    "flac": ("flac", "flac", 16000),
    "m4a": ("ipod", "aac", 16000),
    "mp4": ("mp4", "aac", 16000),
    "webm": ("webm", "libopus", 48000),
    "wav-8khz": ("wav", "pcm_s16le", 8000),
    "mpeg": ("mpeg", "mp2", 16000),
}


@pytest.mark.parametrize("name", list(CONTAINERS))
def test_each_container_round_trips_as_unnamed_bytes(client: openai.OpenAI, name: str) -> None:
    container, codec, rate = CONTAINERS[name]
    data = encode(read_samples(CLIP), container, codec, rate)
    result = client.audio.transcriptions.create(model=TINY, file=data)  # sent as "upload", octet-stream
    assert wer(REFERENCE, result.text) <= 0.15, result.text


def test_misleading_name_and_content_type_are_ignored(client: openai.OpenAI) -> None:
    mp3 = encode(read_samples(CLIP), "mp3", "libmp3lame")
    result = client.audio.transcriptions.create(model=TINY, file=("notes.txt", mp3, "text/plain"))
    assert wer(REFERENCE, result.text) <= 0.15


def _post(base_url: str, data: dict[str, str], files: dict | None = None) -> httpx.Response:
    if files is None:
        files = {"file": ("clip.wav", CLIP.read_bytes(), "audio/x-wav")}
    return httpx.post(f"{base_url}/v1/audio/transcriptions", data=data, files=files, timeout=120)


BAD_INPUTS = [  # (case, form fields, file part or None for the good clip, status, param)
    ("empty file", {"model": TINY}, {"file": ("a.wav", b"")}, 400, "file"),
    ("text file", {"model": TINY}, {"file": ("a.mp3", b"just some text, no audio here\n" * 20)}, 400, "file"),
    (
        "random bytes",
        {"model": TINY},
        {"file": ("upload", np.random.default_rng(1).bytes(30000))},
        400,
        "file",
    ),
    (
        "headerless pcm",
        {"model": TINY},
        {"file": ("upload", (DATA / "goforward.raw").read_bytes())},
        400,
        "file",
    ),
    (
        "header-only wav",
        {"model": TINY},
        {"file": ("a.wav", wav_bytes(np.zeros(0, np.float32)))},
        400,
        "file",
    ),
    ("no file", {"model": TINY}, {"other": ("a.wav", b"x")}, 400, "file"),
    ("file as text field", {"model": TINY, "file": "hello"}, {"other": ("a.wav", b"x")}, 400, "file"),
    ("no model", {}, None, 400, "model"),
    ("unknown model", {"model": "whisper-huge-v9"}, None, 404, "model"),
    ("speech model", {"model": "tts-1"}, None, 404, "model"),
    ("unknown language", {"model": TINY, "language": "xx"}, None, 400, "language"),
    ("language for english-only", {"model": TINY, "language": "de"}, None, 400, "language"),
    ("temperature text", {"model": TINY, "temperature": "hot"}, None, 400, "temperature"),
    ("temperature too high", {"model": TINY, "temperature": "1.5"}, None, 400, "temperature"),
    ("temperature nan", {"model": TINY, "temperature": "nan"}, None, 400, "temperature"),
    ("response format", {"model": TINY, "response_format": "yaml"}, None, 400, "response_format"),
    (
        "srt from the diarize model",
        {"model": "gpt-4o-transcribe-diarize", "response_format": "srt"},
        None,
        400,
        "response_format",
    ),
    (
        "granularity",
        {"model": TINY, "timestamp_granularities[]": "char"},
        None,
        400,
        "timestamp_granularities",
    ),
    ("include", {"model": TINY, "include[]": "everything"}, None, 400, "include"),
    ("stream", {"model": TINY, "stream": "maybe"}, None, 400, "stream"),
    ("chunking type", {"model": TINY, "chunking_strategy[type]": "magic"}, None, 400, "chunking_strategy"),
    (
        "chunking threshold",
        {"model": TINY, "chunking_strategy[type]": "server_vad", "chunking_strategy[threshold]": "2"},
        None,
        400,
        "chunking_strategy",
    ),
    ("chunking text", {"model": TINY, "chunking_strategy": "sometimes"}, None, 400, "chunking_strategy"),
]


@pytest.mark.parametrize("case,data,files,status,param", BAD_INPUTS, ids=[c[0] for c in BAD_INPUTS])
def test_bad_input_table(
    base_url: str, case: str, data: dict, files: dict | None, status: int, param: str
) -> None:
    response = _post(base_url, data, files)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["param"] == param and error["message"] and error["type"] == "invalid_request_error"
    assert "Traceback" not in response.text


def test_json_body_instead_of_multipart_is_400(base_url: str) -> None:
    response = httpx.post(f"{base_url}/v1/audio/transcriptions", json={"model": TINY}, timeout=30)
    assert response.status_code == 400 and response.json()["error"]["param"] == "file"


def test_sdk_raises_typed_errors(client: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError):
        client.audio.transcriptions.create(model="nope", file=CLIP)
    with pytest.raises(openai.BadRequestError) as caught:
        client.audio.transcriptions.create(model=TINY, file=b"")
    assert caught.value.param == "file"


@pytest.fixture(scope="module")
def limited(
    tmp_path_factory: pytest.TempPathFactory, models_dir: Path, server_logs: Path
) -> Iterator[RunningServer]:
    """A server with small limits, batching from 10 s, and its own TMPDIR to watch for leftovers."""
    from tests.conftest import EXTERNAL_URL
    from tests.support.server import start_server

    if EXTERNAL_URL:
        pytest.skip("needs a local server with custom settings")
    tmp = tmp_path_factory.mktemp("server-tmp")
    server = start_server(
        server_logs,
        models_dir,
        env={
            "EARSHOT_MAX_AUDIO_SECONDS": "26",
            "EARSHOT_MAX_UPLOAD_BYTES": "1500000",
            "EARSHOT_BATCHED_MIN_SECONDS": "10",
            "TMPDIR": str(tmp),
        },
    )
    server.tmp = tmp  # type: ignore[attr-defined]
    yield server
    server.stop()


def test_audio_longer_than_the_limit_is_400(limited: RunningServer) -> None:
    silence = wav_bytes(np.zeros(16000 * 30, np.float32))  # 960 kB: under the body limit, over 26 s
    response = _post(limited.base_url, {"model": TINY}, {"file": ("long.wav", silence)})
    assert response.status_code == 400
    assert (
        response.json()["error"]["code"] == "audio_too_long" and response.json()["error"]["param"] == "file"
    )


def test_upload_over_the_limit_is_413(limited: RunningServer) -> None:
    response = _post(limited.base_url, {"model": TINY}, {"file": ("big.wav", b"\0" * 2_000_000)})
    assert response.status_code == 413 and response.json()["error"]["param"] == "file"
    body_limit = _post(limited.base_url, {"model": TINY}, {"file": ("huge.wav", b"\0" * (6 << 20))})
    assert body_limit.status_code == 413  # over the body limit too: the same limit in the same words
    assert response.json()["error"]["message"] == body_limit.json()["error"]["message"]
    assert "EARSHOT_MAX_UPLOAD_BYTES" in response.json()["error"]["message"]


def test_long_audio_uses_the_batched_pipeline_with_readable_segments(limited: RunningServer) -> None:
    story = wav_bytes(np.concatenate([read_samples(p) for p in sorted(LIBRIVOX.glob("*.wav"))]))
    response = _post(
        limited.base_url, {"model": TINY, "response_format": "verbose_json"}, {"file": ("story.wav", story)}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert "batched=True" in limited.log()
    assert wer(" ".join(librivox_transcripts().values()), body["text"]) <= 0.15
    segments = body["segments"]
    assert len(segments) >= 4  # rebuilt from word timings, not one 25 s block
    assert all(s["end"] - s["start"] <= 15.5 for s in segments)
    assert "".join(s["text"] for s in segments).strip() == body["text"]
    assert "words" not in body


def test_no_temporary_files_are_left_behind(limited: RunningServer) -> None:
    before = set(limited.tmp.iterdir())  # type: ignore[attr-defined]
    for data in (wav_bytes(np.zeros(16000 * 30, np.float32)), b"\0" * 1_100_000, CLIP.read_bytes()):
        _post(limited.base_url, {"model": TINY}, {"file": ("x.wav", data)})
    assert set(limited.tmp.iterdir()) <= before  # type: ignore[attr-defined]


def test_server_stays_healthy_after_bad_inputs(base_url: str, client: openai.OpenAI) -> None:
    assert httpx.get(f"{base_url}/health").status_code == 200
    assert wer(REFERENCE, client.audio.transcriptions.create(model=TINY, file=CLIP).text) <= 0.15
