"""GE2E speaker encoder (Resemblyzer's d-vector model) in numpy: mel front-end + 3-layer LSTM -> 256-d.

The weights are Resemblyzer 0.1.4's ``pretrained.pt`` (Apache-2.0), converted once to
``models/speaker/ge2e_resemblyzer.npz`` by ``scripts/convert_resemblyzer.py``; torch is never needed.
The front-end matches Resemblyzer's ``wav_to_mel_spectrogram`` (librosa ``melspectrogram``: 16 kHz,
25 ms Hann window, 10 ms hop, centred frames, 40 Slaney mel bands, power 2, *not* log), and the
network matches ``VoiceEncoder.forward`` (last layer's final hidden state -> linear -> ReLU -> L2 norm).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from engines.verify import read_checked

SAMPLE_RATE = 16000
N_FFT = 400  # 25 ms
HOP = 160  # 10 ms
N_MELS = 40
PARTIAL_FRAMES = 160  # 1.6 s, the window the model was trained on
NORM_TARGET_DBFS = -30.0
DEFAULT_WEIGHTS = Path(__file__).resolve().parents[1] / "models" / "speaker" / "ge2e_resemblyzer.npz"
DEFAULT_SHA256 = "4bd190d4b9cafa5f24ba91d955a8716cb6a196d38fa066e5b9eaae9be3ea8ebb"
MODEL_ID = "ge2e-resemblyzer"


def _hz_to_mel(hz: np.ndarray) -> np.ndarray:
    """Slaney's mel scale (librosa's default, ``htk=False``)."""
    hz = np.asarray(hz, dtype=np.float64)
    mel = hz / (200.0 / 3)
    log_region = hz >= 1000.0
    return np.where(log_region, 15.0 + np.log(np.maximum(hz, 1e-10) / 1000.0) / (np.log(6.4) / 27.0), mel)


def _mel_to_hz(mel: np.ndarray) -> np.ndarray:
    mel = np.asarray(mel, dtype=np.float64)
    hz = mel * (200.0 / 3)
    return np.where(mel >= 15.0, 1000.0 * np.exp((np.log(6.4) / 27.0) * (mel - 15.0)), hz)


def mel_filterbank(sr: int = SAMPLE_RATE, n_fft: int = N_FFT, n_mels: int = N_MELS) -> np.ndarray:
    """Slaney-normalised triangular mel filters, shape ``(n_mels, 1 + n_fft // 2)`` (as librosa's)."""
    fft_freqs = np.linspace(0, sr / 2, 1 + n_fft // 2)
    mel_f = _mel_to_hz(np.linspace(_hz_to_mel(0.0), _hz_to_mel(sr / 2), n_mels + 2))
    fdiff = np.diff(mel_f)
    ramps = mel_f[:, None] - fft_freqs[None, :]
    lower = -ramps[:-2] / fdiff[:-1, None]
    upper = ramps[2:] / fdiff[1:, None]
    weights = np.maximum(0.0, np.minimum(lower, upper))
    weights *= (2.0 / (mel_f[2 : n_mels + 2] - mel_f[:n_mels]))[:, None]
    return weights.astype(np.float32)


_MEL = mel_filterbank()
_WINDOW = (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(N_FFT) / N_FFT)).astype(np.float32)  # periodic Hann


def mel_spectrogram(wav: np.ndarray, block_frames: int = 6000) -> np.ndarray:
    """Power mel spectrogram, shape ``(1 + len(wav) // HOP, N_MELS)``, centred frames (zero padded).

    Computed ``block_frames`` (60 s) at a time so long audio never holds its whole spectrum in memory.
    """
    padded = np.pad(np.asarray(wav, dtype=np.float32), N_FFT // 2)
    n_frames = 1 + (len(padded) - N_FFT) // HOP
    frames = np.lib.stride_tricks.as_strided(
        padded, (n_frames, N_FFT), (padded.strides[0] * HOP, padded.strides[0]), writeable=False
    )
    out = np.empty((n_frames, N_MELS), dtype=np.float32)
    for start in range(0, n_frames, block_frames):
        block = frames[start : start + block_frames] * _WINDOW
        power = np.square(np.abs(np.fft.rfft(block, axis=1))).astype(np.float32)
        out[start : start + block_frames] = power @ _MEL.T
    return out


def normalize_volume(wav: np.ndarray, target_dbfs: float = NORM_TARGET_DBFS) -> np.ndarray:
    """Raise (never lower) the level to ``target_dbfs`` RMS, as Resemblyzer's preprocessing does."""
    rms = float(np.sqrt(np.mean(np.square(wav, dtype=np.float64)))) if len(wav) else 0.0
    if rms <= 1e-9:
        return wav
    change = target_dbfs - 20 * np.log10(rms)
    return wav if change < 0 else (wav * 10 ** (change / 20)).astype(np.float32)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))


