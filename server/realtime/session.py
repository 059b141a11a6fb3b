"""One realtime transcription session: client events in, server events out, in OpenAI's order.

The receive loop handles one client event at a time (decoding and the VAD run in a worker thread, so
the event loop stays free); finished turns go to a :class:`TurnQueue`, which transcribes them in order
while the loop keeps reading. A bad event gets an ``error`` event echoing its ``event_id``, and the
session goes on. Leaving (disconnect, idle timeout, session length) stops the engine work.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import logging
import time
import uuid
from typing import Any

from starlette.websockets import WebSocket, WebSocketDisconnect

from server.core import Services
from server.metrics import Metrics
from server.realtime import shapes
from server.realtime.buffer import InputBuffer, Mark
from server.realtime.config import SessionConfig
from server.realtime.errors import RealtimeError
from server.realtime.interim import InterimResults
from server.realtime.turns import Turn, TurnQueue, user_item
from server.settings import Settings

logger = logging.getLogger(__name__)

MAX_APPEND_BYTES = 15 << 20  # OpenAI's limit on one input_audio_buffer.append
BIG_MESSAGE = 256 << 10  # events larger than this are parsed in a worker thread
CLIENT_EVENTS = (
    "session.update",
    "transcription_session.update",
    "input_audio_buffer.append",
    "input_audio_buffer.commit",
    "input_audio_buffer.clear",
)


def new_id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:22]}"


class Session:
    """The state of one WebSocket transcription session."""

    def __init__(
        self, websocket: WebSocket, services: Services, settings: Settings, metrics: Metrics, beta: bool
    ) -> None:
        self.ws, self.services, self.settings, self.metrics = websocket, services, settings, metrics
        self.beta = beta
        self.id = new_id("sess")
        self.started = time.monotonic()
        self.expires_at = int(time.time() + settings.realtime_max_session_seconds)
        self.config = SessionConfig()
        self.buffer = InputBuffer(self.config, settings.realtime_max_buffer_seconds)
        self.speech_item: str | None = None  # the item the speech in progress will become
        self.previous_item: str | None = None
        self._send_lock = asyncio.Lock()
        self._open = True
        self.turns: TurnQueue | None = None
        self.interim = InterimResults(services, settings, self.emit)

    # -- output ----------------------------------------------------------------------------
    async def emit(self, event: dict) -> None:
        """Send one server event (a fresh ``event_id``); a no-op once the client is gone."""
        if not self._open:
            return
        payload = json.dumps({"type": event["type"], "event_id": new_id("event"), **event})
        async with self._send_lock:
            try:
                await self.ws.send_text(payload)
            except (WebSocketDisconnect, RuntimeError, OSError):
                self._open = False

    async def error(self, error: RealtimeError, event_id: str | None = None) -> None:
        await self.emit({"type": "error", "error": error.body(event_id)})

    def _session_event(self, suffix: str) -> dict:
        if self.beta:
            body = shapes.render_beta(self.config, self.id, self.expires_at)
            return {"type": f"transcription_session.{suffix}", "session": body}
        return {
            "type": f"session.{suffix}",
            "session": shapes.render_ga(self.config, self.id, self.expires_at),
        }

    # -- the loop --------------------------------------------------------------------------
    async def run(self) -> None:
        """Serve the session until the client leaves or a limit ends it."""
        self.turns = TurnQueue(self.services, self.settings, self.metrics, self.emit, self.beta, self.id)
        logger.info("realtime %s: opened (%s shape)", self.id, "beta" if self.beta else "GA")
        try:
            await self.emit(self._session_event("created"))
            while self._open:
                message = await self._receive()
                if message is None:
                    break
                await self.handle(message)
        finally:
            self._open = False
            await self.interim.close()
            await self.turns.close()
            logger.info("realtime %s: closed after %.1f s", self.id, time.monotonic() - self.started)

    async def _receive(self) -> str | bytes | None:
        """The next client message, or None when the session ends (disconnect, idle, length)."""
        left = self.settings.realtime_max_session_seconds - (time.monotonic() - self.started)
        idle = self.settings.realtime_idle_timeout_seconds
        try:
            message = await asyncio.wait_for(self.ws.receive(), timeout=max(0.0, min(left, idle)))
        except TimeoutError:
            if left <= idle:
                limit = self.settings.realtime_max_session_seconds
                length = f"{limit / 60:g} minutes" if limit >= 60 else f"{limit:g} seconds"
                text, code = f"Your session hit the maximum duration of {length}.", "session_expired"
            else:
                text, code = (
                    f"The session was idle for {idle:g} s (no client events) and was closed.",
                    "idle_timeout",
                )
            await self.error(RealtimeError(text, code, None))
            try:
                await self.ws.close(1000)
            except (RuntimeError, OSError):  # the client left meanwhile
                pass
            return None
        if message["type"] == "websocket.disconnect":
            return None
        return message.get("text") if message.get("text") is not None else message.get("bytes", b"")

    async def handle(self, message: str | bytes) -> None:
        """One client event; a bad one becomes an ``error`` event."""
        event_id = None
        try:
            big = len(message) > BIG_MESSAGE  # parse a large event off the event loop
            event = await asyncio.to_thread(self._parse, message) if big else self._parse(message)
            event_id = event.get("event_id") if isinstance(event.get("event_id"), str) else None
            if not isinstance(event.get("type"), str):
                raise RealtimeError("The 'type' field is missing.", "invalid_event", "type")
            await self._dispatch(event)
        except RealtimeError as error:
            await self.error(error, event_id)
        except Exception:  # a bug of ours: reported, logged, and the session goes on
            logger.exception("realtime %s: event failed", self.id)
            message = "The server had an error while processing your event; the session goes on."
            await self.error(RealtimeError(message, "server_error", None, "server_error"), event_id)

    @staticmethod
    def _parse(message: str | bytes) -> dict:
        if isinstance(message, bytes):
            raise RealtimeError(
                "Binary frames are not supported: send each event as a JSON text frame.", "invalid_event"
            )
        try:
            event = json.loads(message)
        except ValueError as exc:
            raise RealtimeError(f"The event is not valid JSON ({exc}).", "invalid_json") from None
        if not isinstance(event, dict):
            raise RealtimeError("The event must be a JSON object.", "invalid_event")
        return event

    async def _dispatch(self, event: dict) -> None:
        kind = event["type"]
        if kind == "input_audio_buffer.append":
            await self._append(event)
        elif kind in ("session.update", "transcription_session.update"):
            await self._update(kind, event)
        elif kind == "input_audio_buffer.commit":
            audio = self.buffer.commit()
            await self._commit(audio, self.speech_item or new_id("item"))
        elif kind == "input_audio_buffer.clear":
            self.buffer.clear()
            self.speech_item = None
            await self.emit({"type": "input_audio_buffer.cleared"})
        else:
            raise RealtimeError(
                f"Invalid value: '{kind}'. A transcription session accepts {', '.join(CLIENT_EVENTS)}.",
                "invalid_event" if kind.startswith(("response.", "conversation.")) else "unknown_event",
                "type",
            )

    async def _update(self, kind: str, event: dict) -> None:
        if "session" not in event:
            raise RealtimeError(
                "Missing required parameter: 'session'.", "missing_required_parameter", "session"
            )
        beta = kind == "transcription_session.update" or shapes.is_flat_beta(event["session"])
        config = (shapes.apply_beta if beta else shapes.apply_ga)(self.config, event["session"])
        try:
            self.services.transcriber.resolve(config.model, "transcribe", config.language)
        except Exception as exc:  # noqa: BLE001 - unknown model, English-only model with another language
            error = RealtimeError.of(exc)
            field = "model" if error.param == "model" else "language"
            error.param = (
                "session.input_audio_transcription." if beta else "session.audio.input.transcription."
            ) + field
            raise error from None
        if kind == "transcription_session.update":
            self.beta = True  # a beta client, whatever its handshake said
            if self.turns is not None:
                self.turns.beta = True
        self.config = config
        self.buffer.configure(config)
        if config.turn_detection is None:
            self.speech_item = None
        await self.emit(self._session_event("updated"))

    async def _append(self, event: dict) -> None:
        audio = event.get("audio")
        if not isinstance(audio, str):
            raise RealtimeError(
                "Missing required parameter: 'audio' (base64-encoded audio bytes).",
                "missing_required_parameter",
                "audio",
            )
        if len(audio) > MAX_APPEND_BYTES:
            raise RealtimeError(
                "The audio of one input_audio_buffer.append is over 15 MiB (base64): send smaller chunks.",
                "invalid_value",
                "audio",
            )
        marks: list[Mark] = await asyncio.to_thread(self._decode_and_buffer, audio)
        for mark in marks:
            await self._mark(mark)
        if self.config.interim_results and self.speech_item is not None and self.turns is not None:
            self.interim.maybe_start(
                self.speech_item, self.buffer, self.config, lambda: self.speech_item, self.turns.busy
            )

    def _decode_and_buffer(self, audio: str) -> list[Mark]:
        """In a worker thread: base64, then the buffer (decoding, resampling, VAD)."""
        try:
            data = base64.b64decode(audio, validate=True)
        except (binascii.Error, ValueError):
            raise RealtimeError("Invalid 'audio': not valid base64.", "invalid_value", "audio") from None
        return self.buffer.append(data)

    async def _mark(self, mark: Mark) -> None:
        if mark.kind == "start":
            self.speech_item = new_id("item")
            await self.emit(
                {
                    "type": "input_audio_buffer.speech_started",
                    "audio_start_ms": mark.sample // 16,
                    "item_id": self.speech_item,
                }
            )
            return
        item_id = self.speech_item or new_id("item")
        self.speech_item = None
        await self.emit(
            {
                "type": "input_audio_buffer.speech_stopped",
                "audio_end_ms": mark.sample // 16,
                "item_id": item_id,
            }
        )
        assert mark.audio is not None
        await self._commit(mark.audio, item_id)

    async def _commit(self, audio: Any, item_id: str) -> None:
        ended = time.perf_counter()
        self.speech_item = None
        previous, self.previous_item = self.previous_item, item_id
        await self.emit(
            {"type": "input_audio_buffer.committed", "previous_item_id": previous, "item_id": item_id}
        )
        added = "conversation.item.created" if self.beta else "conversation.item.added"
        await self.emit({"type": added, "previous_item_id": previous, "item": user_item(item_id, None)})
        assert self.turns is not None
        self.turns.put(Turn(item_id, previous, audio, self.config, ended))
