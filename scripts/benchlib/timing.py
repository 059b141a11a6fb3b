"""Alternating A/B timing, statistics and progress lines on stderr."""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

_START = time.monotonic()
_TICK = os.sysconf("SC_CLK_TCK")
_server_pid: list[int] = []


def watch_server(pid: int | None) -> None:
    """Also measure the CPU time the server process spends on each HTTP call (None: stop)."""
    _server_pid[:] = [] if pid is None else [pid]


def process_cpu(pid: int) -> float:
    """User + system CPU seconds of a process so far (all its threads)."""
    stat = open(f"/proc/{pid}/stat").read()
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / _TICK


def progress(message: str) -> None:
    """One progress line on stderr, with the time since the bench started."""
    print(f"[{time.monotonic() - _START:6.1f}s] {message}", file=sys.stderr, flush=True)


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100) by linear interpolation; nan for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100.0
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


@dataclass
class Pairs:
    """Timings of the raw call (A) and the HTTP call (B), taken alternately."""

    name: str
    raw: list[float] = field(default_factory=list)
    http: list[float] = field(default_factory=list)
    raw_out: list[Any] = field(default_factory=list)
    http_out: list[Any] = field(default_factory=list)
    raw_cpu: list[float] = field(default_factory=list)  # bench process CPU during the raw call
    http_cpu: list[float] = field(default_factory=list)  # server process CPU during the HTTP call

    @property
    def raw_median(self) -> float:
        """Median raw time (s)."""
        return statistics.median(self.raw)

    @property
    def http_median(self) -> float:
        """Median server time (s)."""
        return statistics.median(self.http)

    @property
    def ratio(self) -> float:
        """Median server time / median raw time."""
        return self.http_median / self.raw_median

    @property
    def cpu_ratio(self) -> float | None:
        """Median server CPU seconds / median raw CPU seconds (steadier than wall time on a busy machine)."""
        if not self.http_cpu or not self.raw_cpu:
            return None
        return statistics.median(self.http_cpu) / statistics.median(self.raw_cpu)


Timed = Callable[[], tuple[float, Any]]  # returns (seconds, output)

# Idle time before each timed call. A call's engine threads spin-wait a little after it returns
# (onnxruntime's pool after piper: ~25-35 ms of CPU in the next 50 ms; libgomp after whisper: ~4 ms),
# which on 2 cores slows whatever starts at once: the other side, or the same side in the next pair.
PAUSE_SECONDS = 0.3


def alternate(
    name: str, raw: Timed, http: Timed, pairs: int, warmup: int = 1, pause: float = PAUSE_SECONDS
) -> Pairs:
    """A B B A ...: ``warmup`` untimed pairs, then ``pairs`` timed ones (order flips every pair), each
    timed call after ``pause`` seconds of idling."""
    for i in range(warmup):
        progress(f"{name}: warm-up {i + 1}/{warmup}")
        raw()
        http()
    result = Pairs(name)
    for i in range(pairs):
        # Flip who goes first so a slow drift of the machine's load favours neither side.
        order = (
            (raw, result.raw, result.raw_out, result.raw_cpu, time.process_time),
            (http, result.http, result.http_out, result.http_cpu, _server_cpu),
        )
        for fn, times, outs, cpus, cpu in order if i % 2 == 0 else order[::-1]:
            time.sleep(pause)
            before = cpu()
            seconds, out = fn()
            used = cpu() - before
            times.append(seconds)
            outs.append(out)
            if used == used:  # not nan
                cpus.append(used)
        progress(f"{name}: pair {i + 1}/{pairs}  raw {result.raw[-1]:.3f} s  server {result.http[-1]:.3f} s")
    progress(
        f"{name}: median raw {result.raw_median:.3f} s, server {result.http_median:.3f} s, "
        f"ratio {result.ratio:.3f}" + ("" if result.cpu_ratio is None else f" (CPU {result.cpu_ratio:.3f})")
    )
    return result


def _server_cpu() -> float:
    return process_cpu(_server_pid[0]) if _server_pid else float("nan")


@dataclass
class Arm:
    """One side of a rotation: wall seconds, outputs and CPU seconds of each timed call."""

    seconds: list[float] = field(default_factory=list)
    outputs: list[Any] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        """Median wall seconds."""
        return statistics.median(self.seconds)

    def cpu_ratio_to(self, other: Arm) -> float | None:
        """Median CPU seconds of this arm over ``other``'s (None where either was not measured)."""
        if not self.cpu or not other.cpu:
            return None
        return statistics.median(self.cpu) / statistics.median(other.cpu)


def rotate(
    name: str, calls: dict[str, Timed], pairs: int, server_arm: str, warmup: int = 1
) -> dict[str, Arm]:
    """Every call once per round, in an order that rotates each round (so drift favours none); ``warmup``
    untimed rounds first. ``server_arm``'s CPU is the server process's, the others' the bench's."""
    names = list(calls)
    for i in range(warmup):
        progress(f"{name}: warm-up {i + 1}/{warmup}")
        for key in names:
            calls[key]()
    arms = {key: Arm() for key in names}
    for i in range(pairs):
        shift = i % len(names)
        order = names[shift:] + names[:shift]
        if i % 2:
            order.reverse()
        for key in order:
            cpu = _server_cpu if key == server_arm else time.process_time
            time.sleep(PAUSE_SECONDS)
            before = cpu()
            seconds, out = calls[key]()
            used = cpu() - before
            arms[key].seconds.append(seconds)
            arms[key].outputs.append(out)
            if used == used:  # not nan
                arms[key].cpu.append(used)
        progress(
            f"{name}: round {i + 1}/{pairs}  " + "  ".join(f"{k} {arms[k].seconds[-1]:.3f} s" for k in names)
        )
    progress(f"{name}: medians " + ", ".join(f"{k} {arms[k].median:.3f} s" for k in names))
    return arms
