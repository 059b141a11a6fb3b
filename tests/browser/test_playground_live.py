"""The playground's Live card in headless Chromium: a recorded LibriVox clip played as the microphone
(Chromium's file-backed fake capture device) is streamed over /v1/realtime, and its turn appears."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from tests.browser.test_playground import ARGS, CHROMIUM, TIMEOUT_MS
from tests.support.audio import LIBRIVOX, librivox_transcripts, read_samples, wav_bytes
from tests.support.wer import wer

sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
CLIP = LIBRIVOX / "sense_and_sensibility_01_austen_64kb-0880.wav"


def test_live_card_streams_the_microphone(base_url: str, tmp_path: Path) -> None:
    if not Path(CHROMIUM).is_file() and not shutil.which(CHROMIUM):
        pytest.skip(f"no Chromium at {CHROMIUM}")
    speech = read_samples(CLIP)
    mic = tmp_path / "mic.wav"
    mic.write_bytes(
        wav_bytes(np.concatenate([np.zeros(8000, np.float32), speech, np.zeros(48000, np.float32)]))
    )
    args = [*ARGS, f"--use-file-for-fake-audio-capture={mic}%noloop"]
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=args, headless=True)
        try:
            page = browser.new_page()
            page.set_default_timeout(TIMEOUT_MS)
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(f"{base_url}/playground")
            page.wait_for_function("document.querySelectorAll('#live-model option').length > 0")
            page.fill("#live-language", "en")
            page.click("#live-toggle")
            page.wait_for_function("document.getElementById('live-toggle').textContent.startsWith('■ Stop')")
            page.wait_for_selector("#live-output p.final")
            text = page.locator("#live-output p.final").first.inner_text()
            page.click("#live-toggle")
            assert page.locator("#live-error").is_hidden(), page.locator("#live-error").inner_text()
            assert not errors, errors
        finally:
            browser.close()
    assert wer(librivox_transcripts()[CLIP.stem], text) <= 0.2, text
