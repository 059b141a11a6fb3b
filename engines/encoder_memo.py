"""Encode a whisper window once, not twice, when faster-whisper asks for the very same window again.

``WhisperModel.transcribe(language=None)`` encodes the first 30 s window to detect the language and
then encodes the first window again to decode it (faster-whisper 1.2 does not pass the output on).
:class:`EncoderMemo` replaces ``WhisperModel.encode`` and hands back the previous output only when the
new input is bit-for-bit the input it was computed from, so the output is exactly what a second
encoding would give: the words cannot change.

When does that happen? Detection encodes ``features[:, :3000]``; decoding encodes
``features[:, :min(3000, frames - 1)]`` (its loop leaves out the last 10 ms frame), both padded to
3000 frames. They are the same input only when the audio (after VAD) is longer than 30 s. On
shorter audio the two differ in that one frame, which can change the decoded words (measured: it
did, on a Czech and a Dutch clip), so the second encoding runs.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import numpy as np


class EncoderMemo:
    """``WhisperModel.encode`` with a one-entry, per-thread memory of its last input and output."""

    def __init__(self, encode: Callable[[np.ndarray], Any]) -> None:
        self._encode = encode
        self._local = threading.local()
        self.hits = 0  # how many encodings were saved (for tests and logs)

    def __call__(self, features: np.ndarray) -> Any:
        last = getattr(self._local, "last", None)
        self._local.last = None
        if last is not None and _identical(last[0], features):
            self.hits += 1
            return last[1]
        output = self._encode(features)
        self._local.last = (np.array(features, copy=True), output)
        return output

    def clear(self) -> None:
        """Forget this thread's last encoding (call when a transcription ends)."""
        self._local.last = None


def _identical(previous: np.ndarray, features: np.ndarray) -> bool:
    """The same dtype, shape and values, bit for bit."""
    features = np.asarray(features)
    return (
        previous.dtype == features.dtype
        and previous.shape == features.shape
        and previous.tobytes() == features.tobytes()
    )
