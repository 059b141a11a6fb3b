"""The raw engines, loaded in the bench process from the very files the server loads: the floors.

A floor is the engine library called directly, on input already in the form the engine takes (decoded
16 kHz samples for whisper; text for the voices, nothing encoded), so a server/floor ratio counts
everything Earshot adds. The "with decoding" and "with encoding" baselines sit beside them, labelled.
"""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from engines.manifest import builtin_manifest_path, load_manifests
from engines.materialize import model_entry_point, model_location

T = TypeVar("T")


def model_path(model_id: str, models_dir: Path) -> Path:
    """What the server's registry would load for ``model_id`` (materialised if needed)."""
    spec = load_manifests([builtin_manifest_path()]).by_id()[model_id]
    return model_entry_point(spec, model_location(spec, models_dir))


def on_a_thread(load: Callable[[], T]) -> T:
    """``load()`` run on a short-lived thread, as the server loads its models (a start-up thread).

    This matters for CTranslate2: it runs on libgomp, and the thread that loads a model keeps an OpenMP
    team (one more thread) for as long as it lives. Loaded on the main thread, the process then has
    more OpenMP threads than a 2-core machine has cores, libgomp switches to its throttled wait policy
    (its threads sleep at every barrier instead of spinning) and the same ``transcribe`` takes ~1.6x
    the time (10 s clip, whisper-base: 1.02 s vs 0.62 s; ``OMP_WAIT_POLICY=ACTIVE`` closes the gap).
    The server never calls a model from the thread that loaded it, so the floor must not either.
    """
    box: list[T] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            box.append(load())
        except BaseException as exc:  # noqa: BLE001 - re-raised below
            errors.append(exc)

    thread = threading.Thread(target=run, name="bench-load")
    thread.start()
    thread.join()
    if errors:
        raise errors[0]
    return box[0]


def load_whisper(path: Path, cpu_threads: int) -> Any:
    """A plain ``WhisperModel`` on CPU, int8, with the server's thread count (loaded on a thread)."""
    from faster_whisper import WhisperModel

    return on_a_thread(
        lambda: WhisperModel(
            str(path), device="cpu", compute_type="int8", cpu_threads=cpu_threads, local_files_only=True
        )
    )


def transcribe(model: Any, audio: bytes | np.ndarray, **options: Any) -> tuple[float, str]:
    """``model.transcribe`` on decoded samples (the floor) or on WAV bytes (decoding included);
    segments consumed; (seconds, text)."""
    started = time.perf_counter()
    source = io.BytesIO(audio) if isinstance(audio, bytes) else audio
    segments, _info = model.transcribe(source, **options)
    text = "".join(s.text for s in segments).strip()
    return time.perf_counter() - started, text


def load_piper(path: Path) -> Any:
    """``PiperVoice.load`` with its defaults (onnxruntime picks the threads: all cores)."""
    from piper.voice import PiperVoice

    return PiperVoice.load(path)


def piper_floor(voice: Any, text: str) -> tuple[float, float]:
    """Raw ``PiperVoice.synthesize``, nothing encoded: (whole seconds, seconds to the first sentence)."""
    started = time.perf_counter()
    first: float | None = None
    samples = 0
    for chunk in voice.synthesize(text):
        if first is None:
            first = time.perf_counter() - started
        samples += len(chunk.audio_float_array)
    whole = time.perf_counter() - started
    if first is None or samples == 0:
        raise RuntimeError("piper produced no audio")
    return whole, first
