"""Job and CancelToken on plain iterators (no model): exhaustion, failure, cancellation release the slot."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator

import pytest

from server.admission import Admission
from server.core import Cancelled, CancelToken
from server.core.job import Job, admit
from server.core.worker import ThreadedIterator


def _slow(n: int, stopped: threading.Event) -> Iterator[int]:
    try:
        for i in range(n):
            time.sleep(0.01)
            yield i
    finally:
        stopped.set()


def test_exhausted_job_releases_its_slot_then_reports_done() -> None:
    async def run() -> None:
        admission = Admission(1, 0)
        done: list[bool] = []
        stack = await admit(admission, "m", CancelToken())
        items = ThreadedIterator(lambda _c: iter([1, 2, 3]))
        job = Job(items, stack, CancelToken(), lambda: done.append(True))
        assert admission.snapshot()["m"]["running"] == 1
        assert [x async for x in job] == [1, 2, 3]
        assert done == [True] and admission.snapshot()["m"]["running"] == 0
        assert [x async for x in job] == []  # closed: nothing more, done is not reported twice
        assert done == [True]

    asyncio.run(run())


def test_worker_failure_reraises_and_releases() -> None:
    def failing() -> Iterator[int]:
        yield 1
        raise ValueError("engine fell over")

    async def run() -> None:
        admission = Admission(1, 0)
        job = Job(ThreadedIterator(lambda _c: failing()), await admit(admission, "m", None))
        assert await job.first() == 1
        with pytest.raises(ValueError, match="fell over"):
            await anext(job)
        assert admission.snapshot()["m"]["running"] == 0

    asyncio.run(run())


def test_token_cancelled_from_a_thread_stops_worker_and_wait() -> None:
    async def run() -> None:
        admission = Admission(1, 1)
        token = CancelToken()
        stopped = threading.Event()
        items = ThreadedIterator(lambda _c: _slow(10_000, stopped))
        job = Job(items, await admit(admission, "m", token), token)
        queued = asyncio.create_task(admit(admission, "m", token))
        await asyncio.sleep(0.05)
        assert admission.snapshot()["m"]["waiting"] == 1
        threading.Timer(0.1, token.cancel).start()
        with pytest.raises(Cancelled):
            async for _ in job:
                pass
        with pytest.raises(Cancelled):
            await queued
        assert stopped.is_set() and token.cancelled
        assert admission.snapshot()["m"] == {"running": 0, "waiting": 0, "admitted": 1, "rejected": 0}
        with pytest.raises(Cancelled):
            await admit(admission, "m", token)

    asyncio.run(run())


def test_cancelling_the_consumer_task_stops_the_worker() -> None:
    async def run() -> None:
        admission = Admission(1, 0)
        stopped = threading.Event()
        job = Job(ThreadedIterator(lambda _c: _slow(10_000, stopped)), await admit(admission, "m", None))

        async def consume() -> None:
            async for _ in job:
                pass

        task = asyncio.create_task(consume())
        await asyncio.sleep(0.1)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert stopped.is_set() and admission.snapshot()["m"]["running"] == 0

    asyncio.run(run())
