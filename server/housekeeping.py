"""Give freed memory back to the operating system once the server goes idle after work.

Decoded audio and synthesis buffers are large, short-lived numpy arrays allocated from many worker
threads; glibc keeps the freed pages in its per-thread arenas (and raises its mmap threshold after the
first big free), so a busy server's RSS stays near its peak long after the work is done. When every
model's queue is empty and something ran since the last pass, :class:`IdleTrimmer` runs ``gc`` and
``malloc_trim`` in a worker thread (a few milliseconds), which returns those pages.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Protocol

from engines.memory import release_memory

logger = logging.getLogger(__name__)


class _Gates(Protocol):
    def snapshot(self) -> dict[str, dict[str, int]]: ...


class IdleTrimmer:
    """Polls the admission gates every ``interval`` seconds; trims once per idle spell after work."""

    def __init__(self, gates: _Gates, interval: float = 2.0) -> None:
        self.gates = gates
        self.interval = interval
        self.trims = 0
        self._seen = 0

    def _due(self) -> bool:
        gates = self.gates.snapshot().values()
        if any(g["running"] or g["waiting"] for g in gates):
            return False
        admitted = sum(g["admitted"] for g in gates)
        due, self._seen = admitted != self._seen, admitted
        return due

    async def run(self) -> None:
        """Until cancelled (at shutdown)."""
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(self.interval)
            if self._due():
                await loop.run_in_executor(None, release_memory)
                self.trims += 1
