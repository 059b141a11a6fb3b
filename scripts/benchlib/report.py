"""docs/benchmarks.md (tables) and the latency/throughput plot."""

from __future__ import annotations

import math
from pathlib import Path

from benchlib.results import Results
from benchlib.timing import percentile


def _ratio(value: float | None) -> str:
    return "" if value is None or math.isnan(value) else f"{value:.3f}×"


def main_table(results: Results) -> list[str]:
    """Workload | baseline | server | ratio | CPU ratio | target | result."""
    lines = [
        "| workload: server vs … | floor (or named baseline) | server | server / baseline "
        "| CPU-s server / baseline | target | result |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in results.rows:
        lines.append(
            f"| {r.workload} | {r.raw} | {r.server} | {_ratio(r.ratio)} | {_ratio(r.cpu_ratio)} | {r.target} "
            f"| {r.verdict} |"
        )
    return lines


def concurrency_table(results: Results) -> list[str]:
    """Per level: throughput, latency percentiles, /health percentiles."""
    lines = [
        "| clients | requests | wall (s) | audio-s / s | latency p50 (s) | latency p95 (s) "
        "| transcription p50 (s) "
        "| speech p50 (s) | /health p50 (ms) | /health p99 (ms) | /health max (ms) | /health samples |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for lv in results.levels:
        lines.append(
            f"| {lv.clients} | {lv.requests} | {lv.wall:.1f} | {lv.throughput:.2f} "
            f"| {percentile(lv.latencies, 50):.2f} | {percentile(lv.latencies, 95):.2f} "
            f"| {percentile(lv.stt_latencies, 50):.2f} | {percentile(lv.tts_latencies, 50):.2f} "
            f"| {percentile(lv.health, 50) * 1000:.1f} | {percentile(lv.health, 99) * 1000:.1f} "
            f"| {max(lv.health) * 1000:.1f} | {len(lv.health)} |"
        )
    return lines


def memory_table(results: Results) -> list[str]:
    """RSS per stage."""
    if results.memory is None:
        return []
    lines = ["| stage | server RSS (MB) | of which anonymous (MB) |", "|---|---|---|"]
    lines += [f"| {stage} | {mb:.0f} | {anon:.0f} |" for stage, mb, anon in results.memory.stages]
    return lines


NOTES_MARKER = "<!-- hand-written notes below: kept when the bench rewrites this file -->"


def write_markdown(path: Path, results: Results, header: list[str], plot: Path | None) -> None:
    """The whole report; whatever follows :data:`NOTES_MARKER` in the old file is kept."""
    kept: list[str] = []
    if path.is_file():
        old = path.read_text(encoding="utf-8")
        if NOTES_MARKER in old:
            kept = ["", NOTES_MARKER, old.split(NOTES_MARKER, 1)[1].strip("\n")]
    out = [*header, "", "## Results", "", *main_table(results)]
    if results.levels:
        out += [
            "",
            "## Concurrency (mixed transcription of the ~10 s clip and short pcm speech)",
            "",
            *concurrency_table(results),
        ]
        if plot is not None:
            out += ["", f"![latency and throughput vs clients]({plot.name})"]
    if results.memory is not None:
        unload = results.memory.unload_seconds
        out += ["", "## Memory (a separate server with a short idle TTL)", "", *memory_table(results)]
        if unload is not None:
            out += ["", f"Every model was unloaded {unload:.1f} s after the last request had finished."]
    if results.notes:
        out += ["", "## Notes", "", *[f"- {n}" for n in results.notes]]
    out += kept
    path.write_text("\n".join(out) + "\n", encoding="utf-8")


def write_plot(path: Path, results: Results) -> bool:
    """Throughput and latency (p50/p95, /health p99) against clients; False without matplotlib."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    if not results.levels:
        return False
    clients = [lv.clients for lv in results.levels]
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    left.plot(clients, [lv.throughput for lv in results.levels], marker="o")
    left.set(
        xlabel="concurrent clients",
        ylabel="audio seconds per second",
        title="Aggregate throughput",
        xscale="log",
        ylim=(0, None),
    )
    left.set_xticks(clients, [str(c) for c in clients])
    left.minorticks_off()
    right.plot(
        clients, [percentile(lv.latencies, 50) for lv in results.levels], marker="o", label="request p50"
    )
    right.plot(
        clients, [percentile(lv.latencies, 95) for lv in results.levels], marker="o", label="request p95"
    )
    right.set(xlabel="concurrent clients", ylabel="seconds", title="Latency", xscale="log", ylim=(0, None))
    right.set_xticks(clients, [str(c) for c in clients])
    right.minorticks_off()
    health = right.twinx()
    health.plot(
        clients,
        [percentile(lv.health, 99) * 1000 for lv in results.levels],
        marker="s",
        color="tab:red",
        linestyle="--",
        label="/health p99",
    )
    health.set(ylabel="/health p99 (ms)", ylim=(0, None))
    lines, labels = right.get_legend_handles_labels()
    more, more_labels = health.get_legend_handles_labels()
    right.legend(lines + more, labels + more_labels, loc="upper left")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return True
