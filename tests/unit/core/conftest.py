"""The serving core on the real bundled models, without HTTP: a registry, admission gates and metrics."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from engines.manifest import builtin_manifest_paths, load_manifests
from engines.registry import ModelRegistry
from engines.types import RuntimeOptions
from server.admission import Admission
from server.core import Services
from server.metrics import Metrics
from server.settings import Settings


@pytest.fixture(scope="package")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModelRegistry]:
    """Every bundled model (whisper-tiny.en, piper joe and the speaker encoder are used in place)."""
    models_dir = tmp_path_factory.mktemp("core-models")
    manifest = load_manifests(builtin_manifest_paths())
    registry = ModelRegistry(manifest, models_dir, RuntimeOptions(), idle_ttl=0)
    yield registry
    registry.close()


def build(registry: ModelRegistry, tmp_path: Path, **settings: object) -> tuple[Services, Admission, Metrics]:
    """Services over ``registry`` with fresh gates (made inside the running loop) and metrics."""
    admission = Admission(int(settings.pop("max_concurrency", 1)), int(settings.pop("max_queue", 4)))
    metrics = Metrics(admission, registry)
    config = Settings(models_dir=tmp_path, tts_noise_scale=0.0, tts_noise_w_scale=0.0, **settings)
    return Services.build(config, registry, admission, metrics), admission, metrics


def idle(registry: ModelRegistry, admission: Admission) -> bool:
    """No slot is held and no model is leased."""
    gates = admission.snapshot().values()
    return all(g["running"] == 0 and g["waiting"] == 0 for g in gates) and all(
        s["leases"] == 0 for s in registry.status().values()
    )
