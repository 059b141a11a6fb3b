"""The model registry: name/alias resolution, lazy loading, leases and idle unloading.

This is the one piece of mutable state shared across requests. Models load on first use
(or at start with ``preload``), stay loaded while leased, and unload after ``idle_ttl``
seconds without a lease. A model that failed to load is retried on the next request.
"""

from __future__ import annotations

import importlib
import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from engines.errors import EngineError, ModelNotFoundError, ModelUnavailableError, VoiceNotFoundError
from engines.manifest import Manifest, ModelSpec
from engines.materialize import model_entry_point, model_location
from engines.memory import keep_large_blocks_mapped, release_memory
from engines.types import RuntimeOptions

logger = logging.getLogger(__name__)


class Engine(Protocol):
    """What the registry keeps: anything loaded; its ``close()``, where it has one, runs on unload."""

    def close(self) -> None: ...


Loader = Callable[[ModelSpec, Path, RuntimeOptions], Engine]


def _load_whisper(spec: ModelSpec, path: Path, runtime: RuntimeOptions) -> Engine:
    from engines.whisper import WhisperEngine

    return WhisperEngine.load(path, runtime, english_only=spec.english_only)


def _load_piper(spec: ModelSpec, path: Path, runtime: RuntimeOptions) -> Engine:
    from engines.piper import PiperEngine

    return PiperEngine.load(path, runtime)


def _load_speaker_encoder(spec: ModelSpec, path: Path, runtime: RuntimeOptions) -> Engine:
    """The diarizer's speaker encoder (its file's sha256 was checked against the manifest already)."""
    from engines.speaker_embedding import SpeakerEncoder

    return SpeakerEncoder.load(path, sha256=None)  # type: ignore[return-value]


DEFAULT_LOADERS: Mapping[str, Loader] = {
    "faster-whisper": _load_whisper,
    "piper": _load_piper,
    "speaker-encoder": _load_speaker_encoder,
}
BACKEND_MODULES: Mapping[str, tuple[str, ...]] = {
    "faster-whisper": ("faster_whisper", "faster_whisper.vad"),
    "piper": ("onnxruntime", "piper.voice"),
}


@dataclass
class _Slot:
    spec: ModelSpec
    engine: Engine | None = None
    leases: int = 0
    last_used: float = 0.0
    load_seconds: float | None = None
    error: str | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)


