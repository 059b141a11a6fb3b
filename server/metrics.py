"""Prometheus metrics: one :class:`Metrics` per app (its own CollectorRegistry), served at ``/metrics``.

Request counts and latencies come from :class:`server.access.AccessMiddleware`. Routes add what only they
know with two calls (both cheap, both safe from the event loop or a worker thread)::

    metrics = request.app.state.metrics
    metrics.label_model(spec.id)                      # the model this request runs on (resolved id)
    metrics.observe_audio("/v1/audio/transcriptions", spec.id, seconds_in=info.duration,
                          processing_seconds=elapsed)  # once the audio is done

Queue depth (``Admission.snapshot()``) and model state (``ModelRegistry.status()``) are read at scrape time.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Protocol

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, Info
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.exposition import choose_encoder
from prometheus_client.metrics_core import Metric
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.registry import Collector

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600)
RTF_BUCKETS = (0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 5, 10)
AUDIO_BUCKETS = (1, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200)

# The current request's labels that only the route knows (the model). The middleware puts a fresh dict
# here per request; routes mutate it, which reaches the middleware from worker threads and stream tasks too.
_request_labels: ContextVar[dict[str, str] | None] = ContextVar("earshot_request_labels", default=None)


class _QueueSource(Protocol):
    def snapshot(self) -> dict[str, dict[str, int]]: ...


class _ModelSource(Protocol):
    def status(self) -> dict[str, dict]: ...


class _StateCollector(Collector):
    """Reads queue depth and model state when Prometheus scrapes."""

    def __init__(self, queues: _QueueSource, models: _ModelSource) -> None:
        self.queues = queues
        self.models = models

    def collect(self) -> Iterator[Metric]:
        running = GaugeMetricFamily(
            "earshot_queue_running", "Requests running now, per model.", labels=["model"]
        )
        waiting = GaugeMetricFamily(
            "earshot_queue_waiting", "Requests waiting for a slot now, per model.", labels=["model"]
        )
        admitted = CounterMetricFamily(
            "earshot_queue_admitted", "Requests given a slot, per model.", labels=["model"]
        )
        rejected = CounterMetricFamily(
            "earshot_queue_rejected", "Requests refused with 429 (queue full), per model.", labels=["model"]
        )
        models = self.models.status()
        gates = self.queues.snapshot()
        idle = {"running": 0, "waiting": 0, "admitted": 0, "rejected": 0}
        for model in sorted(set(models) | set(gates)):  # every model, so dashboards see zeros before traffic
            gate = gates.get(model, idle)
            running.add_metric([model], gate["running"])
            waiting.add_metric([model], gate["waiting"])
            admitted.add_metric([model], gate["admitted"])
            rejected.add_metric([model], gate["rejected"])
        yield from (running, waiting, admitted, rejected)

        loaded = GaugeMetricFamily(
            "earshot_model_loaded", "1 if the model is in memory, else 0.", labels=["model"]
        )
        leases = GaugeMetricFamily(
            "earshot_model_leases", "Requests holding the model now.", labels=["model"]
        )
        load_time = GaugeMetricFamily(
            "earshot_model_load_seconds", "How long the model's last load took.", labels=["model"]
        )
        failed = GaugeMetricFamily(
            "earshot_model_error", "1 if the model's files or last load failed, else 0.", labels=["model"]
        )
        for model, state in sorted(models.items()):
            loaded.add_metric([model], 1.0 if state["loaded"] else 0.0)
            leases.add_metric([model], state["leases"])
            if state["load_seconds"] is not None:
                load_time.add_metric([model], state["load_seconds"])
            failed.add_metric([model], 1.0 if state["error"] else 0.0)
        yield from (loaded, leases, load_time, failed)


class Metrics:
    """Every Earshot metric, in its own registry (so apps and tests never share counters)."""

    def __init__(
        self, queues: _QueueSource, models: _ModelSource, build: dict[str, str] | None = None
    ) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        if build:
            about = "Version, Python, device and compute type of this server."
            Info("earshot_build", about, registry=r).info(build)
        self.requests = Counter(
            "earshot_requests",
            "HTTP requests finished.",
            ["endpoint", "method", "model", "status"],
            registry=r,
        )
        self.latency = Histogram(
            "earshot_request_duration_seconds",
            "Time from request start to the response's last byte.",
            ["endpoint", "method", "model"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.first_byte = Histogram(
            "earshot_time_to_first_byte_seconds",
            "Time from request start to the response headers (streams start before the audio is done).",
            ["endpoint", "method", "model"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.in_progress = Gauge(
            "earshot_requests_in_progress", "HTTP requests being served now.", registry=r
        )
        self.audio_in = Counter(
            "earshot_audio_input_seconds",
            "Seconds of audio received and decoded.",
            ["endpoint", "model"],
            registry=r,
        )
        self.audio_out = Counter(
            "earshot_audio_output_seconds", "Seconds of audio synthesised.", ["endpoint", "model"], registry=r
        )
        self.processing = Counter(
            "earshot_processing_seconds",
            "Engine wall time spent on audio (rate(processing) / rate(audio) is the mean real-time factor).",
            ["endpoint", "model"],
            registry=r,
        )
        self.audio_length = Histogram(
            "earshot_audio_duration_seconds",
            "Length of each request's audio (input for speech to text, output for text to speech).",
            ["endpoint", "model"],
            buckets=AUDIO_BUCKETS,
            registry=r,
        )
        self.rtf = Histogram(
            "earshot_real_time_factor",
            "Processing time / audio duration per request (below 1 is faster than real time).",
            ["endpoint", "model"],
            buckets=RTF_BUCKETS,
            registry=r,
        )
        self.cancelled = Counter(
            "earshot_requests_cancelled",
            "Requests whose work was stopped early: the client disconnected, or request_timeout_seconds passed.",
            ["reason"],
            registry=r,
        )
        self.realtime_sessions = Gauge(
            "earshot_realtime_sessions", "Realtime WebSocket sessions open now.", registry=r
        )
        self.realtime_turns = Counter(
            "earshot_realtime_turns",
            "Realtime turns transcribed, by outcome (completed or failed).",
            ["model", "outcome"],
            registry=r,
        )
        self.realtime_latency = Histogram(
            "earshot_realtime_turn_latency_seconds",
            "Realtime: end of the turn (speech_stopped or commit) to its transcription's completed event.",
            ["model"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        r.register(_StateCollector(queues, models))
        ProcessCollector(registry=r)
        PlatformCollector(registry=r)

    # -- for routes --------------------------------------------------------------------
    def label_model(self, model: str) -> None:
        """Label the current request's count and latency with ``model``: a resolved id, never raw input."""
        labels = _request_labels.get()
        if labels is not None:
            labels["model"] = model

    def observe_audio(
        self,
        endpoint: str,
        model: str,
        *,
        seconds_in: float = 0.0,
        seconds_out: float = 0.0,
        processing_seconds: float | None = None,
    ) -> None:
        """Record one request's audio once it is done; also labels the request with ``model``.

        ``endpoint`` is the route template (``"/v1/audio/speech"``), ``model`` the resolved model id.
        ``seconds_in``: decoded input audio (speech to text); ``seconds_out``: synthesised audio (text to
        speech). ``processing_seconds``: engine wall time for it; with it the real-time factor
        ``processing_seconds / (seconds_in or seconds_out)`` is observed.
        """
        self.label_model(model)
        if seconds_in > 0:
            self.audio_in.labels(endpoint, model).inc(seconds_in)
        if seconds_out > 0:
            self.audio_out.labels(endpoint, model).inc(seconds_out)
        audio = seconds_in if seconds_in > 0 else seconds_out
        if audio > 0:
            self.audio_length.labels(endpoint, model).observe(audio)
        if processing_seconds is not None and processing_seconds >= 0:
            self.processing.labels(endpoint, model).inc(processing_seconds)
            if audio > 0:
                self.rtf.labels(endpoint, model).observe(processing_seconds / audio)

    def request_cancelled(self, reason: str) -> None:
        """A request's work was cancelled (``reason``: "client disconnected" or "timeout")."""
        self.cancelled.labels(reason).inc()

    def realtime_turn(self, model: str, outcome: str, latency_seconds: float | None = None) -> None:
        """A realtime turn finished: ``outcome`` completed/failed, end-of-speech -> completed latency."""
        self.realtime_turns.labels(model, outcome).inc()
        if latency_seconds is not None:
            self.realtime_latency.labels(model).observe(latency_seconds)

    # -- for the middleware and /metrics -----------------------------------------------
    @contextmanager
    def request_scope(self) -> Iterator[dict[str, str]]:
        """Around one request (the middleware): the labels routes fill in, and the in-progress gauge."""
        labels: dict[str, str] = {}
        token = _request_labels.set(labels)
        self.in_progress.inc()
        try:
            yield labels
        finally:
            self.in_progress.dec()
            _request_labels.reset(token)

    def first_byte_sent(self, endpoint: str, method: str, model: str, seconds: float) -> None:
        """Response headers went out ``seconds`` after the request started."""
        self.first_byte.labels(endpoint, method, model).observe(seconds)

    def finish_request(self, endpoint: str, method: str, model: str, status: int, seconds: float) -> None:
        """Count a finished request and observe its duration."""
        self.requests.labels(endpoint, method, model, str(status)).inc()
        self.latency.labels(endpoint, method, model).observe(seconds)

    def render(self, accept: str = "") -> tuple[bytes, str]:
        """(body, content type): Prometheus text, or OpenMetrics when the scraper's Accept asks for it."""
        encode, content_type = choose_encoder(accept)
        return encode(self.registry), content_type
