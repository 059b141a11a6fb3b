"""Kaldi log-mel filterbank features, as CAM++ was trained on (3D-Speaker: torchaudio's ``kaldi.fbank``).

80 bins, 25 ms Povey windows every 10 ms, pre-emphasis 0.97, DC removal, no dither, frames snipped at the
edges (``1 + (n - 400) // 160`` frames), from ``kaldi-native-fbank``. :func:`power_fbank` gives the linear
mel energies so that a window's level can be set afterwards (energies scale with the square of the gain);
:func:`log_fbank` then takes the log with Kaldi's floor and subtracts the per-utterance mean.
"""

from __future__ import annotations

import kaldi_native_fbank as knf
import numpy as np

SAMPLE_RATE = 16000
HOP = 160  # 10 ms
FRAME = 400  # 25 ms
N_BINS = 80
LOG_FLOOR = float(np.finfo(np.float32).eps)  # Kaldi's floor before the log


def _options() -> knf.FbankOptions:
    opts = knf.FbankOptions()
    opts.frame_opts.samp_freq = SAMPLE_RATE
    opts.frame_opts.frame_length_ms = 25.0
    opts.frame_opts.frame_shift_ms = 10.0
    opts.frame_opts.dither = 0.0
    opts.frame_opts.window_type = "povey"
    opts.frame_opts.snip_edges = True
    opts.mel_opts.num_bins = N_BINS
    opts.use_energy = False
    opts.use_log_fbank = False  # linear energies: the log comes after the level is set
    return opts


_OPTIONS = _options()


def n_frames(n_samples: int) -> int:
    """Number of frames for ``n_samples`` of audio (snipped edges; a short clip is padded to one frame)."""
    return 1 + (max(n_samples, FRAME) - FRAME) // HOP


def power_fbank(audio: np.ndarray) -> np.ndarray:
    """Linear mel energies ``(n_frames(len(audio)), 80)`` of 16 kHz float audio in [-1, 1]."""
    audio = np.asarray(audio, dtype=np.float32)
    if len(audio) < FRAME:
        audio = np.pad(audio, (0, FRAME - len(audio)))
    fbank = knf.OnlineFbank(_OPTIONS)
    fbank.accept_waveform(SAMPLE_RATE, audio)
    fbank.input_finished()
    count = fbank.num_frames_ready
    out = np.empty((count, N_BINS), dtype=np.float32)
    for i in range(count):
        out[i] = fbank.get_frame(i)
    return out


def log_fbank(power: np.ndarray, gain: float | np.ndarray = 1.0) -> np.ndarray:
    """Mean-normalised log energies of ``power`` (``(..., frames, 80)``) after scaling the waveform by
    ``gain`` (one per leading index when an array)."""
    scale = np.square(np.asarray(gain, dtype=np.float32))
    if scale.ndim:
        scale = scale.reshape(scale.shape + (1,) * (power.ndim - scale.ndim))
    logs = np.log(np.maximum(power * scale, LOG_FLOOR))
    return logs - logs.mean(axis=-2, keepdims=True)
