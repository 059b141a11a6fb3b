"""Re-check every model's files against their recorded sha256 (no cached stamps are trusted)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from engines.errors import EngineError, ModelFileError
from engines.manifest import ModelSpec
from engines.materialize import model_entry_point, model_location, sha256_of


@dataclass(frozen=True)
class Verdict:
    """The outcome of verifying one model."""

    model_id: str
    ok: bool
    location: Path | None
    checked: int  # files whose sha256 was recomputed
    unchecked: tuple[str, ...] = ()  # files present but without a recorded sha256
    problem: str | None = None


def _required_files(spec: ModelSpec, location: Path) -> list[Path]:
    """Files a model cannot load without, for user models that list no checksums."""
    if spec.backend == "piper":
        onnx = model_entry_point(spec, location)
        return [onnx, onnx.with_name(onnx.name + ".json")]
    return [location / "model.bin", location / "config.json"]


def verify_model(spec: ModelSpec, models_dir: Path, progress: Callable[[int], None] | None = None) -> Verdict:
    """Materialise the model if needed, then hash every file it declares and compare."""
    try:
        location = model_location(spec, models_dir)
        checked = 0
        for f in spec.files:
            path = location / f.name
            if not path.is_file():
                raise ModelFileError(spec.id, str(path), "is missing")
            if f.sha256 is None:
                continue
            actual = sha256_of([path])
            if actual != f.sha256:
                raise ModelFileError(
                    spec.id, str(path), f"is corrupt: sha256 {actual} does not match {f.sha256}"
                )
            checked += 1
            if progress is not None:
                progress(path.stat().st_size)
        for pack in spec.voice_packs:  # kokoro voices imported as packs
            if not pack.path.is_file():
                raise ModelFileError(spec.id, str(pack.path), "is missing")
            if pack.sha256 is not None and sha256_of([pack.path]) != pack.sha256:
                problem = f"is corrupt: sha256 does not match {pack.sha256}"
                raise ModelFileError(spec.id, str(pack.path), problem)
            checked += 1
        unchecked: list[str] = [f.name for f in spec.files if f.sha256 is None]
        if not spec.files:
            for path in _required_files(spec, location):
                if not path.is_file():
                    raise ModelFileError(spec.id, str(path), "is missing")
                unchecked.append(path.name)
    except EngineError as exc:
        return Verdict(spec.id, False, None, 0, problem=str(exc))
    return Verdict(spec.id, True, location, checked, tuple(unchecked))


def read_checked(model_id: str, path: Path, sha256: str | None) -> bytes:
    """A model file's bytes, checked against ``sha256`` when given; ``ModelFileError`` if not."""
    import hashlib

    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ModelFileError(model_id, str(path), f"cannot be read ({exc.strerror})") from exc
    if sha256 and hashlib.sha256(raw).hexdigest() != sha256:
        raise ModelFileError(model_id, str(path), "does not match its recorded sha256")
    return raw
