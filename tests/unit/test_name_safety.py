"""Resolving model and voice names never touches the filesystem, whatever the name."""

from __future__ import annotations

import builtins
import os
from pathlib import Path

import pytest

from engines.errors import ModelNotFoundError, VoiceNotFoundError
from engines.manifest import builtin_manifest_path, load_manifests
from engines.registry import ModelRegistry
from engines.types import RuntimeOptions

NAMES = ["../../etc/passwd", "/etc/passwd", "whisper-base\x00", "a\x00b", "..", "~root", "C:\\x", "", " "]


def _forbid(*_: object, **__: object) -> None:
    raise AssertionError("a name reached the filesystem")


def test_hostile_names_resolve_without_io(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    registry = ModelRegistry(load_manifests([builtin_manifest_path()]), tmp_path, RuntimeOptions())
    assert registry.resolve("whisper-1").id == "whisper-base"  # the table works before I/O is cut off
    for module, name in [(builtins, "open"), (os, "open"), (os, "stat"), (os, "lstat"), (os, "listdir"),
                         (os, "scandir"), (os.path, "exists"), (Path, "stat"), (Path, "exists")]:  # fmt: skip
        monkeypatch.setattr(module, name, _forbid)
    for name in NAMES:
        with pytest.raises(ModelNotFoundError):
            registry.resolve(name)
        for kind in ("stt", "tts"):
            with pytest.raises(ModelNotFoundError):
                registry.resolve(name, kind)
        with pytest.raises(VoiceNotFoundError):
            registry.resolve_voice(name)
    assert registry.resolve_voice("alloy")[1] == "en_US-joe-medium"
