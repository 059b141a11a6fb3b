"""Interim results (Earshot's own, off unless ``transcription.interim_results`` is true): while the
speaker is still talking, the turn so far is transcribed every :data:`INTERVAL` seconds of new speech and
sent as ``conversation.item.input_audio_transcription.interim`` ``{item_id, content_index, transcript}``.

Interim passes never delay a final one: one runs at a time, only while no committed turn is waiting,
with greedy decoding (``beam_size=1``; the final transcript keeps the server's beam), and a result that
arrives after its turn was committed is dropped.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import replace

import numpy as np

from server.core import Services
from server.realtime.buffer import InputBuffer
from server.realtime.config import SessionConfig
from server.realtime.turns import ENDPOINT, Emit, engine_options
from server.settings import Settings

logger = logging.getLogger(__name__)

INTERVAL = 1.0  # seconds of new speech between interim passes
EVENT = "conversation.item.input_audio_transcription.interim"


class InterimResults:
    """At most one interim pass at a time for one session."""

    def __init__(self, services: Services, settings: Settings, emit: Emit) -> None:
        self.services, self.settings, self.emit = services, settings, emit
        self._task: asyncio.Task | None = None
        self._item: str | None = None
        self._samples = 0  # speech length at the last pass of this item

    def maybe_start(self, item_id: str, buffer: InputBuffer, config: SessionConfig,
                    current: Callable[[], str | None], busy: bool) -> None:  # fmt: skip
        """Start a pass over the turn so far if it grew by INTERVAL and nothing else is running."""
        if not config.interim_results or busy or buffer.speech_start is None:
            return
        if self._task is not None and not self._task.done():
            return
        if item_id != self._item:
            self._item, self._samples = item_id, 0
        length = buffer.end - buffer.speech_start
        if length - self._samples < INTERVAL * 16000:
            return
        audio = buffer.speech_so_far()
        if audio is None:
            return
        self._samples = length
        self._task = asyncio.create_task(self._pass(item_id, audio, config, current))

    async def _pass(self, item_id: str, audio: np.ndarray, config: SessionConfig,
                    current: Callable[[], str | None]) -> None:  # fmt: skip
        options = replace(engine_options(config, self.settings), beam_size=1, token_logprobs=False)
        try:
            _, segments = await self.services.transcriber.transcribe(
                config.model, audio, options, endpoint=ENDPOINT
            )
        except Exception as exc:  # noqa: BLE001 - an interim pass is best effort; the final one reports
            logger.debug("interim pass failed: %s", exc)
            return
        if current() == item_id:  # still speaking: the turn was not committed meanwhile
            transcript = "".join(s.text for s in segments).strip()
            await self.emit({"type": EVENT, "item_id": item_id, "content_index": 0, "transcript": transcript})

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
