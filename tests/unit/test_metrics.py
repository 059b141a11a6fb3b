"""Metrics: the observe API, the per-request model label, and the scrape-time queue/model gauges."""

from __future__ import annotations

import threading

from prometheus_client.parser import text_string_to_metric_families

from server.metrics import Metrics


class FakeQueues:
    def __init__(self) -> None:
        self.gates = {"whisper-base": {"running": 1, "waiting": 3, "admitted": 7, "rejected": 2}}

    def snapshot(self) -> dict[str, dict[str, int]]:
        return self.gates


class FakeModels:
    def status(self) -> dict[str, dict]:
        return {
            "whisper-base": {"loaded": True, "leases": 1, "load_seconds": 1.25, "error": None},
            "piper": {"loaded": False, "leases": 0, "load_seconds": None, "error": "missing file"},
        }


def make() -> Metrics:
    return Metrics(FakeQueues(), FakeModels())


def value(metrics: Metrics, name: str, **labels: str) -> float | None:
    return metrics.registry.get_sample_value(name, labels)


def test_observe_audio_counts_seconds_and_real_time_factor() -> None:
    m = make()
    m.observe_audio("/v1/audio/transcriptions", "whisper-base", seconds_in=10.0, processing_seconds=2.0)
    m.observe_audio("/v1/audio/transcriptions", "whisper-base", seconds_in=30.0, processing_seconds=3.0)
    m.observe_audio("/v1/audio/speech", "piper", seconds_out=4.0, processing_seconds=0.4)
    stt = {"endpoint": "/v1/audio/transcriptions", "model": "whisper-base"}
    tts = {"endpoint": "/v1/audio/speech", "model": "piper"}
    assert value(m, "earshot_audio_input_seconds_total", **stt) == 40.0
    assert value(m, "earshot_audio_output_seconds_total", **tts) == 4.0
    assert value(m, "earshot_audio_output_seconds_total", **stt) is None
    assert value(m, "earshot_processing_seconds_total", **stt) == 5.0
    assert value(m, "earshot_real_time_factor_count", **stt) == 2
    assert value(m, "earshot_real_time_factor_sum", **stt) == 0.2 + 0.1
    assert value(m, "earshot_real_time_factor_bucket", le="0.1", **stt) == 1  # 3 s for 30 s of audio
    assert value(m, "earshot_real_time_factor_sum", **tts) == 0.1
    assert value(m, "earshot_audio_duration_seconds_count", **tts) == 1


def test_observe_audio_without_processing_time_has_no_rtf() -> None:
    m = make()
    m.observe_audio("/v1/audio/speech", "piper", seconds_out=2.0)
    assert value(m, "earshot_audio_output_seconds_total", endpoint="/v1/audio/speech", model="piper") == 2.0
    assert value(m, "earshot_real_time_factor_count", endpoint="/v1/audio/speech", model="piper") is None


def test_model_label_reaches_the_request_from_a_worker_thread() -> None:
    m = make()
    with m.request_scope() as labels:
        assert value(m, "earshot_requests_in_progress") == 1
        worker = threading.Thread(target=lambda: m.label_model("whisper-base"))
        worker.start()  # a plain thread does not inherit the context: label_model must be a no-op there
        worker.join()
        assert labels == {}
        m.label_model("whisper-base")
        m.finish_request("/v1/audio/transcriptions", "POST", labels.get("model", ""), 200, 0.3)
    assert value(m, "earshot_requests_in_progress") == 0
    assert (
        value(
            m,
            "earshot_requests_total",
            endpoint="/v1/audio/transcriptions",
            method="POST",
            model="whisper-base",
            status="200",
        )
        == 1
    )
    m.label_model("outside")  # no request scope: ignored, never raises


def test_scrape_reports_queue_depth_and_models() -> None:
    body, content_type = make().render()
    assert content_type.startswith("text/plain")
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(body.decode())
        for s in family.samples
    }
    assert samples[("earshot_queue_waiting", (("model", "whisper-base"),))] == 3
    assert samples[("earshot_queue_running", (("model", "whisper-base"),))] == 1
    assert samples[("earshot_queue_rejected_total", (("model", "whisper-base"),))] == 2
    assert samples[("earshot_queue_waiting", (("model", "piper"),))] == 0  # known model, no traffic yet
    assert samples[("earshot_model_loaded", (("model", "whisper-base"),))] == 1
    assert samples[("earshot_model_loaded", (("model", "piper"),))] == 0
    assert samples[("earshot_model_load_seconds", (("model", "whisper-base"),))] == 1.25
    assert ("earshot_model_load_seconds", (("model", "piper"),)) not in samples
    assert samples[("earshot_model_error", (("model", "piper"),))] == 1
    assert any(name == "process_resident_memory_bytes" for name, _ in samples)


def test_openmetrics_on_request_and_separate_registries() -> None:
    a, b = make(), make()
    a.observe_audio("/v1/audio/speech", "piper", seconds_out=1.0)
    assert value(b, "earshot_audio_output_seconds_total", endpoint="/v1/audio/speech", model="piper") is None
    body, content_type = a.render("application/openmetrics-text; version=1.0.0")
    assert content_type.startswith("application/openmetrics-text")
    assert body.rstrip().endswith(b"# EOF")
