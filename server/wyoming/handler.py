"""One Wyoming connection: dispatch each event to the speech-to-text or text-to-speech state.

Every refusal becomes a Wyoming ``error`` event (``text`` says what to do, ``code`` is the HTTP API's
error code) and the connection stays open; an unexpected failure is logged, reported, and closes only
this connection. Logs carry the connection id (``wy-N``) where HTTP lines carry the request id.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections.abc import Awaitable, Callable

from wyoming.asr import Transcribe
from wyoming.audio import AudioChunk, AudioStart, AudioStop
from wyoming.error import Error
from wyoming.event import Event
from wyoming.info import Describe, Info
from wyoming.ping import Ping, Pong
from wyoming.server import AsyncEventHandler
from wyoming.tts import Synthesize, SynthesizeChunk, SynthesizeStart, SynthesizeStop

from server.context import request_id
from server.core import Cancelled, CancelToken, Services
from server.errors import APIError, to_api_error
from server.metrics import Metrics
from server.settings import Settings
from server.wyoming import asr, tts

logger = logging.getLogger(__name__)

_ids = itertools.count(1)
InfoSource = Callable[[], Awaitable[Info]]


class EarshotHandler(AsyncEventHandler):
    """Serves one client until it disconnects (or the server stops)."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, services: Services,
                 settings: Settings, metrics: Metrics | None, info: InfoSource) -> None:  # fmt: skip
        super().__init__(reader, writer)
        self.connection_id = f"wy-{next(_ids)}"
        self.metrics = metrics
        self.info = info
        self.recognizer = asr.Recognizer(services, settings, self.write_event)
        self.speaker = tts.Speaker(services, self.write_event, metrics)
        self.cancel = CancelToken()
        self.task: asyncio.Task | None = None

    async def run(self) -> None:
        """Serve events with this connection's id on every log line."""
        request_id.set(self.connection_id)
        self.task = asyncio.current_task()
        peer = self.writer.get_extra_info("peername")
        logger.info("wyoming connection from %s", peer)
        try:
            await super().run()
        except (ConnectionError, asyncio.IncompleteReadError) as exc:
            logger.info("wyoming client gone: %s", exc.__class__.__name__)
        except ValueError as exc:  # not a Wyoming event line (older wyoming raises instead of stopping)
            logger.info("wyoming connection closed: not a Wyoming event (%s)", exc)
        except Exception:  # a bug: this connection ends, the listener and the other connections go on
            logger.exception("wyoming connection failed")
        finally:
            await self.disconnect()
            self.writer.close()
            logger.info("wyoming connection closed")

    async def write_event(self, event: Event) -> None:
        """Send an event; ConnectionResetError once the client is gone (never a write to a closed socket)."""
        if self.writer.is_closing():
            raise ConnectionResetError("the Wyoming client disconnected")
        await super().write_event(event)

    async def disconnect(self) -> None:
        """The client left (or the server stops): stop whatever runs for it."""
        self.cancel.cancel()
        self.recognizer.stream = None

    async def handle_event(self, event: Event) -> bool:
        """Dispatch one event; False closes the connection."""
        started = time.perf_counter()
        kind = event.type
        status = 200
        try:
            await self._dispatch(event)
        except (Cancelled, ConnectionError):
            return False
        except Exception as exc:
            error = to_api_error(_malformed(kind, exc) if isinstance(exc, KeyError | TypeError) else exc)
            status = error.status
            if status >= 500:
                logger.exception("wyoming %s failed", kind)
            else:
                logger.info("wyoming %s refused: %s", kind, error.message)
            if kind.startswith("audio-"):
                self.recognizer.refuse()
            if kind.startswith("synthesize"):
                self.speaker.reset()
            await self.write_event(Error(text=error.message, code=error.code or error.type).event())
            if error.code == "internal_error":
                return False  # a bug: close this connection only
        finally:
            if self.metrics is not None and kind in _COUNTED:
                model = self.recognizer.model_id if kind.startswith("audio") else self.speaker.model_id
                model = "-" if kind == "describe" else model
                self.metrics.finish_request(f"wyoming:{kind}", "wyoming", model, status,
                                            time.perf_counter() - started)  # fmt: skip
        return True

    async def _dispatch(self, event: Event) -> None:
        kind = event.type
        if Describe.is_type(kind):
            await self.write_event((await self.info()).event())
        elif Ping.is_type(kind):
            await self.write_event(Pong(text=Ping.from_event(event).text).event())
        elif Transcribe.is_type(kind):
            self.recognizer.transcribe(event)
        elif AudioStart.is_type(kind):
            self.recognizer.start(event)
        elif AudioChunk.is_type(kind):
            self.recognizer.chunk(event)
        elif AudioStop.is_type(kind):
            await self.recognizer.stop(self.cancel)
        elif Synthesize.is_type(kind):
            await self.speaker.synthesize(event, self.cancel)
        elif SynthesizeStart.is_type(kind):
            self.speaker.start(event)
        elif SynthesizeChunk.is_type(kind):
            await self.speaker.chunk(event, self.cancel)
        elif SynthesizeStop.is_type(kind):
            await self.speaker.stop(self.cancel)
        else:
            logger.info("wyoming event '%s' ignored", kind)
            await self.write_event(Error(
                text=f"Unsupported event '{kind}': this server answers describe, transcribe + audio-start/"
                     "audio-chunk/audio-stop, synthesize and synthesize-start/chunk/stop.",
                code="unsupported_event",
            ).event())  # fmt: skip


def _malformed(kind: str, exc: Exception) -> APIError:
    """A 400 for an event whose data lacks a field or has one of the wrong type."""
    return APIError(400, f"Malformed '{kind}' event ({exc.__class__.__name__}: {exc}); see the Wyoming "
                    "protocol for its fields.", param=kind, code="invalid_event")  # fmt: skip


_COUNTED = {"describe", "audio-stop", "synthesize", "synthesize-stop"}
