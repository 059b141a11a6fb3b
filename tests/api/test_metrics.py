"""/metrics scraped before and after real requests: counters, histograms and gauges move as they should."""

from __future__ import annotations

import os
import wave
from pathlib import Path

import httpx
import openai
from prometheus_client.parser import text_string_to_metric_families

DATA = Path(__file__).resolve().parents[1] / "data"
Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def auth() -> dict[str, str]:
    key = os.environ.get("EARSHOT_TEST_API_KEY")
    return {"Authorization": f"Bearer {key}"} if key else {}


def scrape(base_url: str) -> Samples:
    response = httpx.get(f"{base_url}/metrics", headers=auth(), timeout=30)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(response.text)
        for s in family.samples
    }


def get(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def delta(before: Samples, after: Samples, name: str, **labels: str) -> float:
    return get(after, name, **labels) - get(before, name, **labels)


def test_requests_counted_by_route_template_and_status(base_url: str) -> None:
    before = scrape(base_url)
    for name in ["whisper-1", "tiny.en", "no-such-model"]:
        httpx.get(f"{base_url}/v1/models/{name}", headers=auth())
    httpx.get(f"{base_url}/v1/no/such/route", headers=auth())
    after = scrape(base_url)

    route = {"endpoint": "/v1/models/{model}", "method": "GET", "model": ""}
    assert delta(before, after, "earshot_requests_total", status="200", **route) == 2
    assert delta(before, after, "earshot_requests_total", status="404", **route) == 1
    assert delta(before, after, "earshot_request_duration_seconds_count", **route) == 3
    assert delta(before, after, "earshot_request_duration_seconds_bucket", le="+Inf", **route) == 3
    assert delta(before, after, "earshot_request_duration_seconds_sum", **route) > 0
    assert delta(before, after, "earshot_time_to_first_byte_seconds_count", **route) == 3
    unmatched = {"endpoint": "unmatched", "method": "GET", "model": "", "status": "404"}
    assert delta(before, after, "earshot_requests_total", **unmatched) == 1
    # Labels come from route templates, never raw paths or user input.
    assert not any("whisper-1" in str(labels) or "such" in str(labels) for _, labels in after)
    # The first scrape itself was counted once it finished.
    assert (
        get(after, "earshot_requests_total", endpoint="/metrics", method="GET", model="", status="200") >= 1
    )


def test_model_and_queue_gauges_listed_for_every_model(base_url: str) -> None:
    samples = scrape(base_url)
    models = httpx.get(f"{base_url}/v1/models", headers=auth()).json()["data"]
    for model in {m["root"] for m in models}:
        assert ("earshot_model_loaded", (("model", model),)) in samples
        assert ("earshot_queue_waiting", (("model", model),)) in samples
        assert ("earshot_queue_running", (("model", model),)) in samples


def wav_seconds(path: Path) -> float:
    with wave.open(str(path)) as w:
        return w.getnframes() / w.getframerate()


def test_transcription_records_audio_seconds_rtf_and_model(base_url: str, client: openai.OpenAI) -> None:
    path = DATA / "cards" / "005.wav"
    before = scrape(base_url)
    result = client.audio.transcriptions.create(model="whisper-tiny.en", file=path)
    assert "spades" in result.text.lower()
    after = scrape(base_url)

    model = "whisper-tiny.en"
    labels = {"endpoint": "/v1/audio/transcriptions", "model": model}
    seconds = delta(before, after, "earshot_audio_input_seconds_total", **labels)
    assert abs(seconds - wav_seconds(path)) < 0.1
    assert delta(before, after, "earshot_real_time_factor_count", **labels) == 1
    assert delta(before, after, "earshot_processing_seconds_total", **labels) > 0
    request = {"endpoint": "/v1/audio/transcriptions", "method": "POST", "model": model}
    assert delta(before, after, "earshot_requests_total", status="200", **request) == 1
    assert delta(before, after, "earshot_request_duration_seconds_count", **request) == 1
    assert get(after, "earshot_model_loaded", model=model) == 1
    assert get(after, "earshot_model_load_seconds", model=model) > 0
    assert delta(before, after, "earshot_queue_admitted_total", model=model) == 1
    assert get(after, "earshot_queue_running", model=model) == 0

    # A streamed transcription is recorded once its last event is out.
    events = list(client.audio.transcriptions.create(model="whisper-tiny.en", file=path, stream=True))
    assert events[-1].type == "transcript.text.done"
    streamed = scrape(base_url)
    streamed_seconds = delta(after, streamed, "earshot_audio_input_seconds_total", **labels)
    assert abs(streamed_seconds - wav_seconds(path)) < 0.1
    assert delta(after, streamed, "earshot_requests_total", status="200", **request) == 1


def test_speech_records_audio_out_and_model(base_url: str, client: openai.OpenAI) -> None:
    before = scrape(base_url)
    audio = client.audio.speech.create(
        model="tts-1", voice="alloy", input="Metrics count this.", response_format="pcm"
    )
    produced = len(audio.content) / (24000 * 2)  # 24 kHz 16-bit mono
    after = scrape(base_url)

    speech = [k for k in after if k[0] == "earshot_audio_output_seconds_total"]
    assert speech, "no audio output recorded"
    labels = dict(speech[0][1])
    assert labels["endpoint"] == "/v1/audio/speech"
    seconds = delta(before, after, "earshot_audio_output_seconds_total", **labels)
    assert abs(seconds - produced) < 0.1
    assert delta(before, after, "earshot_real_time_factor_count", **labels) == 1
    request = {"endpoint": "/v1/audio/speech", "method": "POST", "model": labels["model"]}
    assert delta(before, after, "earshot_requests_total", status="200", **request) == 1
