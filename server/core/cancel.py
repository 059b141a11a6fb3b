"""Cancellation of one piece of work, by its caller, from any thread.

Two ways stop a service call, and both release everything it holds (admission slot, model lease,
worker thread): cancel the asyncio task that awaits it (what the HTTP door does when the client
leaves), or :meth:`CancelToken.cancel` the token passed to it, which makes the call raise
:class:`Cancelled` (for a door that keeps its own task running, e.g. a realtime session whose client
cleared the buffer). Engine work stops between items (a whisper segment, a piper sentence).
"""

from __future__ import annotations

import asyncio
import inspect
import threading
from collections.abc import Awaitable
from typing import TypeVar

T = TypeVar("T")


class Cancelled(Exception):
    """The call's :class:`CancelToken` was cancelled; its work stopped."""

    def __init__(self) -> None:
        super().__init__("The work was cancelled.")


class CancelToken:
    """Set once (``cancel()``, from any thread); every call guarded by it stops."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self._lock = threading.Lock()
        self._waiters: set[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = set()

    @property
    def cancelled(self) -> bool:
        """Whether :meth:`cancel` was called."""
        return self._event.is_set()

    def cancel(self) -> None:
        """Stop the work guarded by this token (idempotent, thread-safe)."""
        with self._lock:
            self._event.set()
            waiters, self._waiters = self._waiters, set()
        for loop, future in waiters:
            if not loop.is_closed():
                loop.call_soon_threadsafe(_wake, future)

    def raise_if_cancelled(self) -> None:
        """Raise :class:`Cancelled` if the token is set."""
        if self._event.is_set():
            raise Cancelled

    async def guard(self, awaitable: Awaitable[T]) -> T:
        """Await ``awaitable``; if the token fires first, cancel it and raise :class:`Cancelled`."""
        if self._event.is_set():  # already cancelled: start nothing
            if inspect.iscoroutine(awaitable):
                awaitable.close()
            raise Cancelled
        task = asyncio.ensure_future(awaitable)
        loop = asyncio.get_running_loop()
        fired: asyncio.Future[None] = loop.create_future()
        with self._lock:
            if self._event.is_set():
                fired.set_result(None)
            else:
                self._waiters.add((loop, fired))
        try:
            await asyncio.wait({task, fired}, return_when=asyncio.FIRST_COMPLETED)
        except asyncio.CancelledError:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            raise
        finally:
            with self._lock:
                self._waiters.discard((loop, fired))
        if task.done():
            return task.result()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        raise Cancelled


def _wake(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)
