"""`earshot doctor`: the loopback self-test over the real HTTP API with the real models."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.support.cli import earshot
from tests.support.server import free_port


@pytest.mark.slow
def test_doctor_speaks_and_transcribes_with_every_model(models_dir: Path) -> None:
    result = earshot(
        "doctor", "--models-dir", str(models_dir), "--text", "The quick brown fox jumps over the lazy dog."
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert re.search(r"versions: python 3\.\d+\.\d+, earshot 0\.1\.0, faster-whisper \d", out)
    assert "device: cpu (int8, " in out
    assert re.search(
        r"ok    speech piper-en_US-joe-medium \(en_US-joe-medium\): \d+\.\d+ s of audio, RTF", out
    )
    for stt in ("whisper-base", "whisper-tiny.en"):
        line = next(x for x in out.splitlines() if f"transcription {stt} of piper-en_US-joe-medium" in x)
        assert line.startswith("ok")
        assert float(re.search(r"WER (\d+\.\d+)", line)[1]) <= 0.5
        assert float(re.search(r"RTF (\d+\.\d+)", line)[1]) > 0


@pytest.mark.slow
def test_doctor_exits_1_when_a_check_fails(base_url: str) -> None:
    result = earshot("doctor", "--url", base_url, "--max-wer", "-1", "--text", "Yes.")  # no WER can pass
    assert result.returncode == 1
    assert re.search(r"^FAIL  transcription whisper-base of piper-en_US-joe-medium: WER", result.stdout, re.M)


def test_doctor_exits_1_when_the_server_is_unreachable() -> None:
    result = earshot("doctor", "--url", f"http://127.0.0.1:{free_port()}")
    assert result.returncode == 1 and "cannot reach" in result.stdout
