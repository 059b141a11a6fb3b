"""Transmission channels for test audio: a telephone line (8 kHz, 100–3400 Hz) with or without μ-law.

Filters are windowed-sinc FIRs in numpy (zero phase: ``mode="same"``), so the speech stays where the
reference turns say it is.
"""

from __future__ import annotations

import numpy as np

SR = 16000


def lowpass(cutoff_hz: float, taps: int = 511, sr: int = SR) -> np.ndarray:
    """A Blackman-windowed sinc low-pass filter with unit gain at 0 Hz."""
    n = np.arange(taps) - (taps - 1) / 2
    h = np.sinc(2 * cutoff_hz / sr * n) * np.blackman(taps)
    return h / h.sum()


def bandpass(low_hz: float, high_hz: float, taps: int = 2047, sr: int = SR) -> np.ndarray:
    """Band-pass as the difference of two low-passes (long enough for a 100 Hz edge at 16 kHz)."""
    return lowpass(high_hz, taps, sr) - lowpass(low_hz, taps, sr)


def mu_law(x: np.ndarray, bits: int = 8, mu: float = 255.0) -> np.ndarray:
    """Compand, quantise to ``bits`` and expand (G.711-style), as a μ-law telephone link does."""
    y = np.sign(x) * np.log1p(mu * np.minimum(np.abs(x), 1.0)) / np.log1p(mu)
    levels = 2 ** (bits - 1) - 1
    y = np.round(y * levels) / levels
    return np.sign(y) * np.expm1(np.abs(y) * np.log1p(mu)) / mu


def telephone(audio: np.ndarray, with_mu_law: bool = False, level_db: float = 0.0) -> np.ndarray:
    """16 kHz audio through a telephone channel: 100–3400 Hz band-pass, 8 kHz sampling (then μ-law, after a
    ``level_db`` gain, when asked), and back to 16 kHz."""
    x = np.convolve(np.asarray(audio, dtype=np.float64), bandpass(100.0, 3400.0), mode="same")
    narrow = x[::2] * 10 ** (level_db / 20)
    if with_mu_law:
        narrow = mu_law(narrow)
    up = np.zeros(len(narrow) * 2)
    up[::2] = narrow * 2
    return np.convolve(up, lowpass(3700.0), mode="same")[: len(audio)].astype(np.float32)


def clean(audio: np.ndarray) -> np.ndarray:
    """No channel."""
    return np.asarray(audio, dtype=np.float32)


def phone(audio: np.ndarray) -> np.ndarray:
    """A clean narrow-band line."""
    return telephone(audio)


def phone_mu_law(audio: np.ndarray) -> np.ndarray:
    """A harsher line: 10 dB quieter, then 8-bit μ-law."""
    return telephone(audio, with_mu_law=True, level_db=-10.0)


CHANNELS = {"clean": clean, "phone": phone, "phone-ulaw": phone_mu_law}
