"""The speaker encoders diarization can use, behind one protocol, and the factory that loads one by name.

``campplus`` (default): CAM++ in onnxruntime (``engines.campplus``), robust to telephone audio and short
turns. ``ge2e``: Resemblyzer's GE2E LSTM in numpy (``engines.speaker_embedding``), kept for one release.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

import numpy as np

EncoderKind = Literal["campplus", "ge2e"]
ENCODER_KINDS: tuple[EncoderKind, ...] = ("campplus", "ge2e")


@dataclass(frozen=True)
class Calibration:
    """An encoder's cosine similarities for diarization (each encoder has its own scale).

    ``threshold``: clusters less alike than this are different speakers, the middle of the range that gives
    every development condition its right speaker count (scripts/diarization_eval.py --sweep).
    ``known_min_similarity``: a cluster takes a known speaker's name only when at least this alike;
    ``share_similarity``: a further cluster shares a name already given when at least this alike.
    """

    threshold: float
    known_min_similarity: float
    share_similarity: float


CALIBRATION: dict[str, Calibration] = {
    "campplus": Calibration(threshold=0.40, known_min_similarity=0.45, share_similarity=0.65),
    "ge2e": Calibration(threshold=0.65, known_min_similarity=0.75, share_similarity=0.85),
}


class SpeakerEncoder(Protocol):
    """Maps speech to unit-norm speaker embeddings (cosine similarity compares voices)."""

    dim: int

    def embed_windows(self, audio: np.ndarray, windows: Sequence[tuple[int, int]]) -> np.ndarray:
        """One embedding per window of 10 ms frames ``(a, b)`` of 16 kHz audio: ``(len(windows), dim)``."""
        ...

    def embed_utterance(self, wav: np.ndarray) -> np.ndarray:
        """One embedding for a whole clip: ``(dim,)``."""
        ...


def load_speaker_encoder(kind: str = "campplus") -> SpeakerEncoder:
    """Load the named encoder from its bundled, checksum-verified weights (``ModelFileError`` if damaged)."""
    if kind == "campplus":
        from engines.campplus import CamPlusPlusEncoder

        return CamPlusPlusEncoder.load()
    if kind == "ge2e":
        from engines.speaker_embedding import SpeakerEncoder as Ge2eEncoder

        return Ge2eEncoder.load()
    raise ValueError(f"unknown speaker encoder {kind!r}; use one of {', '.join(ENCODER_KINDS)}")
