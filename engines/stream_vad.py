"""Silero VAD run incrementally on a stream (faster-whisper's ONNX model), turned into speech turns.

:class:`StreamingVad` takes 16 kHz samples as they arrive, runs Silero on 512-sample (32 ms) frames
keeping the model's recurrent state and context between calls, and reports where speech starts and
where it stops (after ``silence_ms`` below the threshold), as sample offsets from the stream's start.
The hysteresis follows Silero's own iterator: speech starts at ``threshold`` and ends below
``threshold - 0.15``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SAMPLE_RATE = 16000
FRAME = 512  # Silero's window at 16 kHz
CONTEXT = 64  # samples of the previous frame the model sees


@dataclass(frozen=True)
class VadEvent:
    """Speech started (``kind='start'``) or stopped (``'stop'``) at ``sample`` (offset in the stream)."""

    kind: str
    sample: int


def _model():  # noqa: ANN202 - faster_whisper.vad.SileroVADModel, loaded once per process
    from faster_whisper.vad import get_vad_model

    return get_vad_model()


class StreamingVad:
    """Incremental Silero VAD with start/stop hysteresis and a minimum silence."""

    def __init__(self, threshold: float = 0.5, silence_ms: int = 500) -> None:
        self.tune(threshold, silence_ms)
        self._session = _model().session
        self._h = np.zeros((1, 1, 128), dtype=np.float32)
        self._c = np.zeros((1, 1, 128), dtype=np.float32)
        self._context = np.zeros(CONTEXT, dtype=np.float32)
        self._pending = np.zeros(0, dtype=np.float32)
        self.position = 0  # samples run through the model so far
        self.speaking = False
        self._silence_from: int | None = None

    def tune(self, threshold: float, silence_ms: int) -> None:
        """New settings; the stream (model state, position, speech in progress) goes on."""
        self.threshold = threshold
        self.neg_threshold = max(threshold - 0.15, 0.01)
        self.silence_samples = silence_ms * SAMPLE_RATE // 1000

    def probabilities(self, samples: np.ndarray) -> np.ndarray:
        """Speech probability of each whole frame completed by ``samples`` (state carried over)."""
        data = np.concatenate([self._pending, samples.astype(np.float32, copy=False)])
        count = data.shape[0] // FRAME
        self._pending = data[count * FRAME :]
        if count == 0:
            return np.zeros(0, dtype=np.float32)
        frames = data[: count * FRAME].reshape(count, FRAME)
        contexts = np.vstack([self._context[None, :], frames[:-1, -CONTEXT:]])
        self._context = frames[-1, -CONTEXT:].copy()
        windows = np.concatenate([contexts, frames], axis=1)
        # One run for all the frames, as faster-whisper's own batch call does (same probabilities).
        out, self._h, self._c = self._session.run(None, {"input": windows, "h": self._h, "c": self._c})
        return np.asarray(out, dtype=np.float32).reshape(-1)[:count]

    def feed(self, samples: np.ndarray) -> list[VadEvent]:
        """Run the new samples; the speech starts and stops they complete."""
        events: list[VadEvent] = []
        for prob in self.probabilities(samples):
            start = self.position
            self.position += FRAME
            if prob >= self.threshold:
                self._silence_from = None
                if not self.speaking:
                    self.speaking = True
                    events.append(VadEvent("start", start))
            elif self.speaking and prob < self.neg_threshold:
                if self._silence_from is None:
                    self._silence_from = start
                if self.position - self._silence_from >= self.silence_samples:
                    self.speaking = False
                    self._silence_from = None
                    events.append(VadEvent("stop", self.position))
        return events

    def reset(self) -> None:
        """Forget the current speech (after a manual commit or a clear); the model state is kept."""
        self.speaking = False
        self._silence_from = None
