"""create_app(settings) -> FastAPI: the registry, the serving core, and the doors on it (HTTP, realtime,
Wyoming).

The process is assembled here: the model registry, the admission gates and the metrics (platform
pieces), the core services built on them (``app.state.services``, see server/core), and the HTTP door's
middleware, error contract and routes (server/http).
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from fastapi import FastAPI

from engines.device import cuda_device_count, limit_spin_waits
from engines.manifest import builtin_manifest_paths, load_manifests
from engines.registry import ModelRegistry
from server.access import AccessMiddleware
from server.admission import Admission
from server.build import build_info, version
from server.cancellation import CancellationMiddleware
from server.core import Services
from server.housekeeping import IdleTrimmer
from server.http.errors import install_error_handlers
from server.http.routes import health, metrics, models, playground, speech, transcriptions, voices
from server.metrics import Metrics
from server.middleware import APIKeyMiddleware, BodyLimitMiddleware, RequestContextMiddleware
from server.realtime.router import router as realtime_router
from server.settings import Settings

if TYPE_CHECKING:
    from server.wyoming.server import WyomingServer

logger = logging.getLogger(__name__)

MULTIPART_OVERHEAD = 4 << 20  # form fields (e.g. four known-speaker data URLs) around a maximum-size file


@dataclass
class Readiness:
    """Start-up progress: files materialised and verified, preloads done."""

    ready: bool = False
    failed: str | None = None


def build_registry(settings: Settings) -> ModelRegistry:
    """Manifest (builtin + models dir + extra) -> registry. A malformed manifest fails here, loudly."""
    paths = builtin_manifest_paths()
    user_manifest = settings.models_dir / "manifest.toml"
    if user_manifest.is_file():
        paths.append(user_manifest)
    paths += list(settings.extra_manifests)
    runtime = settings.runtime()
    logger.info(
        "device=%s compute_type=%s cpu_threads=%d models_dir=%s",
        runtime.device,
        runtime.compute_type,
        runtime.cpu_threads,
        settings.models_dir,
    )
    return ModelRegistry(load_manifests(paths), settings.models_dir, runtime, settings.idle_ttl_seconds)


def _preload_ids(settings: Settings, registry: ModelRegistry) -> list[str]:
    ids: list[str] = []
    for name in settings.preload:
        if name == "all":
            ids += [m.id for m in registry.models()]
        elif name == "default":
            ids += [registry.default(kind).id for kind in ("stt", "tts") if registry.models(kind)]
        else:
            ids.append(registry.resolve(name).id)
    return list(dict.fromkeys(ids))


def _device_problem(settings: Settings, cuda_devices: int) -> str | None:
    """Why an explicitly requested device cannot be used, or None."""
    if settings.device == "cuda" and cuda_devices == 0:
        return (
            "--device cuda was asked for, but CTranslate2 sees no usable CUDA GPU (no GPU, driver or CUDA "
            "runtime in this container?): fix that, or start with --device auto (CPU when there is no GPU) "
            "or --device cpu"
        )
    return None


def _start_up(settings: Settings, registry: ModelRegistry, readiness: Readiness) -> None:
    """Materialise/verify every model, then preload; runs in a thread so /health answers meanwhile."""
    started = time.perf_counter()
    problem = _device_problem(settings, cuda_device_count() if settings.device == "cuda" else 0)
    if problem is not None:  # never report ready and then 503 every request
        readiness.failed = problem
        logger.error("not ready: %s", problem)
        return
    failures = registry.prepare()  # also imports the engine libraries
    # Everything alive now (modules, libraries) is permanent: a full collection (the idle trim, or an
    # automatic one mid-request) no longer walks it while holding the GIL (~50 ms -> ~0 ms measured).
    gc.collect()
    gc.freeze()
    failures.update(registry.preload(_preload_ids(settings, registry)))
    if len(failures) == len(registry.models()):
        readiness.failed = "no model is available"
    readiness.ready = readiness.failed is None
    logger.info("ready in %.2f s (%d unavailable model(s))", time.perf_counter() - started, len(failures))


async def _start_wyoming(settings: Settings, app: FastAPI) -> WyomingServer | None:
    """The Wyoming door on this loop, when a port is set (server/wyoming)."""
    if settings.wyoming_port is None:
        return None
    from server.wyoming.server import WyomingServer

    readiness = app.state.readiness
    wyoming = WyomingServer(settings, app.state.services, app.state.metrics, lambda: readiness.ready)
    await wyoming.start()
    return wyoming


def create_app(settings: Settings) -> FastAPI:
    """Build the Earshot application for these settings."""
    limit_spin_waits()  # before the first import of ctranslate2 (libgomp reads it once)
    registry = build_registry(settings)
    readiness = Readiness()
    _preload_ids(settings, registry)  # unknown preload names fail at start, not later

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        task = asyncio.get_running_loop().run_in_executor(None, _start_up, settings, registry, readiness)
        registry.start_reaper()
        trimmer = asyncio.create_task(IdleTrimmer(app.state.admission).run())
        wyoming = await _start_wyoming(settings, app)
        try:
            yield
        finally:
            if wyoming is not None:
                await wyoming.stop()
            trimmer.cancel()
            await asyncio.wait_for(asyncio.shield(task), timeout=None)
            registry.close()

    app = FastAPI(title="Earshot", version=version(), lifespan=lifespan)
    app.state.settings = settings
    app.state.registry = registry
    app.state.readiness = readiness
    app.state.admission = Admission(settings.max_concurrency, settings.max_queue)
    app.state.build = build_info(registry.runtime)
    app.state.metrics = Metrics(app.state.admission, registry, app.state.build)
    app.state.services = Services.build(settings, registry, app.state.admission, app.state.metrics)
    app.state.created = int(time.time())
    app.state.api_keys = settings.all_api_keys()

    install_error_handlers(app)
    app.include_router(health.router)
    app.include_router(models.router)
    app.include_router(transcriptions.router)
    app.include_router(speech.router)
    app.include_router(voices.router)
    app.include_router(metrics.router)
    app.include_router(playground.router)
    app.include_router(realtime_router)

    app.add_middleware(
        BodyLimitMiddleware,
        limit=settings.max_upload_bytes + MULTIPART_OVERHEAD,
        max_upload_bytes=settings.max_upload_bytes,
    )
    app.add_middleware(
        CancellationMiddleware, timeout=settings.request_timeout_seconds, counts=app.state.metrics
    )
    open_paths = ("/health", "/ready", *playground.OPEN_PATHS)
    app.add_middleware(APIKeyMiddleware, keys=app.state.api_keys, open_paths=open_paths)
    app.add_middleware(AccessMiddleware, metrics=app.state.metrics)
    app.add_middleware(RequestContextMiddleware)
    return app
