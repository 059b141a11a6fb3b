"""Kokoro voice packs and voice blends.

A Kokoro voice is a style table: one 256-value style row per input length (``[510, 1, 256]`` float32),
the row picked by the number of phoneme tokens. Packs come as ``voices-v1.0.bin`` / ``.npz`` (many
voices by name) or a single ``NAME.npy``. A voice's language is the first letter of its name, as in
Kokoro's own packs (``af_bella`` American English, ``jf_alpha`` Japanese, ...).

Blends follow Kokoro-FastAPI: ``a+b`` mixes equally, ``a(2)+b(1)`` by weight (normalised to sum 1).
"""

from __future__ import annotations

import math
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from engines.errors import InvalidOptionError

STYLE_DIM = 256
PACK_SUFFIXES = (".npy", ".npz", ".bin")

# Kokoro's language letters -> the language tag a voice reports (espeak-ng voice names differ: see g2p).
LANGUAGES = {
    "a": "en-us",
    "b": "en-gb",
    "e": "es",
    "f": "fr",
    "h": "hi",
    "i": "it",
    "j": "ja",
    "p": "pt-br",
    "z": "zh",
}

_TERM = re.compile(r"^\s*(?P<name>[^()+\s][^()+]*?)\s*(?:\(\s*(?P<weight>[^()]*?)\s*\))?\s*$")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


def voice_language(name: str) -> str | None:
    """The language of a Kokoro voice from its name (``af_bella`` -> ``en-us``), None if unknown."""
    if len(name) >= 3 and name[1] in "fm" and name[2] == "_":
        return LANGUAGES.get(name[0].lower())
    return None


def is_blend(voice: str) -> bool:
    """Whether a voice name is a blend expression (``a+b`` or ``a(2)``)."""
    return "+" in voice or "(" in voice


@dataclass(frozen=True)
class BlendTerm:
    """One voice of a blend and its weight (not yet normalised)."""

    voice: str
    weight: float


def parse_blend(expression: str) -> tuple[BlendTerm, ...]:
    """``a(2)+b(1)`` -> terms; raises :class:`InvalidOptionError` on ``voice`` when malformed."""
    terms: list[BlendTerm] = []
    for raw in expression.split("+"):
        match = _TERM.match(raw)
        if match is None:
            raise InvalidOptionError(
                f"Invalid voice blend '{expression}': write voices joined by '+', each with an optional "
                "positive weight in parentheses, e.g. 'jf_alpha(2)+jf_nezumi(1)'.",
                "voice",
            )
        weight = 1.0
        if match.group("weight") is not None:
            try:
                weight = float(match.group("weight"))
            except ValueError:
                weight = math.nan
            if not (math.isfinite(weight) and weight > 0):
                raise InvalidOptionError(
                    f"Invalid weight '{match.group('weight')}' in voice blend '{expression}': "
                    "weights must be positive numbers, e.g. 'jf_alpha(2)+jf_nezumi(1)'.",
                    "voice",
                )
        terms.append(BlendTerm(match.group("name"), weight))
    if len({t.voice for t in terms}) != len(terms):
        raise InvalidOptionError(
            f"Voice blend '{expression}' names a voice twice; give it one weight.", "voice"
        )
    return tuple(terms)


def format_blend(terms: tuple[BlendTerm, ...]) -> str:
    """The canonical text of a blend (``a(2)+b(1)``)."""
    return "+".join(f"{t.voice}({t.weight:g})" for t in terms)


def mix(styles: list[np.ndarray], weights: list[float]) -> np.ndarray:
    """The weighted mean of style tables (weights normalised to sum 1)."""
    total = sum(weights)
    out = np.zeros_like(styles[0], dtype=np.float32)
    for style, weight in zip(styles, weights, strict=True):
        out += style.astype(np.float32) * np.float32(weight / total)
    return out


def check_style(name: str, array: np.ndarray) -> np.ndarray:
    """A style table as float32 ``[rows, 1, 256]``; ValueError when it is not one."""
    array = np.asarray(array)
    if array.ndim == 2 and array.shape[1] == STYLE_DIM:
        array = array[:, None, :]
    if array.ndim != 3 or array.shape[1:] != (1, STYLE_DIM) or array.shape[0] < 1:
        raise ValueError(f"voice {name!r} has shape {array.shape}, expected [N, 1, {STYLE_DIM}]")
    if not np.issubdtype(array.dtype, np.floating) or not np.isfinite(array).all():
        raise ValueError(f"voice {name!r} is not a finite float table")
    return array.astype(np.float32)


def read_pack(path: Path) -> dict[str, np.ndarray]:
    """Every voice in a pack: ``NAME.npy`` (one voice, named after the file) or an npz archive."""
    if path.suffix == ".npy":
        if not _NAME.match(path.stem):
            raise ValueError(f"{path.name}: a voice name may hold letters, digits, '.', '_' and '-' only")
        return {path.stem: check_style(path.stem, np.load(path, allow_pickle=False))}
    if not zipfile.is_zipfile(path):
        raise ValueError(f"{path.name} is not a voice pack (.npy, or an npz archive such as voices-v1.0.bin)")
    with np.load(path, allow_pickle=False) as archive:
        voices = {name: check_style(name, archive[name]) for name in archive.files}
    bad = [name for name in voices if not _NAME.match(name)]
    if bad or not voices:
        raise ValueError(f"{path.name}: no voices, or voice names with odd characters: {bad}")
    return voices


def pack_voice_names(path: Path) -> list[str]:
    """The voice names a pack holds (reads the pack)."""
    return list(read_pack(path))
