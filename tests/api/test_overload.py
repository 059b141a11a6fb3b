"""Bounded load and client disconnects: 429 when the queue is full, and work stops for clients that left.

One server with one slot and a one-place queue per model (``EARSHOT_MAX_CONCURRENCY=1``,
``EARSHOT_MAX_QUEUE=1``); whisper base and the piper voice are preloaded so requests start at once.
"Work stopped" is observed from outside: the model's running/waiting gauges on /metrics drop to 0, the
cancelled-requests counter rises, the engine thread logs that it stopped, and the server process burns
(almost) no CPU afterwards.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from tests.support.fuzz import error_shape_problem
from tests.support.probe import HeldRequest, cpu_seconds, metric, multipart, speech_wav, wait_for
from tests.support.server import RunningServer

STT = "whisper-base"
TTS = "piper-en_US-joe-medium"
LONG_TEXT = " ".join(f"This is sentence number {i} of a long text that keeps the voice busy."
                     for i in range(50))


@pytest.fixture(scope="module")
def busy_server(tmp_path_factory: pytest.TempPathFactory, models_dir, server_logs) -> Iterator[RunningServer]:
    from tests.conftest import EXTERNAL_URL
    from tests.support.server import start_server

    if EXTERNAL_URL:
        pytest.skip("needs a local server with custom settings")
    env = {
        "EARSHOT_MAX_CONCURRENCY": "1",
        "EARSHOT_MAX_QUEUE": "1",
        "EARSHOT_PRELOAD": f"{STT},{TTS}",
        "EARSHOT_CPU_THREADS": "2",
    }
    server = start_server(server_logs, models_dir, env=env)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def long_upload() -> tuple[bytes, str]:
    """~50 s of speech for whisper base: several seconds of work on a CPU."""
    return multipart({"model": STT, "language": "en"}, "long.wav", speech_wav(repeats=2))


def running(server: RunningServer, model: str) -> float:
    return metric(server.base_url, "earshot_queue_running", model=model)


def waiting(server: RunningServer, model: str) -> float:
    return metric(server.base_url, "earshot_queue_waiting", model=model)


def cancelled(server: RunningServer) -> float:
    return metric(server.base_url, "earshot_requests_cancelled_total", reason="client disconnected")


def assert_idle_cpu(server: RunningServer, seconds: float = 1.5, limit: float = 0.4) -> None:
    """The server process uses less than ``limit`` CPU-seconds over ``seconds``: nothing is left running."""
    before = cpu_seconds(server.process.pid)
    time.sleep(seconds)
    used = cpu_seconds(server.process.pid) - before
    assert used < limit, f"server still busy: {used:.2f} CPU-s in {seconds} s"


def test_full_queue_is_429_and_probes_answer_at_once(busy_server: RunningServer, long_upload) -> None:
    body, content_type = long_upload
    first = HeldRequest(busy_server.base_url, "POST", "/v1/audio/transcriptions", body, content_type)
    second: HeldRequest | None = None
    try:
        wait_for(lambda: running(busy_server, STT) == 1, 30)
        second = HeldRequest(busy_server.base_url, "POST", "/v1/audio/transcriptions", body, content_type)
        wait_for(lambda: waiting(busy_server, STT) == 1, 30)

        rejected = httpx.post(
            f"{busy_server.base_url}/v1/audio/transcriptions",
            files={"file": ("a.wav", speech_wav()[: 16000 * 2 * 3])},
            data={"model": "whisper-1"},  # an alias: the limit is per model, whatever the name
            timeout=30,
        )
        assert rejected.status_code == 429, rejected.text
        assert error_shape_problem(rejected) is None
        error = rejected.json()["error"]
        assert error["code"] == "rate_limit_exceeded" and error["type"] == "rate_limit_exceeded"
        retry_after = rejected.headers["retry-after"]
        assert retry_after.isdigit() and 0 < int(retry_after) <= 120  # the SDK honours 0 < x <= 120

        for path in ("/health", "/ready"):
            started = time.perf_counter()
            assert httpx.get(f"{busy_server.base_url}{path}", timeout=5).status_code == 200
            assert time.perf_counter() - started < 0.5, f"{path} was slow under full load"

        # A queued client that leaves gives its place back at once.
        second.hang_up()
        second = None
        wait_for(lambda: waiting(busy_server, STT) == 0, 3)
    finally:
        for held in (first, second):
            if held is not None:
                held.hang_up()
    wait_for(lambda: running(busy_server, STT) == 0, 15)


def test_disconnect_while_transcribing_stops_the_engine(busy_server: RunningServer, long_upload) -> None:
    body, content_type = long_upload
    before = cancelled(busy_server)
    held = HeldRequest(busy_server.base_url, "POST", "/v1/audio/transcriptions", body, content_type)
    wait_for(lambda: running(busy_server, STT) == 1, 30)
    time.sleep(1.0)  # decoding done, whisper at work
    held.hang_up()
    # Whisper stops at the end of the 30-s window it is decoding (one CTranslate2 call cannot be
    # interrupted): ~1-4 s on two idle cores. The slot is held until the engine has really stopped.
    took = wait_for(lambda: running(busy_server, STT) == 0, 30)
    assert took < 20, f"the slot was held {took:.1f} s after the client left"
    assert cancelled(busy_server) == before + 1
    wait_for(lambda: "engine work cancelled" in busy_server.log(), 5)
    assert_idle_cpu(busy_server)


def test_disconnect_while_streaming_speech_stops_synthesis(busy_server: RunningServer) -> None:
    before = cancelled(busy_server)
    lines_before = busy_server.log().count("engine work cancelled")
    body = {"model": "tts-1", "voice": "alloy", "input": LONG_TEXT, "response_format": "pcm"}
    with httpx.stream("POST", f"{busy_server.base_url}/v1/audio/speech", json=body, timeout=60) as response:
        assert response.status_code == 200
        next(response.iter_bytes())  # audio is flowing
    took = wait_for(lambda: running(busy_server, TTS) == 0, 10)
    assert took < 3, f"synthesis went on {took:.1f} s after the client left"
    assert cancelled(busy_server) == before + 1
    wait_for(lambda: busy_server.log().count("engine work cancelled") > lines_before, 5)
    assert_idle_cpu(busy_server)


def test_disconnect_during_upload_leaves_nothing_behind(busy_server: RunningServer, long_upload) -> None:
    body, content_type = long_upload
    held = HeldRequest(busy_server.base_url, "POST", "/v1/audio/transcriptions", body[: len(body) // 3],
                       content_type, declared_length=len(body))
    time.sleep(0.5)
    held.hang_up()
    time.sleep(0.5)
    assert running(busy_server, STT) == 0 and waiting(busy_server, STT) == 0
    assert "Traceback" not in busy_server.log()
    ok = httpx.post(
        f"{busy_server.base_url}/v1/audio/transcriptions",
        files={"file": ("a.wav", speech_wav()[: 16000 * 2 * 4])},
        data={"model": STT, "language": "en"},
        timeout=60,
    )
    assert ok.status_code == 200, ok.text
