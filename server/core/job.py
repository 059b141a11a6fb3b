"""One admitted piece of engine work, consumed as an async iterator.

A service opens a :class:`Job` once it holds the model's admission slot: the engine runs in a worker
thread (:class:`ThreadedIterator`, which takes the model lease there) and the job hands its results to
the caller. The slot, the lease and the thread are released when the job is exhausted, closed
(``aclose()`` or ``async with``), fails, or is cancelled; the ``on_done`` callback (processing metrics)
runs once it completed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from typing import Generic, TypeVar

import anyio

from server.admission import Admission
from server.core.cancel import CancelToken
from server.core.worker import ThreadedIterator

T = TypeVar("T")


async def close_shielded(stack: AsyncExitStack) -> None:
    """Close ``stack`` even while being cancelled (the slot waits for the engine to stop)."""
    with anyio.CancelScope(shield=True):
        await stack.aclose()


async def admit(admission: Admission, model_id: str, cancel: CancelToken | None) -> AsyncExitStack:
    """Wait for one of the model's slots (429 ``QueueFull`` when the queue is full); close to give it back."""
    stack = AsyncExitStack()
    try:
        slot = stack.enter_async_context(admission.slot(model_id))
        await (cancel.guard(slot) if cancel is not None else slot)
    except BaseException:
        await close_shielded(stack)
        raise
    return stack


class Job(Generic[T]):
    """An async iterator over a worker's results that owns the slot (``stack``) and the worker."""

    def __init__(
        self,
        items: ThreadedIterator[T],
        stack: AsyncExitStack,
        cancel: CancelToken | None = None,
        on_done: Callable[[], None] | None = None,
    ) -> None:
        self._items = items
        self._stack = stack
        stack.push_async_callback(items.aclose)
        self._cancel = cancel
        self._on_done = on_done
        self._closed = False

    def __aiter__(self) -> AsyncIterator[T]:
        return self

    async def __anext__(self) -> T:
        if self._closed:
            raise StopAsyncIteration
        try:
            step = anext(self._items)
            return await (self._cancel.guard(step) if self._cancel is not None else step)
        except StopAsyncIteration:
            await self.aclose()
            if self._on_done is not None:
                self._on_done()
            raise
        except BaseException:
            await self.aclose()
            raise

    async def first(self) -> T:
        """The next item, which the worker always yields (info, speaker turns)."""
        try:
            return await self.__anext__()
        except StopAsyncIteration:
            raise RuntimeError("the engine worker ended early") from None

    async def aclose(self) -> None:
        """Stop the worker and wait for it, then give the lease and the slot back (idempotent)."""
        if not self._closed:
            self._closed = True
            await close_shielded(self._stack)

    async def __aenter__(self) -> Job[T]:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
