"""Realtime test helpers: speech as the wire formats a client sends, and event collection."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from tests.support.audio import read_samples

CHUNK_MS = 100


def pcm16(path: Path, rate: int = 24000, silence_before: float = 0.0, silence_after: float = 1.0) -> bytes:
    """A clip as s16le mono at ``rate``, with silence around it."""
    samples = read_samples(path, rate)
    pad = [
        np.zeros(int(silence_before * rate), np.float32),
        samples,
        np.zeros(int(silence_after * rate), np.float32),
    ]
    return (np.clip(np.concatenate(pad), -1, 1) * 32767).astype("<i2").tobytes()


def _g711_encode(linear: np.ndarray, law: str) -> bytes:
    """Nearest G.711 code per sample, independent of the server's decoder (ITU-T segment formulas)."""
    codes = np.arange(256)
    if law == "pcmu":
        c = ~codes & 0xFF
        mag = ((((c & 0x0F) << 3) + 0x84) << ((c >> 4) & 7)) - 0x84
        values = np.where(c & 0x80, -mag, mag)
    else:
        c = codes ^ 0x55
        e, m = (c >> 4) & 7, c & 0x0F
        mag = np.where(e == 0, (m << 4) + 8, ((m << 4) + 0x108) << np.maximum(e - 1, 0))
        values = np.where(c & 0x80, mag, -mag)
    order = np.argsort(values)
    sorted_values = values[order]
    idx = np.clip(np.searchsorted(sorted_values, linear), 1, 255)
    left, right = sorted_values[idx - 1], sorted_values[idx]
    pick = np.where(np.abs(linear - left) <= np.abs(right - linear), idx - 1, idx)
    return order[pick].astype(np.uint8).tobytes()


def g711(path: Path, law: str, silence_after: float = 1.0) -> bytes:
    """A clip as 8 kHz G.711 (``pcmu`` or ``pcma``)."""
    linear = np.frombuffer(pcm16(path, 8000, silence_after=silence_after), "<i2").astype(np.int32)
    return _g711_encode(linear, law)


def chunks(data: bytes, bytes_per_second: int, ms: int = CHUNK_MS) -> list[str]:
    """Base64 pieces of ``ms`` milliseconds each, as a client streams them."""
    size = bytes_per_second * ms // 1000
    return [base64.b64encode(data[i : i + size]).decode() for i in range(0, len(data), size)]


async def collect(conn: Any, done: Callable[[Any], bool], timeout: float = 60) -> list[Any]:
    """Events from ``conn`` up to and including the first one ``done`` accepts."""
    events: list[Any] = []

    async def run() -> None:
        while True:
            event = await conn.recv()
            events.append(event)
            if done(event):
                return

    await asyncio.wait_for(run(), timeout)
    return events
