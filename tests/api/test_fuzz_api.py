"""Schemathesis (fast profile) against the server's own /openapi.json: no 5xx, errors in OpenAI's shape.

Every operation is fuzzed with schema-valid and schema-violating inputs, a few cases each; the ≥ 1,000-case
run is ``scripts/fuzz_api.py``.
"""

from __future__ import annotations

from tests.support.fuzz import fuzz, operations
from tests.support.probe import speech_wav

CASES_PER_OPERATION = 6


def test_schema_lists_every_endpoint(base_url: str) -> None:
    listed = set(operations(base_url))
    assert {"POST /v1/audio/transcriptions", "POST /v1/audio/translations", "POST /v1/audio/speech",
            "GET /v1/models", "GET /v1/models/{model}", "GET /health", "GET /ready"} <= listed  # fmt: skip


def test_fuzz_every_operation(base_url: str) -> None:
    report = fuzz(base_url, CASES_PER_OPERATION, seed=1, audio=speech_wav()[: 44 + 16000 * 2 * 2])
    assert report.total >= 30, report.summary()
    assert report.statuses[200] >= 4, report.summary()  # valid requests ran, not only rejections
    assert not report.failures, report.summary()
