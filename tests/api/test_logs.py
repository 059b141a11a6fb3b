"""EARSHOT_LOG_FORMAT=json: every line is a JSON object; one access line per request; no keys in the log."""

from __future__ import annotations

import json
import time

import httpx

SECRET = "sk-do-not-log-0123456789"


def access_lines(server, count: int, timeout: float = 10) -> list[dict]:
    """Wait until the server wrote ``count`` access lines (log writes may trail the response)."""
    deadline = time.monotonic() + timeout
    while True:
        lines = [json.loads(line) for line in server.log().splitlines() if line.strip()]
        access = [e for e in lines if e["logger"] == "earshot.access"]
        if len(access) >= count or time.monotonic() > deadline:
            return access


def test_json_logs_with_access_lines_and_request_ids(server_factory) -> None:
    server = server_factory(env={"EARSHOT_LOG_FORMAT": "json", "EARSHOT_API_KEYS": SECRET})
    ok = httpx.get(
        f"{server.base_url}/v1/models",
        headers={"Authorization": f"Bearer {SECRET}", "x-request-id": "trace-42"},
    )
    assert ok.status_code == 200 and ok.headers["x-request-id"] == "trace-42"
    denied = httpx.get(f"{server.base_url}/v1/models/whisper-1?api_key={SECRET}")
    assert denied.status_code == 401
    scrape_denied = httpx.get(f"{server.base_url}/metrics")
    assert scrape_denied.status_code == 401
    scraped = httpx.get(f"{server.base_url}/metrics", headers={"Authorization": f"Bearer {SECRET}"})
    assert scraped.status_code == 200
    # Refused before routing, still counted under their route templates.
    for endpoint in ["/v1/models/{model}", "/metrics"]:
        sample = f'earshot_requests_total{{endpoint="{endpoint}",method="GET",model="",status="401"}} 1.0'
        assert sample in scraped.text

    access = access_lines(server, 3)
    log = server.log()
    entries = [json.loads(line) for line in log.splitlines() if line.strip()]  # every line parses
    assert all({"time", "level", "logger", "request_id", "message"} <= e.keys() for e in entries)
    assert any(e["logger"] == "server.app" and "ready" in e["message"] for e in entries)

    by_id = {e["request_id"]: e for e in access}
    first = by_id["trace-42"]
    assert first["http"]["method"] == "GET"
    assert first["http"]["path"] == "/v1/models"
    assert first["http"]["status"] == 200
    assert isinstance(first["http"]["duration_ms"], float) and first["http"]["duration_ms"] >= 0
    assert first["http"]["bytes"] == len(ok.content)
    second = by_id[denied.headers["x-request-id"]]
    assert second["http"]["status"] == 401
    assert second["http"]["path"] == "/v1/models/whisper-1"  # the query string is never logged
    assert by_id[scrape_denied.headers["x-request-id"]]["http"]["status"] == 401
    assert SECRET not in log
    assert "authorization" not in log.lower()
