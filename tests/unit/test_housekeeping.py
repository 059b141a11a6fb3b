"""IdleTrimmer: trims once per idle spell after work, never while a model is busy."""

from __future__ import annotations

import asyncio

from server.housekeeping import IdleTrimmer


class Gates:
    def __init__(self) -> None:
        self.state = {"m": {"running": 0, "waiting": 0, "admitted": 0, "rejected": 0}}

    def snapshot(self) -> dict[str, dict[str, int]]:
        return {k: dict(v) for k, v in self.state.items()}


def test_due_only_when_idle_after_new_work() -> None:
    gates = Gates()
    trimmer = IdleTrimmer(gates)
    assert not trimmer._due()  # nothing ran yet
    gates.state["m"].update(running=1, admitted=1)
    assert not trimmer._due()  # busy
    gates.state["m"].update(running=0)
    assert trimmer._due()  # idle after work: trim
    assert not trimmer._due()  # once per idle spell
    gates.state["m"].update(waiting=1, admitted=2)
    assert not trimmer._due()


def test_run_trims_in_the_background() -> None:
    gates = Gates()
    gates.state["m"]["admitted"] = 3

    async def scenario() -> int:
        trimmer = IdleTrimmer(gates, interval=0.01)
        task = asyncio.create_task(trimmer.run())
        for _ in range(500):  # gc + malloc_trim in a worker thread: give it up to 5 s
            await asyncio.sleep(0.01)
            if trimmer.trims:
                break
        await asyncio.sleep(0.1)  # idle and nothing new: no second trim
        task.cancel()
        return trimmer.trims

    assert asyncio.run(scenario()) == 1
