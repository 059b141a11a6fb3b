"""The model manifest: which models exist, their files, checksums, aliases and voices."""

from __future__ import annotations

import importlib.util
import logging
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any

from engines.errors import ManifestError

logger = logging.getLogger(__name__)

KINDS = ("stt", "tts", "speaker")
BACKENDS = {
    "faster-whisper": "stt",
    "piper": "tts",
    "kokoro": "tts",
    "speaker-encoder": "speaker",
    "campplus": "speaker",
}


@dataclass(frozen=True)
class ModelFile:
    """One file of a model: where it comes from and its expected sha256."""

    name: str
    sha256: str | None
    source: str | None = None  # "package:relative/path"
    parts: tuple[str, ...] = ()  # "package:relative/path" parts, concatenated in order
    size: int | None = None


@dataclass(frozen=True)
class VoicePack:
    """Extra voices for a model (``[[voice_packs]]``): a Kokoro ``.npy`` / ``.npz`` / ``voices-v1.0.bin``."""

    model: str
    path: Path
    voices: tuple[str, ...]
    sha256: str | None = None
    origin: str = "builtin"


@dataclass(frozen=True)
class ModelSpec:
    """A model as the manifest declares it."""

    id: str
    kind: str
    backend: str
    aliases: tuple[str, ...] = ()
    files: tuple[ModelFile, ...] = ()
    path: Path | None = None  # a user model: directory (whisper) or .onnx file (piper)
    english_only: bool = False
    voices: tuple[str, ...] = ()
    default: bool = False
    description: str = ""
    origin: str = "builtin"
    requires: tuple[str, ...] = ()  # Python packages (import names) the model needs: absent -> not served
    voice_packs: tuple[VoicePack, ...] = ()


@dataclass(frozen=True)
class Manifest:
    """All known models plus the OpenAI voice-name map."""

    models: tuple[ModelSpec, ...]
    voice_map: Mapping[str, str] = field(default_factory=dict)
    voice_packs: tuple[VoicePack, ...] = ()

    def by_id(self) -> dict[str, ModelSpec]:
        """Models keyed by id."""
        return {m.id: m for m in self.models}


def builtin_manifest_path() -> Path:
    """The manifest that ships with Earshot (models/manifest.toml)."""
    return Path(str(resources.files("models").joinpath("manifest.toml")))


def builtin_manifest_paths() -> list[Path]:
    """Every manifest that ships with Earshot: the models, then the speaker encoder's."""
    speaker = Path(str(resources.files("models").joinpath("speaker", "manifest.toml")))
    return [builtin_manifest_path(), speaker]