class ModelRegistry:
    """Resolves names to models and hands out loaded engines."""

    def __init__(
        self,
        manifest: Manifest,
        models_dir: Path,
        runtime: RuntimeOptions,
        idle_ttl: float | None = None,
        loaders: Mapping[str, Loader] = DEFAULT_LOADERS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.manifest = manifest
        self.models_dir = models_dir
        self.runtime = runtime
        self.idle_ttl = idle_ttl
        self._loaders = loaders
        self._clock = clock
        self._slots = {m.id: _Slot(m) for m in manifest.models}
        self._names: dict[str, str] = {}
        for m in manifest.models:
            for name in (m.id, *m.aliases):
                self._names[name] = m.id
        self._voices: dict[str, tuple[str, str]] = {}
        for m in manifest.models:
            for voice in m.voices if m.kind == "tts" else ():
                self._voices.setdefault(voice, (m.id, voice))
        self._guard = threading.Lock()
        self._stop = threading.Event()
        self._reaper: threading.Thread | None = None
        keep_large_blocks_mapped()  # so that unloading a model gives its memory back

    # -- names -------------------------------------------------------------------------
    def models(self, kind: str | None = None) -> list[ModelSpec]:
        """Every model, optionally of one kind."""
        return [m for m in self.manifest.models if kind is None or m.kind == kind]

    def resolve(self, name: str, kind: str | None = None) -> ModelSpec:
        """The model a requested name or alias stands for; never a silent fallback."""
        model_id = self._names.get(name) if isinstance(name, str) else None
        if model_id is None:
            raise ModelNotFoundError(str(name), kind, available=self._names_of(kind))
        spec = self._slots[model_id].spec
        if kind is not None and spec.kind != kind:
            raise ModelNotFoundError(name, kind, actual_kind=spec.kind, available=self._names_of(kind))
        return spec

    def _names_of(self, kind: str | None) -> list[str]:
        """Every id and alias that serves ``kind``, in manifest order (for error messages)."""
        return [name for m in self.models(kind) for name in (m.id, *m.aliases)]

    def default(self, kind: str) -> ModelSpec:
        """The default model of a kind (flagged ``default`` in the manifest, else the first)."""
        candidates = self.models(kind)
        if not candidates:
            raise ModelNotFoundError("(default)", kind, available=[])
        return next((m for m in candidates if m.default), candidates[0])

    def voice_names(self) -> dict[str, str]:
        """Every accepted voice name -> the local voice id it plays."""
        names = {v: v for v in self._voices}
        names.update({k: v for k, v in self.manifest.voice_map.items() if v in self._voices})
        return names

    def resolve_voice(self, name: str) -> tuple[ModelSpec, str]:
        """(tts model, local voice id) for an OpenAI voice name or a local voice id."""
        local = self.manifest.voice_map.get(name, name) if isinstance(name, str) else None
        target = self._voices.get(local) if local is not None else None
        if target is None:
            raise VoiceNotFoundError(str(name), list(self.voice_names()))
        return self._slots[target[0]].spec, target[1]

    # -- files -------------------------------------------------------------------------
    def prepare(self, model_ids: list[str] | None = None) -> dict[str, str]:
        """Materialise and verify models' files; returns {model id: error} for those that failed."""
        self.import_backends()
        failures: dict[str, str] = {}
        for model_id in model_ids if model_ids is not None else list(self._slots):
            slot = self._slots[model_id]
            try:
                model_location(slot.spec, self.models_dir)
                slot.error = None
            except EngineError as exc:
                slot.error = str(exc)
                failures[model_id] = str(exc)
                logger.error("model %s unavailable: %s", model_id, exc)
        return failures

    def import_backends(self) -> None:
        """Import the engine libraries now (at start-up), not inside the first request.

        Their code and static data stay mapped for the life of the process (~40 MB of RSS) whether a
        model is loaded or not: imported first, they are part of the idle figure that unloading
        returns to, and the first request does not pay for the imports.
        """
        backends = sorted({m.backend for m in self.manifest.models if m.backend in self._loaders})
        for backend in backends:
            for module in BACKEND_MODULES.get(backend, ()):
                try:
                    importlib.import_module(module)
                except ImportError as exc:
                    logger.warning("cannot import %s for backend %s: %s", module, backend, exc)
        if "faster-whisper" in backends:
            try:  # faster-whisper keeps its Silero VAD for the life of the process anyway: load it now
                importlib.import_module("faster_whisper.vad").get_vad_model()
            except Exception as exc:  # noqa: BLE001 - the first transcription will report it
                logger.warning("cannot load the Silero VAD model: %s", exc)

    # -- loading -----------------------------------------------------------------------
    def _load(self, slot: _Slot) -> Engine:
        spec = slot.spec
        loader = self._loaders.get(spec.backend)
        if loader is None:
            raise ModelUnavailableError(spec.id, f"no loader for backend {spec.backend}")
        started = time.perf_counter()
        try:
            path = model_entry_point(spec, model_location(spec, self.models_dir))
            engine = loader(spec, path, self.runtime)
        except EngineError as exc:
            slot.error = str(exc)
            raise
        except Exception as exc:  # the backend's own errors (corrupt weights, bad config, ...)
            slot.error = f"{type(exc).__name__}: {exc}"
            logger.exception("loading model %s failed", spec.id)
            raise ModelUnavailableError(spec.id, f"it failed to load ({type(exc).__name__}: {exc})") from exc
        slot.load_seconds = time.perf_counter() - started
        slot.error = None
        logger.info("loaded model %s in %.2f s", spec.id, slot.load_seconds)
        return engine

    def acquire(self, model_id: str) -> Engine:
        """Load if needed and take a lease; pair with :meth:`release`."""
        slot = self._slots[model_id]
        with slot.lock:  # one loader per model; other models load independently
            if slot.engine is None:
                slot.engine = self._load(slot)
            with self._guard:
                slot.leases += 1
                slot.last_used = self._clock()
            return slot.engine

    def release(self, model_id: str) -> None:
        """Give back a lease."""
        slot = self._slots[model_id]
        with self._guard:
            slot.leases = max(0, slot.leases - 1)
            slot.last_used = self._clock()

    @contextmanager
    def lease(self, model_id: str) -> Iterator[Any]:
        """``with registry.lease(id) as engine:`` keeps the model loaded while in use."""
        engine = self.acquire(model_id)
        try:
            yield engine
        finally:
            self.release(model_id)

    def preload(self, model_ids: list[str]) -> dict[str, str]:
        """Load models now; returns {model id: error} for those that failed."""
        failures: dict[str, str] = {}
        for model_id in model_ids:
            try:
                self.acquire(model_id)
                self.release(model_id)
            except EngineError as exc:
                failures[model_id] = str(exc)
        return failures

    # -- unloading ---------------------------------------------------------------------
    def unload(self, model_id: str) -> bool:
        """Unload a model that has no lease; True if it was unloaded."""
        slot = self._slots[model_id]
        with slot.lock:
            with self._guard:
                if slot.engine is None or slot.leases > 0:
                    return False
                engine, slot.engine = slot.engine, None
            close = getattr(engine, "close", None)  # engines without resources of their own have none
            if close is not None:
                close()
        del engine
        release_memory()
        logger.info("unloaded model %s", model_id)
        return True

    def unload_idle(self) -> list[str]:
        """Unload every model idle for longer than ``idle_ttl``."""
        if self.idle_ttl is None:
            return []
        now = self._clock()
        with self._guard:
            idle = [
                s.spec.id
                for s in self._slots.values()
                if s.engine is not None and s.leases == 0 and now - s.last_used >= self.idle_ttl
            ]
        return [model_id for model_id in idle if self.unload(model_id)]

    def start_reaper(self, interval: float | None = None) -> None:
        """Unload idle models in a background thread until :meth:`close`."""
        if self.idle_ttl is None or self._reaper is not None:
            return
        period = interval if interval is not None else max(0.5, min(60.0, self.idle_ttl / 4))

        def run() -> None:
            while not self._stop.wait(period):
                self.unload_idle()

        self._reaper = threading.Thread(target=run, name="earshot-model-reaper", daemon=True)
        self._reaper.start()

    def close(self) -> None:
        """Stop the reaper and unload everything."""
        self._stop.set()
        if self._reaper is not None:
            self._reaper.join(timeout=5)
        for model_id in list(self._slots):
            with self._guard:
                self._slots[model_id].leases = 0
            self.unload(model_id)

    # -- reporting ---------------------------------------------------------------------
    def is_loaded(self, model_id: str) -> bool:
        """Whether the model is in memory."""
        return self._slots[model_id].engine is not None

    def status(self) -> dict[str, dict[str, Any]]:
        """Per model: loaded, leases, last load time and last error."""
        return {
            s.spec.id: {
                "loaded": s.engine is not None,
                "leases": s.leases,
                "load_seconds": s.load_seconds,
                "error": s.error,
            }
            for s in self._slots.values()
        }
