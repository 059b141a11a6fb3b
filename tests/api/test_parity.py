"""Same options, same words: the server's text equals raw faster-whisper's (the CI part of the parity set).

Each case goes through the real server with the official openai SDK and through a plain
``WhisperModel`` loaded from the same files, with the options the server documents for the request.
The whole set (87 cases, 32 clips) is ``scripts/parity.py``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import openai
import pytest

from server.settings import Settings
from tests.conftest import EXTERNAL_URL
from tests.support import parity

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(bool(EXTERNAL_URL), reason="needs the server's own model files to compare with"),
]

CASES = [case for case in parity.cases() if case.ci]


@pytest.fixture(scope="module")
def raw_models(client: openai.OpenAI, models_dir: Path) -> dict[str, Any]:
    client.models.list()  # the session server is up, so the models are materialised in models_dir
    return {m: parity.load_raw(p, 2) for m, p in parity.model_paths(models_dir).items()}


@pytest.fixture(scope="module")
def settings() -> Settings:
    """The server's defaults (the session server runs on them), read without the environment."""
    saved = {k: os.environ.pop(k) for k in list(os.environ) if k.startswith("EARSHOT_")}
    try:
        return Settings()
    finally:
        os.environ.update(saved)


def test_the_ci_part_covers_each_kind_of_case() -> None:
    assert len(parity.cases()) >= 60 and len({c.clip for c in parity.cases()}) >= 20
    assert {c.model for c in CASES} == {"whisper-base", "whisper-tiny.en"}
    assert {c.task for c in CASES} == {"transcribe", "translate"}
    assert any(c.language for c in CASES) and any(c.language is None for c in CASES)
    assert any(c.logprobs for c in CASES)
    assert any(parity.audio(c.clip).shape[0] > 30 * 16000 for c in CASES)  # the memo's case


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_server_text_equals_raw_faster_whisper(
    client: openai.OpenAI, raw_models: dict[str, Any], settings: Settings, case: parity.Case
) -> None:
    raw, sampled = parity.raw_result(raw_models[case.model], case, settings)
    assert not sampled, "this case falls back to sampling (random in faster-whisper itself): pick another"
    served = parity.server_text(client, case)
    assert parity.same_words(raw, served), f"\nraw:    {raw}\nserver: {served}"
