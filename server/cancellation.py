"""Stop a request's work when its client goes away or its time is up (pure ASGI middleware).

Starlette does not cancel a handler whose client disconnected: a long transcription would run to the
end for nobody. :class:`CancellationMiddleware` runs the handler in a task and

* once the request body has been read, watches the connection; if the client leaves before the
  response is complete, it cancels the handler (queued requests leave the queue, engine iterators
  stop between items, the model lease and admission slot are released);
* after ``timeout`` seconds (``request_timeout_seconds``; None = no limit) cancels the handler too and
  answers ``408 request_timeout`` if the body was still arriving (a slow upload), else
  ``504 request_timeout`` with ``x-should-retry: false`` (the same request would time out again). If the
  response had already started, the connection is closed instead.

It shares the real ``receive`` with the handler: after the body, the handler's own ``receive`` calls
(Starlette's disconnect listener) wait for what the watcher sees.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Protocol

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server.errors import APIError
from server.http.errors import error_response

logger = logging.getLogger(__name__)


class _Counts(Protocol):
    def request_cancelled(self, reason: str) -> None: ...


class RequestTimeout(APIError):
    """The request ran past ``request_timeout_seconds``."""

    def __init__(self, timeout: float, uploading: bool) -> None:
        if uploading:
            super().__init__(
                408,
                f"The request body was not received within the server's limit of {timeout:g} seconds.",
                "invalid_request_error",
                None,
                "request_timeout",
            )
        else:
            super().__init__(
                504,
                f"The request took longer than the server's limit of {timeout:g} seconds and was stopped. "
                "Send shorter audio or text, or ask the operator to raise request_timeout_seconds.",
                "server_error",
                None,
                "request_timeout",
                headers={"x-should-retry": "false"},
            )


class CancellationMiddleware:
    """Cancels the handler on client disconnect or after ``timeout`` seconds."""

    def __init__(self, app: ASGIApp, timeout: float | None = None, counts: _Counts | None = None) -> None:
        self.app = app
        self.timeout = timeout if timeout else None
        self.counts = counts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await _Guard(self, scope, receive, send).run()


class _Guard:
    """One request under watch."""

    def __init__(self, owner: CancellationMiddleware, scope: Scope, receive: Receive, send: Send) -> None:
        self.owner = owner
        self.scope = scope
        self.receive = receive
        self.send = send
        self.body_read = asyncio.Event()
        self.gone = asyncio.Event()
        self.started = False
        self.complete = False
        self.answered = False
        self.reason: str | None = None

    async def app_receive(self) -> Message:
        if self.gone.is_set():
            return {"type": "http.disconnect"}
        if self.body_read.is_set():  # the watcher owns the connection now
            await self.gone.wait()
            return {"type": "http.disconnect"}
        message = await self.receive()
        if message["type"] == "http.disconnect":
            self.gone.set()
        elif not message.get("more_body", False):
            self.body_read.set()
        return message

    async def app_send(self, message: Message) -> None:
        if self.answered:  # the timeout answer went out; the cancelled handler has nothing more to say
            return
        if message["type"] == "http.response.start":
            self.started = True
        elif message["type"] == "http.response.body" and not message.get("more_body", False):
            self.complete = True
        await self.send(message)

    async def watch(self, handler: asyncio.Task[None]) -> None:
        """After the body: wait for the client to leave; cancel the handler if the response is unfinished."""
        await self.body_read.wait()
        while not self.gone.is_set():
            message = await self.receive()
            if message["type"] == "http.disconnect":
                self.gone.set()
        if not self.complete and not handler.done() and self.reason is None:  # cancel once only
            self.reason = "client disconnected"
            handler.cancel()

    async def run(self) -> None:
        started = time.perf_counter()
        handler = asyncio.ensure_future(self.owner.app(self.scope, self.app_receive, self.app_send))
        watcher = asyncio.ensure_future(self.watch(handler))
        try:
            done, _ = await asyncio.wait({handler}, timeout=self.owner.timeout)
            if not done:
                self.reason = "timeout"
                handler.cancel()
                await self._timed_out()  # answer now; the handler may take a moment to stop its engine
            try:
                await handler
            except asyncio.CancelledError:
                if self.reason is None:  # cancelled from outside (server stopping): not ours to swallow
                    raise
                self._cancelled(time.perf_counter() - started)
            except Exception:
                if not self.gone.is_set():
                    raise
                # The client left mid-upload (Starlette's ClientDisconnect) or mid-response: nobody to tell.
                self.reason = "client disconnected"
                self._cancelled(time.perf_counter() - started)
        finally:
            watcher.cancel()
            if not handler.done():
                handler.cancel()

    def _cancelled(self, seconds: float) -> None:
        method, path = self.scope.get("method"), self.scope.get("path")
        logger.info("%s %s cancelled after %.2f s: %s", method, path, seconds, self.reason)
        if self.owner.counts is not None and self.reason is not None:
            self.owner.counts.request_cancelled(self.reason)

    async def _timed_out(self) -> None:
        """Send the timeout error, unless the response already started (then the stream is cut short)."""
        assert self.owner.timeout is not None
        if self.started:
            logger.warning("%s timed out after its response started: cut short", self.scope.get("path"))
            self.answered = True
            return
        self.answered = self.complete = True
        error = RequestTimeout(self.owner.timeout, uploading=not self.body_read.is_set())
        await error_response(error)(self.scope, self._no_receive, self.send)

    async def _no_receive(self) -> Message:
        return {"type": "http.disconnect"}
