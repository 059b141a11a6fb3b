"""Write manifest entries as TOML (the standard library reads TOML but cannot write it)."""

from __future__ import annotations

from collections.abc import Mapping

_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}


def toml_str(value: str) -> str:
    """A TOML basic string; control characters are escaped as the spec requires."""
    out = []
    for ch in value:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def toml_list(values: tuple[str, ...] | list[str]) -> str:
    """A one-line TOML array of strings."""
    return "[" + ", ".join(toml_str(v) for v in values) + "]"


def model_block(
    model_id: str,
    backend: str,
    path: str,
    aliases: tuple[str, ...] = (),
    english_only: bool = False,
    voices: tuple[str, ...] = (),
    description: str = "",
    files: Mapping[str, tuple[str, int]] | None = None,
) -> str:
    """One ``[[models]]`` table for a user model, with ``[models.files."NAME"]`` sha256 and size."""
    lines = [
        "[[models]]",
        f"id = {toml_str(model_id)}",
        f"backend = {toml_str(backend)}",
        f"path = {toml_str(path)}",
    ]
    if aliases:
        lines.append(f"aliases = {toml_list(aliases)}")
    if voices:
        lines.append(f"voices = {toml_list(voices)}")
    if english_only:
        lines.append("english_only = true")
    if description:
        lines.append(f"description = {toml_str(description)}")
    for name, (sha256, size) in (files or {}).items():
        lines += ["", f"[models.files.{toml_str(name)}]", f'sha256 = "{sha256}"', f"size = {int(size)}"]
    return "\n".join(lines) + "\n"
