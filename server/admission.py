"""Admission control: per-model concurrency limit and a bounded wait queue; full -> 429."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from server.errors import APIError


class QueueFull(APIError):
    """Too many requests for this model: OpenAI's 429 rate_limit_exceeded, with Retry-After."""

    def __init__(self, model_id: str, retry_after: int) -> None:
        super().__init__(
            429,
            f"Model '{model_id}' is busy: too many requests are running or waiting. Retry after {retry_after} s.",
            "rate_limit_exceeded",
            None,
            "rate_limit_exceeded",
            headers={"Retry-After": str(retry_after)},
        )


@dataclass
class _Gate:
    semaphore: asyncio.Semaphore
    running: int = 0
    waiting: int = 0
    rejected: int = 0
    admitted: int = 0
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class Admission:
    """Per-model gates; create inside the running event loop (app lifespan or first use)."""

    def __init__(self, max_concurrency: int, max_queue: int, retry_after: int = 1) -> None:
        self.max_concurrency = max_concurrency
        self.max_queue = max_queue
        self.retry_after = retry_after
        self._gates: dict[str, _Gate] = {}

    def _gate(self, model_id: str) -> _Gate:
        gate = self._gates.get(model_id)
        if gate is None:
            gate = self._gates[model_id] = _Gate(asyncio.Semaphore(self.max_concurrency))
        return gate

    @asynccontextmanager
    async def slot(self, model_id: str) -> AsyncIterator[None]:
        """Hold one of the model's concurrency slots; raises QueueFull when the queue is full."""
        gate = self._gate(model_id)
        if gate.running >= self.max_concurrency and gate.waiting >= self.max_queue:
            gate.rejected += 1
            raise QueueFull(model_id, self.retry_after)
        gate.waiting += 1
        try:
            await gate.semaphore.acquire()
        finally:
            gate.waiting -= 1
        gate.running += 1
        gate.admitted += 1
        try:
            yield
        finally:
            gate.running -= 1
            gate.semaphore.release()

    def snapshot(self) -> dict[str, dict[str, int]]:
        """Per model: running, waiting, admitted and rejected counts (for /metrics and tests)."""
        return {
            k: {"running": g.running, "waiting": g.waiting, "admitted": g.admitted, "rejected": g.rejected}
            for k, g in self._gates.items()
        }
