"""What the workloads measured: table rows with their target, and the concurrency/memory series."""

from __future__ import annotations

import math
from dataclasses import dataclass, field


@dataclass
class Row:
    """One line of the main table: a workload, both medians, their ratio and the target it must meet."""

    workload: str
    raw: str
    server: str
    ratio: float | None
    target: str = ""
    ok: bool | None = None  # None: reported, no target
    cpu_ratio: float | None = None  # server CPU seconds / raw CPU seconds, where measured

    @property
    def verdict(self) -> str:
        """met / MISSED / blank."""
        return "" if self.ok is None else ("met" if self.ok else "**MISSED**")


@dataclass
class Level:
    """One concurrency level."""

    clients: int
    requests: int
    wall: float
    audio_seconds: float
    latencies: list[float]
    stt_latencies: list[float]
    tts_latencies: list[float]
    health: list[float]

    @property
    def throughput(self) -> float:
        """Audio seconds (transcribed in + synthesised out) per wall-clock second."""
        return self.audio_seconds / self.wall if self.wall > 0 else math.nan


@dataclass
class Memory:
    """Server RSS (MB) at each stage of the memory workload."""

    stages: list[tuple[str, float, float]] = field(default_factory=list)  # (stage, RSS, anonymous RSS)
    unload_seconds: float | None = None


@dataclass
class Results:
    """Everything one run measured."""

    rows: list[Row] = field(default_factory=list)
    levels: list[Level] = field(default_factory=list)
    memory: Memory | None = None
    notes: list[str] = field(default_factory=list)

    def missed(self) -> list[Row]:
        """Rows whose target was missed."""
        return [r for r in self.rows if r.ok is False]


def ratio_row(
    workload: str,
    raw: float,
    server: float,
    limit: float | None,
    unit: str = "s",
    cpu_ratio: float | None = None,
) -> Row:
    """A row comparing two medians; ``limit`` is the highest acceptable server/raw ratio."""
    ratio = server / raw if raw > 0 else math.nan
    target = "" if limit is None else f"≤ {limit:g}×"
    ok = None if limit is None else ratio <= limit
    return Row(workload, f"{raw:.3f} {unit}", f"{server:.3f} {unit}", ratio, target, ok, cpu_ratio)
