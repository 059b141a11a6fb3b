"""Hostile input never gets a 5xx: the malformed-audio corpus, and odd text for speech.

Every file in ``tests/data/bad/`` (made by ``scripts/make_bad_corpus.py``) has its expected answer in
``cases.json``: a 4xx naming ``param: file`` (with an error code where one is fixed), or a 200 whose
transcript holds the given words. Each must be answered in under 30 s: a guard against hangs and against
decoding hours of audio (minutes), not a speed test (speed is measured by scripts/bench.py).
"""

from __future__ import annotations

import io
import json
import re
import time
from pathlib import Path

import av
import httpx
import pytest

from tests.support.fuzz import error_shape_problem

BAD = Path(__file__).resolve().parents[1] / "data" / "bad"
CASES: dict[str, dict] = json.loads((BAD / "cases.json").read_text())
MODEL = "whisper-1"  # whisper base: tiny.en hears "ill disposed" as "old sposed"
LIMIT_SECONDS = 30.0  # a bound for hangs; on 2 loaded cores a real clip takes up to ~10 s


def words(text: str) -> list[str]:
    """Lower-case words without punctuation ("ill-disposed" -> "ill", "disposed")."""
    return re.sub(r"[^a-z0-9']+", " ", text.lower()).split()


def assert_openai_error(response: httpx.Response, status: int | None = None) -> dict:
    """The response is an OpenAI-shaped error (of ``status`` if given); returns the error object."""
    if status is not None:
        assert response.status_code == status, response.text
    assert 400 <= response.status_code < 500, response.text
    problem = error_shape_problem(response)
    assert problem is None, problem
    return response.json()["error"]


def test_corpus_covers_the_issue() -> None:
    kinds = ["truncated.mp3", "truncated.ogg", "truncated.flac", "truncated.wav", "random.mp3",
             "zero-bytes.wav", "header-only.wav", "huge-declared-length.wav", "zero-samples.flac",
             "stereo-8khz.wav", "stereo-96khz.flac", "hours-of-silence.opus", "text-named.mp3",
             "video-only.mp4"]  # fmt: skip
    assert set(kinds) <= set(CASES)
    assert all((BAD / name).is_file() for name in CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_malformed_audio(base_url: str, name: str) -> None:
    expect = CASES[name]
    data = (BAD / name).read_bytes()
    started = time.perf_counter()
    response = httpx.post(
        f"{base_url}/v1/audio/transcriptions",
        files={"file": (name, data)},
        data={"model": MODEL, "response_format": "json"},
        timeout=60,
    )
    elapsed = time.perf_counter() - started
    assert response.status_code < 500, response.text
    assert elapsed < LIMIT_SECONDS, f"{name} took {elapsed:.1f} s"
    if expect["status"] == 200:
        assert response.status_code == 200, response.text
        got = words(response.json()["text"])
        missing = [w for w in expect["words"] if w not in got]
        assert not missing, f"{name}: {missing} not in {got}"
    else:
        error = assert_openai_error(response, expect["status"])
        assert error["param"] == "file", error
        if "code" in expect:
            assert error["code"] == expect["code"], error


def test_upload_filename_is_never_used_as_a_path(base_url: str) -> None:
    # A client-chosen name with path parts is only a label: the upload is decoded from memory.
    data = (BAD / "stereo-8khz.wav").read_bytes()
    for name in ("../../../../etc/passwd", "/etc/passwd", "a\x00b.wav", "..\\..\\win.ini"):
        response = httpx.post(
            f"{base_url}/v1/audio/transcriptions",
            files={"file": (name, data)},
            data={"model": "whisper-tiny.en"},
            timeout=60,
        )
        assert response.status_code == 200, (name, response.text)
        assert "young" in words(response.json()["text"])


# -- speech --------------------------------------------------------------------------------------
HOSTILE_TEXT = {
    "control-characters": "Hello\x00 world\x07\x1b[31m red\x7f\x08 and \x0c done.",
    "only-punctuation": "?!... ,;: -- !!! ...",
    "emoji": "\U0001f600" * 4096,
    "rtl": "مرحبا بالعالم. שלום עולם. hello \u202eevil\u202c text.",
    "ssml-like": '<speak><prosody rate="x-fast">Hello <break time="30s"/> there</prosody></speak>',
    "zero-width-only": "\u200b\u200d\ufeff\u2060",
    "lone-surrogate-escape": "before \\ud800 after",
}


@pytest.mark.parametrize("kind", sorted(HOSTILE_TEXT))
def test_hostile_speech_input(base_url: str, kind: str) -> None:
    """200 with audio that decodes, or a 400 naming ``input``; never a 5xx. First bytes within 30 s."""
    body = {"model": "tts-1", "voice": "alloy", "input": HOSTILE_TEXT[kind], "response_format": "wav"}
    started = time.perf_counter()
    with httpx.stream("POST", f"{base_url}/v1/audio/speech", json=body, timeout=60) as response:
        assert response.status_code < 500
        if response.status_code != 200:
            response.read()
            error = assert_openai_error(response, 400)
            assert error["param"] == "input", error
            return
        assert response.headers["content-type"].startswith("audio/")
        # Long inputs (4096 emoji speak for many minutes): the first second of audio proves it works;
        # closing early is a client disconnect the server must shrug off.
        head = b""
        for chunk in response.iter_bytes():
            head += chunk
            if len(head) >= 48_000 + 44:
                break
        elapsed = time.perf_counter() - started
    assert elapsed < LIMIT_SECONDS, f"{kind}: first audio after {elapsed:.1f} s"
    assert head[:4] == b"RIFF" and len(head) > 44
    with av.open(io.BytesIO(head)) as container:
        samples = sum(frame.samples for frame in container.decode(audio=0))
    assert samples > 0


def test_speech_still_works_after_hostile_input(base_url: str) -> None:
    body = {"model": "tts-1", "voice": "alloy", "input": "Still here.", "response_format": "wav"}
    response = httpx.post(f"{base_url}/v1/audio/speech", json=body, timeout=60)
    assert response.status_code == 200
    assert response.content[:4] == b"RIFF"
