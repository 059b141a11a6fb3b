"""A missing or corrupt model answers 503 naming it; the others keep serving; a repaired one loads again."""

from __future__ import annotations

import os
from pathlib import Path

import httpx

from engines.manifest import builtin_manifest_path, read_manifest
from engines.materialize import package_file
from tests.support.fuzz import error_shape_problem
from tests.support.probe import speech_wav

CLIP = speech_wav()[: 44 + 16000 * 2 * 6]  # six seconds of speech


def _tiny_files() -> dict[str, tuple[Path, str]]:
    """whisper tiny.en's files in its package: name -> (path, sha256)."""
    spec = next(m for m in read_manifest(builtin_manifest_path()).models if m.id == "whisper-tiny.en")
    return {f.name: (package_file(spec.id, f.source), f.sha256) for f in spec.files}  # type: ignore[arg-type]


def _manifest(tmp: Path, corrupt_dir: Path) -> Path:
    files = "".join(
        f'[models.files."{name}"]\nsha256 = "{sha}"\n\n' for name, (_, sha) in _tiny_files().items()
    )
    text = (
        '[[models]]\nid = "corrupt-tiny"\nbackend = "faster-whisper"\n'
        f'path = "{corrupt_dir}"\naliases = ["corrupt-alias"]\n\n{files}'
        '[[models]]\nid = "missing-tiny"\nbackend = "faster-whisper"\n'
        f'path = "{tmp / "no-such-dir"}"\n'
    )
    path = tmp / "faulty.toml"
    path.write_text(text)
    return path


def _transcribe(base_url: str, model: str) -> httpx.Response:
    return httpx.post(
        f"{base_url}/v1/audio/transcriptions",
        files={"file": ("clip.wav", CLIP)},
        data={"model": model},
        timeout=120,
    )


def _assert_unavailable(response: httpx.Response, model_id: str) -> None:
    assert response.status_code == 503, response.text
    assert error_shape_problem(response) is None
    error = response.json()["error"]
    assert error["code"] == "model_unavailable" and error["param"] == "model"
    assert model_id in error["message"]


def test_faulty_models_are_isolated_and_retried(server_factory, tmp_path: Path) -> None:
    corrupt = tmp_path / "corrupt-tiny"
    corrupt.mkdir()
    for name, (source, _) in _tiny_files().items():
        (corrupt / name).symlink_to(source)
    model_bin = corrupt / "model.bin"
    model_bin.unlink()
    model_bin.write_bytes(b"\0" * 4096)  # wrong bytes: fails its sha256
    server = server_factory(env={"EARSHOT_EXTRA_MANIFESTS": str(_manifest(tmp_path, corrupt))})

    ready = httpx.get(f"{server.base_url}/ready", timeout=10)
    assert ready.status_code == 200  # the server is up: other models serve
    unavailable = ready.json()["unavailable"]
    assert set(unavailable) == {"corrupt-tiny", "missing-tiny"}
    assert "model.bin" in unavailable["corrupt-tiny"] and "sha256" in unavailable["corrupt-tiny"]
    assert "no-such-dir" in unavailable["missing-tiny"]

    _assert_unavailable(_transcribe(server.base_url, "corrupt-alias"), "corrupt-tiny")
    _assert_unavailable(_transcribe(server.base_url, "missing-tiny"), "missing-tiny")
    good = _transcribe(server.base_url, "whisper-tiny.en")
    assert good.status_code == 200 and "consider" in good.json()["text"].lower()

    # Repair the file: the next request verifies and loads it; the failure did not wedge the model.
    model_bin.unlink()
    os.symlink(_tiny_files()["model.bin"][0], model_bin)
    repaired = _transcribe(server.base_url, "corrupt-alias")
    assert repaired.status_code == 200, repaired.text
    assert "consider" in repaired.json()["text"].lower()
    after = httpx.get(f"{server.base_url}/ready", timeout=10).json()["unavailable"]
    assert set(after) == {"missing-tiny"}
