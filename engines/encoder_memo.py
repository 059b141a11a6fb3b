"""Encode the first whisper window once, not twice, when faster-whisper detects the language.

``WhisperModel.transcribe(language=None)`` runs the encoder on the first 30 s window to detect the
language and then again, on the same features, to decode it (faster-whisper 1.2 does not pass the
output on). The encoder is most of the work on short audio: on a 10 s clip the second pass is about a
third of the call. :class:`EncoderMemo` replaces ``WhisperModel.encode`` and hands back the previous
output when the same window comes again on the same thread; each result is reused at most once.

"The same window": equal features, except that faster-whisper's decoding loop leaves out the very
last 10 ms frame of the audio (``content_frames = frames - 1``) where language detection keeps it, so
on audio shorter than 30 s the two inputs differ in that one column (real frame vs padding). The
reused output then includes that final frame, which cannot change what is said.
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

    def __call__(self, features: np.ndarray) -> Any:
        last = getattr(self._local, "last", None)
        self._local.last = None
        if last is not None and _same_window(last[0], features):
            return last[1]
        output = self._encode(features)
        self._local.last = (np.array(features, copy=True), output)
        return output

    def clear(self) -> None:
        """Forget this thread's last encoding (call when a transcription ends)."""
        self._local.last = None


def _same_window(previous: np.ndarray, features: np.ndarray) -> bool:
    """Equal, or equal but for one frame (column) that is padding (zeros) in ``features``."""
    if previous.shape != features.shape or features.ndim != 2:
        return False
    differs = np.flatnonzero(np.any(previous != features, axis=0))
    return differs.size == 0 or (differs.size == 1 and not np.any(features[:, differs[0]]))
