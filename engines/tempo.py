"""Pitch-preserving time stretch (FFmpeg's atempo through PyAV), for speeds piper cannot reach alone."""

from __future__ import annotations

import av
import av.filter
import numpy as np

MAX_ATEMPO = 2.0  # one atempo instance handles 0.5-100; chaining at most 2x each keeps quality


def stretch(samples: np.ndarray, rate: int, factor: float) -> np.ndarray:
    """``samples`` played ``factor`` times faster, same pitch; length ~ len(samples) / factor."""
    if factor == 1.0 or samples.size == 0:
        return samples
    if factor < 0.5:
        raise ValueError("stretch() only speeds up or slows down to half speed")
    graph = av.filter.Graph()
    node = graph.add_abuffer(format="flt", sample_rate=rate, layout="mono")
    src = node
    remaining = factor
    while remaining > MAX_ATEMPO:
        nxt = graph.add("atempo", f"{MAX_ATEMPO}")
        node.link_to(nxt)
        node, remaining = nxt, remaining / MAX_ATEMPO
    last = graph.add("atempo", f"{remaining:.6f}")
    node.link_to(last)
    sink = graph.add("abuffersink")
    last.link_to(sink)
    graph.configure()
    frame = av.AudioFrame.from_ndarray(
        np.ascontiguousarray(samples, dtype=np.float32).reshape(1, -1), format="flt", layout="mono"
    )
    frame.sample_rate = rate
    frame.pts = 0
    src.push(frame)
    src.push(None)
    out: list[np.ndarray] = []
    while True:
        try:
            out.append(sink.pull().to_ndarray().reshape(-1))
        except (av.error.BlockingIOError, av.error.EOFError):
            break
    return np.concatenate(out).astype(np.float32) if out else np.zeros(0, dtype=np.float32)
