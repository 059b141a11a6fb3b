"""SIGTERM: stop accepting, finish in-flight requests (bounded), exit 0."""

from __future__ import annotations

import json
import signal

import httpx

from tests.support.probe import HeldRequest, metric, multipart, speech_wav, wait_for


def test_sigterm_exits_zero(server_factory) -> None:
    server = server_factory()
    assert httpx.get(f"{server.base_url}/health").status_code == 200
    assert server.stop() == 0
    assert "Shutting down" in server.log() or "Finished server process" in server.log()


def test_sigterm_drains_an_in_flight_transcription(server_factory) -> None:
    """SIGTERM mid-request: new connections are refused, the running request still gets its 200, exit 0."""
    server = server_factory(env={"EARSHOT_PRELOAD": "whisper-base"})
    body, content_type = multipart({"model": "whisper-base", "language": "en"}, "clip.wav", speech_wav())
    held = HeldRequest(server.base_url, "POST", "/v1/audio/transcriptions", body, content_type)
    wait_for(lambda: metric(server.base_url, "earshot_queue_running", model="whisper-base") == 1, 30)
    server.process.send_signal(signal.SIGTERM)

    def refused() -> bool:
        try:
            httpx.get(f"{server.base_url}/health", timeout=1)
        except httpx.ConnectError:
            return True
        except httpx.HTTPError:
            return False
        return False

    wait_for(refused, 5)  # stopped accepting while the transcription still runs
    assert server.process.poll() is None
    status, answer = held.response()
    assert status == 200, answer
    text = json.loads(answer)["text"].lower()
    assert "dashwood" in text and "amiable" in text  # the whole 24.7 s, not a cut-short transcript
    assert server.process.wait(60) == 0
