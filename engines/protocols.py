"""The interfaces the server talks to; engines implement them structurally."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Protocol

from engines.types import AudioChunk, SpeechOptions


class Synthesizer(Protocol):
    """A text-to-speech engine (piper today)."""

    @property
    def sample_rate(self) -> int:
        """The rate of the chunks it yields (Hz)."""
        ...

    def synthesize(
        self, text: str, options: SpeechOptions, cancelled: threading.Event | None = None
    ) -> Iterator[AudioChunk]:
        """Validate ``options``, then return one chunk per sentence; stop once ``cancelled`` is set."""
        ...
