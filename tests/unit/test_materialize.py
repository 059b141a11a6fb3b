"""Materialising packaged models: atomic, idempotent, checksum-verified."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from engines.errors import ModelFileError
from engines.manifest import builtin_manifest_path, read_manifest
from engines.materialize import model_entry_point, model_location, safe_dir_name


@pytest.fixture(scope="module")
def specs():
    return read_manifest(builtin_manifest_path()).by_id()


def test_split_model_is_materialised_once_and_verified(specs, tmp_path: Path) -> None:
    base = specs["whisper-base"]
    where = model_location(base, tmp_path)
    assert where == tmp_path / "whisper-base"
    model_bin = where / "model.bin"
    assert model_bin.stat().st_size == 145_217_532
    first_mtime = model_bin.stat().st_mtime_ns
    assert model_location(base, tmp_path) == where  # idempotent: nothing rewritten
    assert model_bin.stat().st_mtime_ns == first_mtime
    assert not [p for p in where.iterdir() if p.name.endswith(".tmp")]


def test_corrupt_materialised_file_is_repaired(specs, tmp_path: Path) -> None:
    base = specs["whisper-base"]
    where = model_location(base, tmp_path)
    (where / "config.json").write_text("{}")  # changes size + mtime, so the stamp no longer vouches for it
    model_location(base, tmp_path)
    assert len((where / "config.json").read_bytes()) > 100


def test_checksum_mismatch_is_a_clear_error_naming_the_file(specs, tmp_path: Path) -> None:
    tiny = specs["whisper-tiny.en"]
    files = list(tiny.files)
    files[1] = dataclasses.replace(files[1], sha256="0" * 64)
    broken = dataclasses.replace(tiny, files=tuple(files))
    with pytest.raises(ModelFileError, match=rf"{files[1].name} is corrupt: sha256 .* does not match 0000"):
        model_location(broken, tmp_path)


def test_missing_package_is_a_clear_error(specs, tmp_path: Path) -> None:
    tiny = specs["whisper-tiny.en"]
    f = dataclasses.replace(tiny.files[0], source="not_a_real_package_xyz:model.bin")
    with pytest.raises(ModelFileError, match="not_a_real_package_xyz' is not installed"):
        model_location(dataclasses.replace(tiny, files=(f,)), tmp_path)


def test_user_path_model_missing_file(specs, tmp_path: Path) -> None:
    user = dataclasses.replace(specs["whisper-tiny.en"], path=tmp_path / "nowhere", files=())
    with pytest.raises(ModelFileError, match="nowhere is missing"):
        model_location(user, tmp_path)


def test_piper_entry_point_is_the_onnx_file(specs, tmp_path: Path) -> None:
    piper = specs["piper-en_US-joe-medium"]
    onnx = model_entry_point(piper, model_location(piper, tmp_path))
    assert onnx.name == "en_US-joe-medium.onnx" and onnx.is_file()


def test_safe_dir_name_cannot_escape() -> None:
    assert "/" not in safe_dir_name("../../etc/passwd")
    assert safe_dir_name("..") == "model"
    assert safe_dir_name("Systran/faster-whisper-large-v3") == "Systran_faster-whisper-large-v3"
