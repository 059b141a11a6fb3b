"""The bridge from blocking engine iterators to async streams.

Engines are synchronous. :class:`ThreadedIterator` runs one in a worker thread, hands its items to the
event loop with back-pressure (a small bounded queue), and stops it when the consumer goes away
(client disconnect, error, or an explicit :meth:`cancel`). The event loop never blocks on engine work.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any, Generic, TypeVar

T = TypeVar("T")

logger = logging.getLogger(__name__)

_DONE = object()


class _Raised:
    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


class ThreadedIterator(Generic[T]):
    """Async iterator over a blocking iterator that runs in its own worker thread.

    ``factory(cancelled)`` is called in the worker thread and returns the iterator; it may poll the
    ``cancelled`` event to stop early. Exceptions raised by the iterator re-raise in the consumer.
    """

    def __init__(self, factory: Callable[[threading.Event], Iterator[T]], maxsize: int = 2) -> None:
        self._factory = factory
        self._maxsize = maxsize
        self.cancelled = threading.Event()
        self._queue: asyncio.Queue[Any] | None = None
        self._thread: threading.Thread | None = None
        self._finished = False

    def _run(self, loop: asyncio.AbstractEventLoop, queue: asyncio.Queue[Any]) -> None:
        def put(item: Any) -> bool:
            future = asyncio.run_coroutine_threadsafe(queue.put(item), loop)
            while True:
                try:
                    future.result(timeout=0.1)
                    return True
                except FutureTimeout:
                    if self.cancelled.is_set() or loop.is_closed():
                        future.cancel()
                        return False
                except Exception:  # noqa: BLE001 - loop gone or put cancelled
                    return False

        iterator: Iterator[T] | None = None
        items = 0
        try:
            iterator = self._factory(self.cancelled)
            for item in iterator:
                if self.cancelled.is_set() or not put(item):
                    break
                items += 1
            else:
                if not self.cancelled.is_set():  # else the engine itself stopped early on the event
                    put(_DONE)
                    return
            logger.info("engine work cancelled after %d item(s)", items)
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer
            if not self.cancelled.is_set():
                put(_Raised(exc))
        finally:
            close = getattr(iterator, "close", None)
            if close is not None:
                try:
                    close()
                except Exception:  # noqa: BLE001
                    pass

    def _start(self) -> asyncio.Queue[Any]:
        if self._queue is None:
            loop = asyncio.get_running_loop()
            self._queue = asyncio.Queue(self._maxsize)
            # The caller's context (request id for log lines, metric labels) goes with the work.
            context = contextvars.copy_context()
            self._thread = threading.Thread(target=context.run, args=(self._run, loop, self._queue),
                                            daemon=True, name="earshot-engine")
            self._thread.start()
        return self._queue

    def __aiter__(self) -> AsyncIterator[T]:
        return self

    async def __anext__(self) -> T:
        if self._finished:
            raise StopAsyncIteration
        queue = self._start()
        try:
            item = await queue.get()
        except asyncio.CancelledError:
            self.cancel()
            raise
        if item is _DONE:
            self._finished = True
            raise StopAsyncIteration
        if isinstance(item, _Raised):
            self._finished = True
            raise item.exc
        return item

    def cancel(self) -> None:
        """Ask the worker to stop; it notices between items (or by polling ``cancelled``)."""
        self.cancelled.set()
        self._finished = True

    async def aclose(self) -> None:
        """Cancel and wait for the worker thread to end.

        No time limit: callers release the model's admission slot after this, and a slot given back
        while the engine still runs would let more work run at once than ``max_concurrency`` allows.
        An engine call cannot be interrupted (a whisper window, a piper sentence); it ends soon.
        """
        self.cancel()
        thread = self._thread
        if thread is None:
            return
        loop = asyncio.get_running_loop()
        waited = 0.0
        while thread.is_alive():
            await loop.run_in_executor(None, thread.join, 5)
            waited += 5
            if thread.is_alive():
                logger.warning("engine worker still busy %.0f s after cancellation", waited)

    @property
    def thread_alive(self) -> bool:
        """Whether the worker thread is still running (for tests of cancellation)."""
        return self._thread is not None and self._thread.is_alive()
