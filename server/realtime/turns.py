"""Committed turns -> transcription events, one turn at a time, through the shared transcription service.

Each turn waits for a slot of its model like an HTTP request does; its events follow OpenAI's order:
``…input_audio_transcription.delta`` per whisper segment, then ``…completed`` (with ``usage``) and, in
the GA shape, ``conversation.item.done``; or ``…failed``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import numpy as np

from engines.types import Segment, TokenLogprob, TranscriptionOptions
from server.core import Services
from server.core.options import transcription_options
from server.metrics import Metrics
from server.realtime.config import SessionConfig
from server.realtime.errors import RealtimeError
from server.settings import Settings

logger = logging.getLogger(__name__)

ENDPOINT = "/v1/realtime"
Emit = Callable[[dict], Awaitable[None]]


@dataclass(frozen=True)
class Turn:
    """One committed stretch of audio (16 kHz) and the config it was committed under."""

    item_id: str
    previous_item_id: str | None
    audio: np.ndarray
    config: SessionConfig
    ended: float  # perf_counter at speech_stopped / commit


def user_item(item_id: str, transcript: str | None) -> dict:
    """The user message item a turn becomes."""
    return {
        "id": item_id,
        "object": "realtime.item",
        "type": "message",
        "status": "completed",
        "role": "user",
        "content": [{"type": "input_audio", "transcript": transcript}],
    }


def engine_options(config: SessionConfig, settings: Settings) -> TranscriptionOptions:
    """A turn's engine options: the session's language, prompt and logprobs over the server's defaults."""
    return transcription_options(
        settings,
        language=config.language,
        prompt=config.prompt or None,
        token_logprobs=config.logprobs,
        segment_timing=False,
    )


def _logprobs(items: tuple[TokenLogprob, ...] | None) -> list[dict]:
    return [{"token": x.token, "logprob": x.logprob, "bytes": list(x.bytes)} for x in items or ()]


class TurnQueue:
    """Transcribes a session's turns in commit order on one task; closing it stops the engine work."""

    def __init__(
        self, services: Services, settings: Settings, metrics: Metrics, emit: Emit, beta: bool, log_id: str
    ) -> None:
        self.services, self.settings, self.metrics = services, settings, metrics
        self.emit, self.beta, self.log_id = emit, beta, log_id
        self._queue: asyncio.Queue[Turn] = asyncio.Queue()
        self._running = False
        self._task = asyncio.create_task(self._run())

    @property
    def busy(self) -> bool:
        """A turn is being transcribed or waits to be."""
        return self._running or not self._queue.empty()

    def put(self, turn: Turn) -> None:
        self._queue.put_nowait(turn)

    async def close(self) -> None:
        """Stop: the turn being transcribed is cancelled (slot and lease given back), the rest dropped."""
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self) -> None:
        while True:
            turn = await self._queue.get()
            self._running = True
            try:
                await self._transcribe(turn)
            except asyncio.CancelledError:
                logger.info("realtime %s: turn %s cancelled, the session closed", self.log_id, turn.item_id)
                raise
            finally:
                self._running = False

    async def _transcribe(self, turn: Turn) -> None:
        config, seconds = turn.config, turn.audio.shape[0] / 16000
        base = {"item_id": turn.item_id, "content_index": 0}
        texts: list[str] = []
        logprobs: list[dict] = []
        model = "unknown"  # a resolved id labels the metrics, never the raw name
        try:
            spec = self.services.transcriber.resolve(config.model, "transcribe", config.language)
            model = spec.id
            options = engine_options(config, self.settings)
            async with await self.services.transcriber.start(
                spec, turn.audio, options, endpoint=ENDPOINT
            ) as run:
                async for segment in run:
                    await self._delta(base, segment, not texts, config.logprobs)
                    texts.append(segment.text)
                    logprobs += _logprobs(segment.logprobs)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - every engine failure becomes the turn's failed event
            error = RealtimeError.of(exc)
            logger.warning("realtime %s: turn %s failed: %s", self.log_id, turn.item_id, error.message)
            await self.emit(
                {
                    "type": "conversation.item.input_audio_transcription.failed",
                    **base,
                    "error": {k: v for k, v in error.body().items() if k != "event_id"},
                }
            )
            self.metrics.realtime_turn(model, "failed")
            return
        transcript = "".join(texts).strip()
        completed = {
            "type": "conversation.item.input_audio_transcription.completed",
            **base,
            "transcript": transcript,
            "usage": {"type": "duration", "seconds": round(seconds, 3)},
        }
        if config.logprobs:
            completed["logprobs"] = logprobs
        await self.emit(completed)
        latency = time.perf_counter() - turn.ended
        self.metrics.realtime_turn(model, "completed", latency)
        logger.info(
            "realtime %s: turn %s, %.2f s of audio, completed %.3f s after its end",
            self.log_id,
            turn.item_id,
            seconds,
            latency,
        )
        if not self.beta:
            await self.emit(
                {
                    "type": "conversation.item.done",
                    "previous_item_id": turn.previous_item_id,
                    "item": user_item(turn.item_id, transcript),
                }
            )

    async def _delta(self, base: dict, segment: Segment, first: bool, with_logprobs: bool) -> None:
        text = segment.text.lstrip() if first else segment.text
        event = {"type": "conversation.item.input_audio_transcription.delta", **base, "delta": text}
        if with_logprobs:
            event["logprobs"] = _logprobs(segment.logprobs)
        await self.emit(event)
