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


TABLE_WIDTH = 100


def _clip(text: str, width: int) -> str:
    """``text`` cut to ``width`` columns, ending in ``...`` when cut."""
    return text if len(text) <= width else text[: max(width - 3, 0)] + "..."


def fit_names(names: list[str], width: int) -> str:
    """As many names as fit in ``width`` columns, then ``+N more`` (or ``+N``); ``-`` for none."""
    text = ", ".join(names) or "-"
    if len(text) <= width:
        return text
    for keep in range(len(names) - 1, 0, -1):
        for rest in (f"+{len(names) - keep} more", f"+{len(names) - keep}"):
            shown = f"{', '.join(names[:keep])} {rest}"
            if len(shown) <= width:
                return shown
    return _clip(f"{names[0]} +{len(names) - 1}", width)


def _compact_names(names: list[str]) -> int:
    """Width of the first name and ``+N more``: what the ALIASES column needs at least."""
    return len(f"{names[0]} +{len(names) - 1} more") if len(names) > 1 else len(names[0] if names else "-")


def fit_source(source: str, width: int) -> str:
    """``package: a +1``, ``imported: .../folder``: the informative part of a source in ``width``."""
    if len(source) <= width:
        return source
    kind, _, rest = source.partition(": ")
    room = width - len(kind) - 2
    if room < 8:
        return _clip(source, width)
    if kind == "package":
        return _clip(f"{kind}: {fit_names(rest.split(', '), room)}", width)
    last = f".../{Path(rest).name}"
    return f"{kind}: {last if len(last) <= room else '...' + rest[-(room - 3) :]}"


def table(items: list[ModelRow], width: int = TABLE_WIDTH) -> str:
    """An aligned text table within ``width`` columns: long alias lists and sources are shortened.

    LOADED appears only when a server was asked (``--url``); ``--json`` has every field in full.
    """
    columns: dict[str, list[str]] = {
        "ID": [r.id for r in items],
        "KIND": [r.kind for r in items],
        "SIZE": [human_size(r.size_bytes) for r in items],
    }
    if any(r.loaded is not None for r in items):
        columns["LOADED"] = ["yes" if r.loaded else "no" for r in items]
    widths = {name: max(len(v) for v in [name, *values]) for name, values in columns.items()}
    room = width - sum(widths.values()) - 2 * (len(columns) + 1)  # + ALIASES and SOURCE, 2-space gaps
    need_aliases = max(len(a) for a in ["ALIASES", *(", ".join(r.aliases) for r in items)])
    need_source = max(len(s) for s in ["SOURCE", *(r.source for r in items)])
    # ALIASES gets its first name and "+N more", SOURCE what is left, ALIASES whatever SOURCE does not need.
    compact = max([len("ALIASES"), *(_compact_names(r.aliases) for r in items)])
    alias_width = max(len("ALIASES"), min(compact, room - len("SOURCE")))
    source_width = max(len("SOURCE"), min(need_source, room - alias_width))
    columns["SOURCE"] = [fit_source(r.source, source_width) for r in items]
    source_used = max(len(v) for v in ["SOURCE", *columns["SOURCE"]])
    alias_width = max(alias_width, min(need_aliases, room - source_used))
    columns["ALIASES"] = [fit_names(r.aliases, alias_width) for r in items]
    widths["ALIASES"] = max(len(v) for v in ["ALIASES", *columns["ALIASES"]])
    order = ["ID", "KIND", "ALIASES", "SIZE", *(["LOADED"] if "LOADED" in columns else []), "SOURCE"]
    lines = []
    for n in range(-1, len(items)):
        cells = [name if n < 0 else columns[name][n] for name in order]
        padded = [cell.ljust(widths[name]) for cell, name in zip(cells[:-1], order, strict=False)]
        lines.append("  ".join([*padded, cells[-1]]).rstrip())
    return "\n".join(lines)


def as_dicts(items: list[ModelRow]) -> list[dict]:
    """Rows as JSON-ready dicts."""
    return [asdict(r) for r in items]
