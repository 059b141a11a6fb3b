"""The whisper encoder memo: the same window is encoded once, never a different one."""

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


def test_window_that_lost_its_last_frame_to_padding_is_the_same() -> None:
    memo, calls = _memo()
    detection = np.zeros((80, 3000), dtype=np.float32)
    detection[:, :1040] = 1.0
    decoding = detection.copy()
    decoding[:, 1039] = 0.0  # faster-whisper's decode loop drops the final frame
    assert memo(detection) == "out1"
    assert memo(decoding) == "out1"
    assert len(calls) == 1


def test_different_windows_and_clear() -> None:
    memo, calls = _memo()
    a = np.ones((80, 3000), dtype=np.float32)
    b = a.copy()
    b[:, 10] = 2.0  # a real difference, not padding
    assert memo(a) == "out1"
    assert memo(b) == "out2"
    memo.clear()
    assert memo(b) == "out3"
    assert memo(np.ones((2, 80, 3000), dtype=np.float32)) == "out4"  # batches are never reused
    assert len(calls) == 4
