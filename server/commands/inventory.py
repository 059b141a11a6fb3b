"""What ``earshot models list`` shows: every model of the merged manifests with its size and source."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

from engines.errors import EngineError
from engines.manifest import Manifest, ModelSpec, builtin_manifest_paths, load_manifests
from engines.materialize import package_file
from server.settings import Settings


def manifest_paths(settings: Settings) -> list[Path]:
    """The manifests the server reads, in its order: builtin, ``<models_dir>/manifest.toml``, extra ones."""
    paths = builtin_manifest_paths()
    user = settings.models_dir / "manifest.toml"
    if user.is_file():
        paths.append(user)
    return paths + list(settings.extra_manifests)


def load_all(settings: Settings) -> Manifest:
    """The merged manifest the server would serve."""
    return load_manifests(manifest_paths(settings))


@dataclass(frozen=True)
class ModelRow:
    """One line of ``models list``."""

    id: str
    kind: str
    backend: str
    aliases: list[str]
    size_bytes: int | None
    loaded: bool | None
    source: str


def model_size(spec: ModelSpec) -> int | None:
    """Bytes of the model's files (recorded sizes, else on disk); None when a file is missing."""
    total = 0
    try:
        if spec.path is not None:
            base = spec.path if spec.path.is_dir() else spec.path.parent
            if spec.files:
                return sum((base / f.name).stat().st_size for f in spec.files)
            if spec.path.is_file():
                return sum(p.stat().st_size for p in (spec.path, Path(f"{spec.path}.json")) if p.is_file())
            return sum(p.stat().st_size for p in spec.path.iterdir() if p.is_file())
        for f in spec.files:
            if f.size is not None:
                total += f.size
            else:
                refs = list(f.parts) if f.parts else [f.source]
                total += sum(package_file(spec.id, ref).stat().st_size for ref in refs if ref)
    except (OSError, EngineError):
        return None
    return total


def _source(spec: ModelSpec, settings: Settings) -> str:
    if spec.path is not None:
        user_manifest = str(settings.models_dir / "manifest.toml")
        return f"{'imported' if spec.origin == user_manifest else 'path'}: {spec.path}"
    packages = sorted({ref.partition(":")[0] for f in spec.files for ref in (f.source, *f.parts) if ref})
    return "package: " + ", ".join(packages)


def rows(manifest: Manifest, settings: Settings, loaded: dict[str, bool] | None) -> list[ModelRow]:
    """Rows for every model; ``loaded`` is None when no server was asked."""
    return [
        ModelRow(
            id=m.id,
            kind=m.kind,
            backend=m.backend,
            aliases=list(m.aliases),
            size_bytes=model_size(m),
            loaded=None if loaded is None else loaded.get(m.id, False),
            source=_source(m, settings),
        )
        for m in manifest.models
    ]


def human_size(size: int | None) -> str:
    """``145.2 MB``; ``?`` when unknown (a file is missing)."""
    if size is None:
        return "?"
    value = float(size)
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.1f} GB"


def table(items: list[ModelRow]) -> str:
    """A plain aligned text table."""
    header = ["ID", "KIND", "ALIASES", "SIZE", "LOADED", "SOURCE"]
    body = [
        [
            r.id,
            r.kind,
            ", ".join(r.aliases) or "-",
            human_size(r.size_bytes),
            "no" if not r.loaded else "yes",
            r.source,
        ]
        for r in items
    ]
    widths = [max(len(line[i]) for line in [header, *body]) for i in range(len(header) - 1)]
    lines = []
    for line in [header, *body]:
        lines.append(
            "  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=False)) + "  " + line[-1]
        )
    return "\n".join(lines)


def as_dicts(items: list[ModelRow]) -> list[dict]:
    """Rows as JSON-ready dicts."""
    return [asdict(r) for r in items]
