"""The OpenAI error contract on routes that exist in every build."""

from __future__ import annotations

import json
import socket

import httpx


def _assert_openai_error(response: httpx.Response, status: int, code: str | None) -> dict:
    assert response.status_code == status
    assert response.headers["content-type"].startswith("application/json")
    error = response.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert error["message"]
    assert error["code"] == code
    assert response.headers.get("x-request-id")
    return error


def test_unknown_route_is_openai_404(base_url: str) -> None:
    _assert_openai_error(httpx.get(f"{base_url}/v1/nothing-here"), 404, "unknown_url")


def test_wrong_method_is_openai_405(base_url: str) -> None:
    _assert_openai_error(httpx.delete(f"{base_url}/health"), 405, "method_not_allowed")


def test_request_id_is_echoed(base_url: str) -> None:
    r = httpx.get(f"{base_url}/health", headers={"x-request-id": "abc-123"})
    assert r.headers["x-request-id"] == "abc-123"
    generated = httpx.get(f"{base_url}/health").headers["x-request-id"]
    assert generated.startswith("req_")


def test_body_over_limit_is_413_before_reading_it(base_url: str) -> None:
    # Declares a 1 GiB body and sends none of it: the server must answer from the header alone.
    host, port = base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(
            b"POST /v1/audio/transcriptions HTTP/1.1\r\nHost: x\r\n"
            b"Content-Type: multipart/form-data; boundary=x\r\nContent-Length: 1073741824\r\n\r\n"
        )
        raw = b""
        while b"\r\n\r\n" not in raw or not raw.rstrip().endswith(b"}"):
            chunk = sock.recv(65536)
            if not chunk:
                break
            raw += chunk
    head, _, body = raw.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413")
    error = json.loads(body)["error"]
    assert error["code"] == "request_too_large" and error["param"] == "file"
    assert "maximum of 25.0 MiB (26214400 bytes)" in error["message"]  # the setting, not the body allowance
    assert "EARSHOT_MAX_UPLOAD_BYTES" in error["message"]
