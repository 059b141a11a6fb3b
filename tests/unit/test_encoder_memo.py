"""The whisper encoder memo: only a bit-for-bit identical window is reused, once."""

from __future__ import annotations

import numpy as np

from engines.encoder_memo import EncoderMemo


def _memo() -> tuple[EncoderMemo, list[np.ndarray]]:
    calls: list[np.ndarray] = []

    def encode(features: np.ndarray) -> str:
        calls.append(features)
        return f"out{len(calls)}"

    return EncoderMemo(encode), calls


def test_same_window_is_encoded_once_and_reused_once() -> None:
    memo, calls = _memo()
    window = np.random.default_rng(0).random((80, 3000), dtype=np.float32)
    assert memo(window) == "out1"
    assert memo(window.copy()) == "out1"
    assert memo(window) == "out2"  # reused at most once
    assert len(calls) == 2
    assert memo.hits == 1


def test_window_that_lost_its_last_frame_to_padding_is_encoded_again() -> None:
    """Short audio: detection keeps the final frame, decoding pads it; that frame can change words."""
    memo, calls = _memo()
    detection = np.zeros((80, 3000), dtype=np.float32)
    detection[:, :1040] = 1.0
    decoding = detection.copy()
    decoding[:, 1039] = 0.0
    assert memo(detection) == "out1"
    assert memo(decoding) == "out2"
    assert len(calls) == 2
    assert memo.hits == 0


def test_different_windows_dtypes_and_clear() -> None:
    memo, calls = _memo()
    a = np.ones((80, 3000), dtype=np.float32)
    b = a.copy()
    b[5, 10] = np.nextafter(np.float32(1.0), np.float32(2.0))  # one ulp of one value
    assert memo(a) == "out1"
    assert memo(b) == "out2"
    memo.clear()
    assert memo(b) == "out3"
    assert memo(b.astype(np.float64)) == "out4"  # same values, other dtype: not the same input
    assert memo(np.ones((2, 80, 3000), dtype=np.float32)) == "out5"
    assert len(calls) == 5
    assert memo.hits == 0
