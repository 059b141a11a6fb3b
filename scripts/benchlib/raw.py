"""The raw engines, loaded in the bench process from the very files the server loads."""

from __future__ import annotations

import io
import time
from pathlib import Path
from typing import Any

from engines.manifest import builtin_manifest_path, load_manifests
from engines.materialize import model_entry_point, model_location


def model_path(model_id: str, models_dir: Path) -> Path:
    """What the server's registry would load for ``model_id`` (materialised if needed)."""
    spec = load_manifests([builtin_manifest_path()]).by_id()[model_id]
    return model_entry_point(spec, model_location(spec, models_dir))


def load_whisper(path: Path, cpu_threads: int) -> Any:
    """A plain ``WhisperModel`` on CPU, int8, with the server's thread count."""
    from faster_whisper import WhisperModel

    return WhisperModel(
        str(path), device="cpu", compute_type="int8", cpu_threads=cpu_threads, local_files_only=True
    )


def transcribe(model: Any, wav: bytes, **options: Any) -> tuple[float, str]:
    """``model.transcribe`` on the WAV bytes (decoding included), segments consumed; (seconds, text)."""
    started = time.perf_counter()
    segments, _info = model.transcribe(io.BytesIO(wav), **options)
    text = "".join(s.text for s in segments).strip()
    return time.perf_counter() - started, text


def load_piper(path: Path) -> Any:
    """``PiperVoice.load`` with its defaults (onnxruntime picks the threads: all cores)."""
    from piper.voice import PiperVoice

    return PiperVoice.load(path)
