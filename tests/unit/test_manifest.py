"""Manifest parsing, merging and the builtin manifest."""

from __future__ import annotations

from pathlib import Path

import pytest

from engines.errors import ManifestError
from engines.manifest import builtin_manifest_path, load_manifests, parse_manifest, read_manifest


def test_builtin_manifest_lists_the_embedded_models() -> None:
    manifest = read_manifest(builtin_manifest_path())
    ids = {m.id: m for m in manifest.models}
    assert set(ids) == {"whisper-base", "whisper-tiny.en", "piper-en_US-joe-medium", "kokoro-82m"}
    assert ids["kokoro-82m"].requires  # served only with the kokoro extra installed
    assert ids["whisper-tiny.en"].english_only
    assert "whisper-1" in ids["whisper-base"].aliases
    assert all(f.sha256 for m in manifest.models for f in m.files)
    assert set(manifest.voice_map) >= {"alloy", "ash", "ballad", "coral", "echo", "fable", "nova", "onyx", "sage",
                                       "shimmer", "verse", "marin", "cedar"}


@pytest.mark.parametrize(
    "doc,message",
    [
        ({"models": [{"backend": "piper"}]}, "non-empty string 'id'"),
        ({"models": [{"id": "x", "backend": "espnet"}]}, "backend must be one of"),
        ({"models": [{"id": "x", "backend": "piper", "kind": "stt", "path": "/a"}]}, "serves kind"),
        ({"models": [{"id": "x", "backend": "piper"}]}, "needs 'files'"),
        ({"models": [{"id": "x", "backend": "piper", "files": {"../a": {"from": "p:a"}}}]}, "cannot contain a path"),
        ({"models": [{"id": "x", "backend": "piper", "files": {"a": {"from": "p:a", "sha256": "12"}}}]}, "64 hex"),
        ({"models": [{"id": "x", "backend": "piper", "files": {"a": {"from": "nocolon"}}}]}, "python_package:"),
        ({"models": "nope"}, "array of tables"),
    ],
)
def test_malformed_entries_are_clear_errors(doc: dict, message: str) -> None:
    with pytest.raises(ManifestError, match=message):
        parse_manifest(doc, "test.toml")


def test_user_manifest_adds_models_but_cannot_reuse_names(tmp_path: Path) -> None:
    user = tmp_path / "user.toml"
    user.write_text('[[models]]\nid = "my-large-v3"\nbackend = "faster-whisper"\npath = "large-v3"\n'
                    'aliases = ["large"]\n[voice_map]\nalloy = "en_US-joe-medium"\n')
    merged = load_manifests([builtin_manifest_path(), user])
    mine = merged.by_id()["my-large-v3"]
    assert mine.path == tmp_path / "large-v3"  # relative paths are relative to the manifest
    assert mine.kind == "stt" and mine.origin == str(user)

    clash = tmp_path / "clash.toml"
    clash.write_text('[[models]]\nid = "mine"\nbackend = "piper"\npath = "/v.onnx"\naliases = ["tts-1"]\n')
    with pytest.raises(ManifestError, match="'tts-1'.*already used"):
        load_manifests([builtin_manifest_path(), clash])


def test_invalid_toml_names_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[[models]\n")
    with pytest.raises(ManifestError, match="bad.toml is not valid TOML"):
        read_manifest(bad)
