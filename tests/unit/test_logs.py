"""The JSON log formatter: one parseable object per line with the request id, extras and exceptions."""

from __future__ import annotations

import json
import logging
import sys

from server.context import RequestIdFilter, request_id
from server.logs import JSONFormatter


def record(message: str, *args: object, exc: bool = False, **extra: object) -> logging.LogRecord:
    exc_info = None
    if exc:
        try:
            raise ValueError("boom")
        except ValueError:
            exc_info = sys.exc_info()
    rec = logging.getLogger("earshot.test").makeRecord(
        "earshot.test", logging.WARNING, __file__, 1, message, args, exc_info, extra=extra
    )
    RequestIdFilter().filter(rec)
    return rec


def test_json_line_has_fields_request_id_and_extras() -> None:
    token = request_id.set("req_abc")
    try:
        line = JSONFormatter().format(record("served %s in %d ms", "x", 5, http={"status": 200}))
    finally:
        request_id.reset(token)
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["message"] == "served x in 5 ms"
    assert entry["level"] == "warning"
    assert entry["logger"] == "earshot.test"
    assert entry["request_id"] == "req_abc"
    assert entry["http"] == {"status": 200}
    assert entry["time"].endswith("+00:00")
    assert "args" not in entry and "msg" not in entry


def test_json_line_without_request_and_with_exception() -> None:
    entry = json.loads(JSONFormatter().format(record("failed\nbadly", exc=True)))
    assert entry["request_id"] == "-"
    assert entry["message"] == "failed\nbadly"
    assert "ValueError: boom" in entry["exception"]