class SpeakerEncoder:
    """The GE2E LSTM speaker encoder; ``embed(mels)`` maps mel windows to unit 256-d d-vectors."""

    dim = 256

    def __init__(self, weights: dict[str, np.ndarray]) -> None:
        from threadpoolctl import ThreadpoolController

        # The recurrent matmuls are small: one BLAS thread is ~10x cheaper than OpenBLAS's spinning pool.
        self._blas = ThreadpoolController()
        self._lock = threading.Lock()  # the BLAS limit is process-wide: one embedding batch at a time
        self.layers = []
        for i in range(3):
            w_ih = weights[f"lstm_weight_ih_l{i}"]
            w_hh = weights[f"lstm_weight_hh_l{i}"]
            bias = weights[f"lstm_bias_ih_l{i}"] + weights[f"lstm_bias_hh_l{i}"]
            self.layers.append((np.ascontiguousarray(w_ih.T), np.ascontiguousarray(w_hh.T), bias))
        self.linear_w = np.ascontiguousarray(weights["linear_weight"].T)
        self.linear_b = weights["linear_bias"]

    @classmethod
    def load(cls, path: Path = DEFAULT_WEIGHTS, sha256: str | None = DEFAULT_SHA256) -> SpeakerEncoder:
        """Load the converted ``.npz`` weights, checking their sha256 when given."""
        read_checked(MODEL_ID, path, sha256)
        with np.load(path) as data:
            return cls({k: data[k].astype(np.float32) for k in data.files})

    def embed(self, mels: np.ndarray) -> np.ndarray:
        """Embed a batch of equal-length mel windows ``(B, T, 40)`` -> ``(B, 256)``, L2-normalised."""
        with self._lock, self._blas.limit(limits=1, user_api="blas"):
            return self._embed(np.asarray(mels, dtype=np.float32))

    def _embed(self, x: np.ndarray) -> np.ndarray:
        batch, steps, _ = x.shape
        for w_ih, w_hh, bias in self.layers:
            hidden = w_hh.shape[0]
            gates_in = (x.reshape(batch * steps, -1) @ w_ih + bias).reshape(batch, steps, -1)  # i, f, g, o
            h = np.zeros((batch, hidden), np.float32)
            c = np.zeros((batch, hidden), np.float32)
            outputs = np.empty((batch, steps, hidden), np.float32)
            for t in range(steps):
                g = gates_in[:, t] + h @ w_hh
                i_g = _sigmoid(g[:, :hidden])
                f_g = _sigmoid(g[:, hidden : 2 * hidden])
                c_g = np.tanh(g[:, 2 * hidden : 3 * hidden])
                o_g = _sigmoid(g[:, 3 * hidden :])
                c = f_g * c + i_g * c_g
                h = o_g * np.tanh(c)
                outputs[:, t] = h
            x = outputs
        raw = np.maximum(h @ self.linear_w + self.linear_b, 0.0)
        norms = np.linalg.norm(raw, axis=1, keepdims=True)
        return raw / np.maximum(norms, 1e-9)

    def embed_windows(self, audio: np.ndarray, windows: Sequence[tuple[int, int]]) -> np.ndarray:
        """One d-vector per window of 10 ms frames ``(a, b)``, each window's level set to -30 dBFS RMS."""
        mel = mel_spectrogram(audio)
        target_rms = 10 ** (NORM_TARGET_DBFS / 20)
        out = np.zeros((len(windows), self.dim), dtype=np.float32)
        by_len: dict[int, list[int]] = {}
        for i, (a, b) in enumerate(windows):
            by_len.setdefault(b - a, []).append(i)
        for _, idx in sorted(by_len.items()):
            batch = np.stack([mel[windows[i][0] : windows[i][1]] for i in idx])
            rms = np.array(
                [np.sqrt(np.mean(np.square(audio[a * HOP : b * HOP]))) for a, b in (windows[i] for i in idx)]
            )
            # Mel power scales with the square of the waveform gain.
            batch *= ((target_rms / np.maximum(rms, 1e-6)) ** 2).astype(np.float32)[:, None, None]
            for k in range(0, len(idx), 64):
                out[idx[k : k + 64]] = self.embed(batch[k : k + 64])
        return out

    def embed_utterance(self, wav: np.ndarray, hop_frames: int = 80) -> np.ndarray:
        """One d-vector for a whole clip: the normalised mean of its 1.6 s partial windows."""
        mel = mel_spectrogram(normalize_volume(wav))
        if len(mel) <= PARTIAL_FRAMES:
            return self.embed(mel[None])[0]
        starts = range(0, len(mel) - PARTIAL_FRAMES + 1, hop_frames)
        partials = self.embed(np.stack([mel[s : s + PARTIAL_FRAMES] for s in starts]))
        mean = partials.mean(axis=0)
        return mean / max(float(np.linalg.norm(mean)), 1e-9)
