"""The playground page in a real headless Chromium: Debian's, driven by Playwright, never a downloaded one.

Speaks typed text (plays it and downloads the file), transcribes an uploaded wav in two formats and a
recording from Chromium's synthetic microphone, and saves a screenshot to test-artifacts/playground.png.
With API keys set, the page asks for the key.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
WAV = REPO / "tests" / "data" / "cards" / "005.wav"  # "eight of spades four of clubs seven of hearts"
CHROMIUM = os.environ.get("EARSHOT_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
    "--use-fake-device-for-media-stream",  # a synthetic microphone for the recording test
    "--use-fake-ui-for-media-stream",
]
TIMEOUT_MS = 120_000

sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Debian's chromium, or a skip that says how to get it."""
    if not Path(CHROMIUM).is_file():
        pytest.skip(f"no Chromium at {CHROMIUM}: install Debian's package (apt-get install chromium)")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser) -> Iterator[object]:
    """A fresh page; any uncaught script error fails the test."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert not errors, f"script errors on the page: {errors}"


def test_speak_and_transcribe(page, base_url: str) -> None:
    page.goto(f"{base_url}/")
    assert page.url == f"{base_url}/playground"
    page.wait_for_function("document.querySelectorAll('#stt-model option').length > 0")
    page.wait_for_function("document.querySelectorAll('#tts-voice option').length > 0")
    assert page.locator("#key-box").is_hidden()  # no keys configured
    assert page.locator("#tts-voice").input_value() == "alloy"
    # /ready is asked after the model lists arrive: wait for its answer rather than race it.
    page.wait_for_function("document.getElementById('server-status').textContent === 'ready'")

    # Text to speech: type, pick format and speed, play, download.
    page.fill("#tts-input", "The playground speaks from this machine.")
    page.select_option("#tts-format", "wav")
    page.locator("#tts-speed").fill("1.25")
    assert page.locator("#tts-speed-value").inner_text() == "1.25×"
    page.click("#tts-submit")
    page.wait_for_selector("#tts-result", state="visible")
    page.wait_for_function("document.getElementById('tts-audio').duration > 0.5")
    page.wait_for_function("(a => !a.paused || a.ended)(document.getElementById('tts-audio'))")
    assert page.locator("#tts-error").is_hidden()
    with page.expect_download() as download_info:
        page.click("#tts-download")
    download = download_info.value
    assert download.suggested_filename == "speech.wav"
    speech = Path(download.path()).read_bytes()
    assert speech[:4] == b"RIFF" and speech[8:12] == b"WAVE" and len(speech) > 24000

    # Speech to text: upload a wav; json, then srt.
    page.set_input_files("#stt-file", str(WAV))
    assert "005.wav" in page.locator("#stt-selected").inner_text()
    page.select_option("#stt-model", "whisper-base")
    page.fill("#stt-language", "en")
    page.click("#stt-submit")
    page.wait_for_selector("#stt-result", state="visible")
    page.wait_for_function("document.getElementById('stt-submit').textContent === 'Transcribe'")
    assert page.locator("#stt-error").is_hidden(), page.locator("#stt-error").inner_text()
    transcript = page.locator("#stt-output").inner_text()
    assert '"text"' in transcript and "spades" in transcript.lower()

    page.select_option("#stt-format", "srt")
    page.click("#stt-submit")
    page.wait_for_function("document.getElementById('stt-output').textContent.includes('-->')")
    page.wait_for_function("document.getElementById('stt-submit').textContent === 'Transcribe'")
    srt = page.locator("#stt-output").inner_text()
    assert srt.lstrip().startswith("1\n") and "spades" in srt.lower()
    assert page.locator("#stt-download").get_attribute("download") == "transcript.srt"

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "playground.png"), full_page=True)


def test_record_and_transcribe(page, base_url: str) -> None:
    page.goto(f"{base_url}/playground")
    page.wait_for_function("document.querySelectorAll('#stt-model option').length > 0")
    page.click("#stt-record")
    page.wait_for_function("document.getElementById('stt-record').textContent.startsWith('■ Stop')")
    page.wait_for_timeout(2000)
    page.click("#stt-record")
    page.wait_for_function("document.getElementById('stt-selected').textContent.startsWith('recording.')")
    assert page.locator("#stt-record").inner_text() == "● Record"
    page.select_option("#stt-model", "whisper-tiny.en")
    page.select_option("#stt-format", "verbose_json")
    page.click("#stt-submit")
    page.wait_for_selector("#stt-result", state="visible")
    page.wait_for_function("document.getElementById('stt-submit').textContent === 'Transcribe'")
    assert page.locator("#stt-error").is_hidden(), page.locator("#stt-error").inner_text()
    verbose = json.loads(page.locator("#stt-output").inner_text())
    assert verbose["task"] == "transcribe"
    assert 1.0 < verbose["duration"] < 10.0  # the recorded (webm/opus) audio was decoded by the server


def test_page_asks_for_the_api_key(browser, server_factory) -> None:
    key = "sk-playground-test"
    server = server_factory(env={"EARSHOT_API_KEYS": key})
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    try:
        page.goto(f"{server.base_url}/")  # the page and its assets need no key
        page.wait_for_selector("#key-box", state="visible")
        page.wait_for_selector("#stt-error", state="visible")  # the model list was refused
        assert "API key" in page.locator("#stt-error").inner_text()
        assert page.locator("#stt-model option").count() == 0

        page.click("#api-key")
        page.keyboard.type(key)  # typed, no Enter or Tab: before, nothing happened until the field lost focus
        page.wait_for_function("document.querySelectorAll('#stt-model option').length > 0")
        assert page.evaluate("document.activeElement.id") == "api-key"
        page.wait_for_selector("#stt-error", state="hidden")
        page.fill("#tts-input", "Authorised.")
        page.click("#tts-submit")
        page.wait_for_selector("#tts-result", state="visible")
        assert page.locator("#tts-error").is_hidden()
    finally:
        context.close()