def _str_list(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ManifestError(f"{where} must be a list of non-empty strings")
    return tuple(value)


def _parse_files(raw: Any, where: str, need_source: bool) -> tuple[ModelFile, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, dict):
        raise ManifestError(f"{where}.files must be a table of file name -> source")
    files = []
    for name, entry in raw.items():
        fw = f"{where}.files.{name!r}"
        if "/" in name or "\\" in name or name in ("", ".", ".."):
            raise ManifestError(f"{fw}: a file name cannot contain a path")
        if not isinstance(entry, dict):
            raise ManifestError(f"{fw} must be a table")
        sha = entry.get("sha256")
        if sha is not None and (not isinstance(sha, str) or len(sha) != 64):
            raise ManifestError(f"{fw}.sha256 must be 64 hex characters")
        source, parts = entry.get("from"), _str_list(entry.get("parts"), f"{fw}.parts")
        if source is not None and parts:
            raise ManifestError(f"{fw} takes 'from' or 'parts', not both")
        if need_source and source is None and not parts:
            raise ManifestError(f"{fw} needs 'from' or 'parts' (or the model needs a 'path')")
        for ref in (source, *parts):
            if ref is not None and (not isinstance(ref, str) or ":" not in ref):
                raise ManifestError(f"{fw}: sources are written 'python_package:path/in/package'")
        files.append(ModelFile(name, sha.lower() if sha else None, source, parts, entry.get("size")))
    return tuple(files)


def parse_model(raw: Mapping[str, Any], origin: str, base_dir: Path | None = None) -> ModelSpec:
    """Validate one [[models]] table."""
    model_id = raw.get("id")
    where = f"{origin}: model {model_id!r}"
    if not isinstance(model_id, str) or not model_id.strip() or "\x00" in model_id:
        raise ManifestError(f"{origin}: every model needs a non-empty string 'id'")
    backend = raw.get("backend")
    if backend not in BACKENDS:
        raise ManifestError(f"{where}: backend must be one of {sorted(BACKENDS)}")
    kind = raw.get("kind", BACKENDS[backend])
    if kind != BACKENDS[backend]:
        raise ManifestError(f"{where}: backend {backend} serves kind {BACKENDS[backend]!r}, not {kind!r}")
    path = raw.get("path")
    if path is not None:
        if not isinstance(path, str) or not path or "\x00" in path:
            raise ManifestError(f"{where}: 'path' must be a non-empty string")
        path = Path(path).expanduser()
        if not path.is_absolute() and base_dir is not None:
            path = base_dir / path
    files = _parse_files(raw.get("files"), where, need_source=path is None)
    if path is None and not files:
        raise ManifestError(f"{where}: needs 'files' (packaged model) or 'path' (local model)")
    voices = _str_list(raw.get("voices"), f"{where}.voices")
    if kind == "tts" and not voices:
        voices = (model_id,)
    return ModelSpec(
        id=model_id,
        kind=kind,
        backend=backend,
        aliases=_str_list(raw.get("aliases"), f"{where}.aliases"),
        files=files,
        path=path,
        english_only=bool(raw.get("english_only", False)),
        voices=voices,
        default=bool(raw.get("default", False)),
        description=str(raw.get("description", "")),
        origin=origin,
        requires=_str_list(raw.get("requires"), f"{where}.requires"),
    )


def parse_voice_pack(raw: Any, origin: str, base_dir: Path | None = None) -> VoicePack:
    """Validate one [[voice_packs]] table: ``model``, ``path``, ``voices`` and an optional ``sha256``."""
    if not isinstance(raw, dict):
        raise ManifestError(f"{origin}: every [[voice_packs]] entry must be a table")
    model, path, sha = raw.get("model"), raw.get("path"), raw.get("sha256")
    where = f"{origin}: voice pack {path!r}"
    if not isinstance(model, str) or not model:
        raise ManifestError(f"{where}: needs 'model', the id of the model whose voices it adds")
    if not isinstance(path, str) or not path or "\x00" in path:
        raise ManifestError(f"{where}: needs 'path', the pack file")
    if sha is not None and (not isinstance(sha, str) or len(sha) != 64):
        raise ManifestError(f"{where}: sha256 must be 64 hex characters")
    voices = _str_list(raw.get("voices"), f"{where}.voices")
    if not voices:
        raise ManifestError(f"{where}: needs 'voices', the voice names it holds")
    full = Path(path).expanduser()
    if not full.is_absolute() and base_dir is not None:
        full = base_dir / full
    return VoicePack(model, full, voices, sha.lower() if sha else None, origin)


def parse_manifest(data: Mapping[str, Any], origin: str, base_dir: Path | None = None) -> Manifest:
    """Validate a manifest document (already parsed from TOML)."""
    raw_models = data.get("models", [])
    if not isinstance(raw_models, list):
        raise ManifestError(f"{origin}: 'models' must be an array of tables ([[models]])")
    voice_map = data.get("voice_map", {})
    if not isinstance(voice_map, dict) or not all(isinstance(v, str) for v in voice_map.values()):
        raise ManifestError(f"{origin}: [voice_map] must map voice names to voice ids")
    raw_packs = data.get("voice_packs", [])
    if not isinstance(raw_packs, list):
        raise ManifestError(f"{origin}: 'voice_packs' must be an array of tables ([[voice_packs]])")
    return Manifest(
        tuple(parse_model(m, origin, base_dir) for m in raw_models),
        dict(voice_map),
        tuple(parse_voice_pack(p, origin, base_dir) for p in raw_packs),
    )


def read_manifest(path: Path) -> Manifest:
    """Read and validate one manifest file."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ManifestError(f"manifest {path} does not exist") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ManifestError(f"manifest {path} is not valid TOML: {exc}") from exc
    return parse_manifest(data, str(path), base_dir=path.parent)


def merge_manifests(manifests: Iterable[Manifest]) -> Manifest:
    """Combine manifests in order; later ones may add models and remap voices, never redefine a name."""
    models: list[ModelSpec] = []
    names: dict[str, str] = {}
    voice_map: dict[str, str] = {}
    manifests_list = list(manifests)
    for manifest in manifests_list:
        for model in manifest.models:
            for name in (model.id, *model.aliases):
                if name in names:
                    raise ManifestError(
                        f"{model.origin}: name {name!r} of model {model.id!r} is already used by {names[name]!r}"
                    )
                names[name] = model.id
            models.append(model)
        voice_map.update(manifest.voice_map)
    models = _installed(models)
    packs = [p for m in manifests_list for p in m.voice_packs]
    models = _with_voice_packs(models, packs)
    for kind in KINDS:
        defaults = [m.id for m in models if m.kind == kind and m.default]
        if len(defaults) > 1:
            raise ManifestError(f"more than one default {kind} model: {defaults}")
    return Manifest(tuple(models), voice_map)


def _installed(models: list[ModelSpec]) -> list[ModelSpec]:
    """The models whose required Python packages are installed (an extra not installed: not served)."""
    kept = []
    for model in models:
        missing = [name for name in model.requires if importlib.util.find_spec(name) is None]
        if missing:
            logger.info("model %s is not served: missing Python package(s) %s", model.id, ", ".join(missing))
            continue
        kept.append(model)
    return kept


def _with_voice_packs(models: list[ModelSpec], packs: list[VoicePack]) -> list[ModelSpec]:
    """Attach each voice pack to its model (voices listed after the model's own); packs of absent models are
    skipped, a voice name the model already has is an error."""
    by_id = {m.id: m for m in models}
    for pack in packs:
        model = by_id.get(pack.model)
        if model is None:
            logger.warning("voice pack %s is not served: model %s is not available", pack.path, pack.model)
            continue
        if model.backend != "kokoro":
            raise ManifestError(
                f"{pack.origin}: voice packs are for kokoro models; {model.id} is {model.backend}"
            )
        clash = sorted(set(pack.voices) & set(model.voices))
        if clash:
            raise ManifestError(f"{pack.origin}: model {model.id} already has voice(s) {', '.join(clash)}")
        by_id[model.id] = replace(
            model, voices=model.voices + pack.voices, voice_packs=model.voice_packs + (pack,)
        )
    return [by_id[m.id] for m in models]


def load_manifests(paths: Iterable[Path]) -> Manifest:
    """Read the builtin manifest plus any extra ones (user models)."""
    return merge_manifests(read_manifest(p) for p in paths)
