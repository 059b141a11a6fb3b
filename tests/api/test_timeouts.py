"""request_timeout_seconds: a request past it is stopped (504, or 408 while its body is still arriving)."""

from __future__ import annotations

import json
import time

from tests.support.probe import HeldRequest, metric, multipart, speech_wav, wait_for


def test_request_timeout(server_factory) -> None:
    server = server_factory(env={"EARSHOT_REQUEST_TIMEOUT_SECONDS": "2", "EARSHOT_PRELOAD": "whisper-base"})
    body, content_type = multipart({"model": "whisper-base", "language": "en"}, "long.wav", speech_wav(2))

    started = time.perf_counter()
    held = HeldRequest(server.base_url, "POST", "/v1/audio/transcriptions", body, content_type)
    status, answer = held.response()
    elapsed = time.perf_counter() - started
    assert status == 504, answer
    error = json.loads(answer)["error"]
    assert error["code"] == "request_timeout" and error["type"] == "server_error"
    assert set(error) == {"message", "type", "param", "code"}
    assert 2 <= elapsed < 5, f"answered after {elapsed:.1f} s"
    # The engine is stopped too (at the end of the whisper window it was in), and the slot freed.
    wait_for(lambda: metric(server.base_url, "earshot_queue_running", model="whisper-base") == 0, 30)
    wait_for(lambda: metric(server.base_url, "earshot_requests_cancelled_total", reason="timeout") == 1, 10)

    # A client that stalls mid-upload is told so (408) instead of holding a connection forever.
    slow = HeldRequest(server.base_url, "POST", "/v1/audio/transcriptions", body[:1000], content_type,
                       declared_length=len(body))
    status, answer = slow.response()
    assert status == 408, answer
    assert json.loads(answer)["error"]["code"] == "request_timeout"
