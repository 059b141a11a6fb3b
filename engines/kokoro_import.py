"""Import Kokoro voice packs and Kokoro ONNX exports into the models directory.

- A voice pack (``NAME.npy``, or ``voices-v1.0.bin`` / ``.npz`` holding many voices) adds voices to an
  existing kokoro model: the file is copied to ``<models_dir>/kokoro-voices/`` and a ``[[voice_packs]]``
  table with its sha256 is appended to ``<models_dir>/manifest.toml``.
- A Kokoro ONNX export (fp32, fp16, int8: an ``.onnx`` whose inputs are tokens/input_ids, style and speed)
  with a voices file beside it becomes a new kokoro model through :func:`engines.importer.import_found`.
"""

from __future__ import annotations

import os
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path

from engines.importer import _HEADER, FoundModel, ImportRejected, Progress, _copy_hashing
from engines.kokoro_voices import PACK_SUFFIXES, read_pack, voice_language
from engines.manifest import Manifest, VoicePack, merge_manifests, parse_manifest
from engines.tomlwrite import toml_list, toml_str

VOICES_DIR = "kokoro-voices"
DEFAULT_MODEL = "kokoro-82m"
_VOCAB_FILES = ("vocab.json", "config.json")


@dataclass(frozen=True)
class ImportedPack:
    """What a voice-pack import wrote."""

    pack: VoicePack
    manifest: Path
    sha256: str
    bytes: int


def is_voice_pack(source: Path) -> bool:
    """Whether ``source`` looks like a Kokoro voice pack file (checked properly on import)."""
    return source.is_file() and source.suffix in PACK_SUFFIXES


def _pack_voices(source: Path) -> tuple[str, ...]:
    try:
        voices = tuple(read_pack(source))
    except (OSError, ValueError) as exc:
        raise ImportRejected(f"{source}: not a Kokoro voice pack ({exc})") from exc
    unnamed = [v for v in voices if voice_language(v) is None]
    if unnamed:
        raise ImportRejected(
            f"{source}: cannot tell the language of voice(s) {', '.join(unnamed)}. Name Kokoro voices with a "
            "language letter, f or m, and '_': af_bella (American English), bf_emma (British), "
            "jf_alpha (Japanese), ef_dora (Spanish), ff_siwis (French), hf_alpha, if_sara, pf_dora, "
            "zf_xiaobei."
        )
    return voices


def import_voice_pack(
    source: Path,
    models_dir: Path,
    existing: Manifest,
    model_id: str = DEFAULT_MODEL,
    progress: Progress | None = None,
) -> ImportedPack:
    """Copy a voice pack into ``models_dir`` and record it for ``model_id`` in the user manifest."""
    source = source.expanduser()
    voices = _pack_voices(source)
    model = existing.by_id().get(model_id)
    if model is None or model.backend != "kokoro":
        kokoros = [m.id for m in existing.models if m.backend == "kokoro"]
        hint = (
            f"kokoro models: {', '.join(kokoros)}" if kokoros else "install it: pip install 'earshot[kokoro]'"
        )
        raise ImportRejected(
            f"no kokoro model {model_id!r} to add voices to ({hint}); choose one with --model"
        )
    clash = sorted(set(voices) & set(model.voices))
    if clash:
        raise ImportRejected(f"model {model_id} already has voice(s) {', '.join(clash)}; rename the pack")
    target_dir = models_dir / VOICES_DIR
    target = target_dir / source.name
    if target.exists():
        raise ImportRejected(f"{target} already exists; rename the pack or remove the old one")
    target_dir.mkdir(parents=True, exist_ok=True)
    fd, staged = tempfile.mkstemp(prefix=f".{source.name}.", dir=target_dir)
    os.close(fd)
    staging = Path(staged)
    try:
        digest = _copy_hashing(source, staging, progress)
        staging.chmod(0o644)  # mkstemp makes it private; the server may run as another user
        size = staging.stat().st_size
        manifest = models_dir / "manifest.toml"
        old = manifest.read_text(encoding="utf-8") if manifest.is_file() else _HEADER
        block = voice_pack_block(model_id, f"{VOICES_DIR}/{source.name}", voices, digest)
        new_text = old + ("" if old.endswith("\n\n") else "\n") + block
        parsed = parse_manifest(tomllib.loads(new_text), str(manifest), base_dir=manifest.parent)
        merge_manifests([Manifest(existing.models, {}), Manifest((), {}, parsed.voice_packs[-1:])])
        os.replace(staging, target)
        tmp = manifest.with_name(f".{manifest.name}.{os.getpid()}.tmp")
        tmp.write_text(new_text, encoding="utf-8")
        os.replace(tmp, manifest)
    finally:
        staging.unlink(missing_ok=True)
    return ImportedPack(parsed.voice_packs[-1], manifest, digest, size)


def voice_pack_block(model_id: str, path: str, voices: tuple[str, ...], sha256: str) -> str:
    """One ``[[voice_packs]]`` table."""
    return (
        "\n".join(
            [
                "[[voice_packs]]",
                f"model = {toml_str(model_id)}",
                f"path = {toml_str(path)}",
                f"voices = {toml_list(voices)}",
                f'sha256 = "{sha256}"',
            ]
        )
        + "\n"
    )


def _is_kokoro_onnx(path: Path) -> bool:
    """An ONNX graph with Kokoro's inputs (tokens or input_ids, style, speed)."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_DISABLE_ALL
    try:
        session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    except Exception:  # noqa: BLE001 - not loadable: not ours to import as Kokoro
        return False
    names = {i.name for i in session.get_inputs()}
    return {"style", "speed"} <= names and bool({"tokens", "input_ids"} & names)


def find_kokoro_export(source: Path) -> FoundModel | None:
    """A Kokoro ONNX export with its voices file(s) beside it, or None when ``source`` is not one."""
    source = source.expanduser()
    if source.is_file() and source.suffix == ".onnx" and not source.with_name(source.name + ".json").exists():
        onnx = source
    elif source.is_dir():
        candidates = [p for p in sorted(source.glob("*.onnx")) if not p.with_name(p.name + ".json").exists()]
        if len(candidates) != 1:
            return None
        onnx = candidates[0]
    else:
        return None
    if not _is_kokoro_onnx(onnx):
        return None
    packs = [p for p in sorted(onnx.parent.iterdir()) if p.is_file() and p.suffix in PACK_SUFFIXES]
    if not packs:
        raise ImportRejected(
            f"{onnx}: a Kokoro model needs its voices beside it (voices-v1.0.bin, or NAME.npy packs)"
        )
    voices: list[str] = []
    for pack in packs:
        voices.extend(_pack_voices(pack))
    vocab = [onnx.parent / n for n in _VOCAB_FILES if (onnx.parent / n).is_file()][:1]
    return FoundModel("kokoro", (onnx, *packs, *vocab), onnx.stem, voices=tuple(dict.fromkeys(voices)))
