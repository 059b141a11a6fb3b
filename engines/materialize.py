"""Turn a manifest entry into a verified path on disk that a backend can load.

Packaged models whose files all sit in one package directory are used in place; split or
scattered ones are written into the models directory once, atomically (temp file + rename),
and every file is checked against its sha256. Verified files are remembered in a small stamp
file (size + mtime + sha256) so a restart does not hash hundreds of megabytes again.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import os
import re
import shutil
from collections.abc import Iterable
from pathlib import Path

from engines.errors import ModelFileError
from engines.manifest import ModelFile, ModelSpec

logger = logging.getLogger(__name__)

_CHUNK = 4 << 20
_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_dir_name(model_id: str) -> str:
    """A directory name for a model id that cannot climb out of the models directory."""
    name = _SAFE.sub("_", model_id).strip("._") or "model"
    return name


def package_file(model_id: str, ref: str) -> Path:
    """Locate ``package:relative/path`` inside an installed Python package (without importing it)."""
    package, _, rel = ref.partition(":")
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        spec = None
    if spec is None or not spec.submodule_search_locations:
        raise ModelFileError(model_id, ref, f"is missing: the Python package '{package}' is not installed")
    base = Path(next(iter(spec.submodule_search_locations)))
    path = (base / rel).resolve()
    if base.resolve() not in path.parents:
        raise ModelFileError(model_id, ref, "points outside its package")
    if not path.is_file():
        raise ModelFileError(model_id, str(path), "is missing")
    return path


def sha256_of(paths: Iterable[Path]) -> str:
    """sha256 of the concatenation of files."""
    digest = hashlib.sha256()
    for path in paths:
        with path.open("rb") as fh:
            while chunk := fh.read(_CHUNK):
                digest.update(chunk)
    return digest.hexdigest()


class _Stamps:
    """Remembers files already verified (path -> size, mtime_ns, sha256)."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.entries: dict[str, list] = {}
        if path is not None and path.is_file():
            try:
                self.entries = json.loads(path.read_text())
            except (OSError, ValueError):
                self.entries = {}

    @staticmethod
    def _key(file: Path) -> list:
        st = file.stat()
        return [st.st_size, st.st_mtime_ns]

    def verified(self, file: Path, sha256: str) -> bool:
        entry = self.entries.get(str(file))
        return entry is not None and entry[:2] == self._key(file) and entry[2] == sha256

    def remember(self, file: Path, sha256: str) -> None:
        self.entries[str(file)] = [*self._key(file), sha256]

    def save(self) -> None:
        if self.path is None:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
            tmp.write_text(json.dumps(self.entries))
            os.replace(tmp, self.path)
        except OSError:
            logger.warning("cannot write checksum stamps to %s", self.path)


def _verify(model_id: str, file: Path, expected: str | None, stamps: _Stamps) -> None:
    if expected is None or stamps.verified(file, expected):
        return
    actual = sha256_of([file])
    if actual != expected:
        raise ModelFileError(model_id, str(file), f"is corrupt: sha256 {actual} does not match {expected}")
    stamps.remember(file, expected)


def _write_atomically(model_id: str, dest: Path, sources: list[Path], expected: str | None) -> None:
    """Concatenate ``sources`` into ``dest`` via a temp file, checking the sha256 before the rename."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.tmp")
    digest = hashlib.sha256()
    try:
        with tmp.open("wb") as out:
            for src in sources:
                with src.open("rb") as fh:
                    while chunk := fh.read(_CHUNK):
                        digest.update(chunk)
                        out.write(chunk)
        if expected is not None and digest.hexdigest() != expected:
            raise ModelFileError(
                model_id,
                str(dest),
                f"is corrupt: its sources give sha256 {digest.hexdigest()}, expected {expected}",
            )
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)


def _in_place_dir(model_id: str, files: tuple[ModelFile, ...]) -> Path | None:
    """The package directory holding every file under its own name, if there is one."""
    if any(f.parts or f.source is None for f in files):
        return None
    paths = [package_file(model_id, f.source) for f in files]  # type: ignore[arg-type]
    parents = {p.parent for p in paths}
    if len(parents) == 1 and all(p.name == f.name for p, f in zip(paths, files, strict=True)):
        return parents.pop()
    return None


def model_location(spec: ModelSpec, models_dir: Path) -> Path:
    """Directory (or for piper the .onnx file's directory) where the model's files live, verified.

    Materialises packaged split models into ``models_dir`` if needed; idempotent.
    """
    stamps = _Stamps(models_dir / ".verified.json")
    try:
        if spec.path is not None:
            base = spec.path if spec.path.is_dir() else spec.path.parent
            if not spec.path.exists():
                raise ModelFileError(spec.id, str(spec.path), "is missing")
            for f in spec.files:
                path = base / f.name
                if not path.is_file():
                    raise ModelFileError(spec.id, str(path), "is missing")
                _verify(spec.id, path, f.sha256, stamps)
            return base
        in_place = _in_place_dir(spec.id, spec.files)
        if in_place is not None:
            for f in spec.files:
                _verify(spec.id, in_place / f.name, f.sha256, stamps)
            return in_place
        target = models_dir / safe_dir_name(spec.id)
        for f in spec.files:
            dest = target / f.name
            if dest.is_file():
                try:
                    _verify(spec.id, dest, f.sha256, stamps)
                    continue
                except ModelFileError:
                    logger.warning("re-materialising %s: the copy on disk is corrupt", dest)
            refs = list(f.parts) if f.parts else [f.source]  # type: ignore[list-item]
            sources = [package_file(spec.id, ref) for ref in refs]
            logger.info("materialising %s from %s", dest, ", ".join(refs))
            _write_atomically(spec.id, dest, sources, f.sha256)
            if f.sha256:
                stamps.remember(dest, f.sha256)
        return target
    finally:
        stamps.save()


def model_entry_point(spec: ModelSpec, location: Path) -> Path:
    """What the backend loads: the directory for whisper, the .onnx file for piper, the weights file for
    the speaker encoder."""
    if spec.backend in ("speaker-encoder", "campplus"):
        if spec.path is not None and spec.path.is_file():
            return spec.path
        if not spec.files:
            raise ModelFileError(spec.id, str(location), "names no speaker encoder file")
        return location / spec.files[0].name
    if spec.backend != "piper":
        return location
    if spec.path is not None and spec.path.is_file():
        return spec.path
    onnx = sorted(p for p in location.iterdir() if p.suffix == ".onnx") if location.is_dir() else []
    named = [f.name for f in spec.files if f.name.endswith(".onnx")]
    if named:
        return location / named[0]
    if not onnx:
        raise ModelFileError(spec.id, str(location), "holds no .onnx voice")
    return onnx[0]


def remove_materialised(spec: ModelSpec, models_dir: Path) -> None:
    """Delete a materialised copy (used by tests and `models verify --repair`)."""
    shutil.rmtree(models_dir / safe_dir_name(spec.id), ignore_errors=True)
