"""The registry: resolution, lazy loading of real models, leases, idle unload, failure retry."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from engines.errors import ModelNotFoundError, ModelUnavailableError, VoiceNotFoundError
from engines.manifest import Manifest, builtin_manifest_path, read_manifest
from engines.registry import DEFAULT_LOADERS, ModelRegistry
from engines.types import RuntimeOptions


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def manifest() -> Manifest:
    return read_manifest(builtin_manifest_path())


def test_resolution(manifest: Manifest, tmp_path: Path) -> None:
    reg = ModelRegistry(manifest, tmp_path, RuntimeOptions())
    assert reg.resolve("whisper-1").id == "whisper-base"
    assert reg.resolve("tts-1", kind="tts").id == "piper-en_US-joe-medium"
    with pytest.raises(ModelNotFoundError):
        reg.resolve("tts-1", kind="stt")  # right name, wrong kind: never a silent fallback
    with pytest.raises(ModelNotFoundError):
        reg.resolve("../whisper-base")
    assert reg.default("stt").id == "whisper-base"
    assert reg.resolve_voice("alloy") == (reg.resolve("tts-1"), "en_US-joe-medium")
    assert reg.resolve_voice("en_US-joe-medium")[1] == "en_US-joe-medium"
    with pytest.raises(VoiceNotFoundError):
        reg.resolve_voice("nobody")


def test_lazy_load_lease_and_idle_unload_with_a_real_model(manifest: Manifest, tmp_path: Path) -> None:
    clock = Clock()
    reg = ModelRegistry(manifest, tmp_path, RuntimeOptions(cpu_threads=1), idle_ttl=10, clock=clock)
    assert not reg.is_loaded("whisper-tiny.en")
    with reg.lease("whisper-tiny.en") as engine:
        assert engine.model is not None and engine.english_only
        clock.now = 100
        assert reg.unload_idle() == []  # leased models never unload
    assert reg.is_loaded("whisper-tiny.en")
    clock.now = 105
    assert reg.unload_idle() == []  # idle 5 s < ttl
    clock.now = 111
    assert reg.unload_idle() == ["whisper-tiny.en"]
    assert not reg.is_loaded("whisper-tiny.en")
    assert reg.status()["whisper-tiny.en"]["load_seconds"] > 0


def test_failed_load_is_reported_and_retried(manifest: Manifest, tmp_path: Path) -> None:
    calls = []

    def flaky(spec, path, runtime):
        calls.append(spec.id)
        if len(calls) == 1:
            raise RuntimeError("weights unreadable")
        return DEFAULT_LOADERS["faster-whisper"](spec, path, runtime)

    loaders = {**DEFAULT_LOADERS, "faster-whisper": flaky}
    reg = ModelRegistry(manifest, tmp_path, RuntimeOptions(cpu_threads=1), loaders=loaders)
    with pytest.raises(ModelUnavailableError, match="whisper-tiny.en.*weights unreadable"):
        reg.acquire("whisper-tiny.en")
    assert "weights unreadable" in reg.status()["whisper-tiny.en"]["error"]
    with reg.lease("whisper-tiny.en"):
        pass  # the second request retries and succeeds
    assert reg.status()["whisper-tiny.en"]["error"] is None


def test_corrupt_model_is_isolated(manifest: Manifest, tmp_path: Path) -> None:
    specs = list(manifest.models)
    tiny = specs[1]
    bad_file = dataclasses.replace(tiny.files[0], sha256="f" * 64)
    specs[1] = dataclasses.replace(tiny, files=(bad_file, *tiny.files[1:]))
    reg = ModelRegistry(Manifest(tuple(specs), manifest.voice_map), tmp_path, RuntimeOptions())
    failures = reg.prepare()
    assert list(failures) == ["whisper-tiny.en"] and "model.bin is corrupt" in failures["whisper-tiny.en"]
    with pytest.raises(ModelUnavailableError, match="model.bin"):
        reg.acquire("whisper-tiny.en")
