"""Audio as the services take it: encoded bytes (any container, decoded here) or 16 kHz samples."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from contextlib import AsyncExitStack
from functools import partial

import numpy as np

from engines.decode import decode_audio
from engines.errors import AudioTooLongError
from server.admission import Admission
from server.core.cancel import CancelToken
from server.core.job import admit, close_shielded

SAMPLE_RATE = 16000
Audio = bytes | np.ndarray  # encoded file bytes, or mono float32 samples at 16 kHz


async def decode(data: bytes, max_seconds: float) -> np.ndarray:
    """Decode in a worker thread; if the caller is cancelled (client gone, timeout) decoding stops too."""
    cancelled = threading.Event()
    try:
        return await asyncio.get_running_loop().run_in_executor(
            None, partial(decode_audio, data, max_seconds, cancelled=cancelled)
        )
    except asyncio.CancelledError:
        cancelled.set()
        raise


async def samples(audio: Audio, max_seconds: float) -> np.ndarray:
    """16 kHz mono float32 samples of ``audio`` (decoded when given as bytes)."""
    if isinstance(audio, bytes | bytearray | memoryview):
        return await decode(bytes(audio), max_seconds)
    array = np.ascontiguousarray(audio, dtype=np.float32).reshape(-1)
    if array.shape[0] > max_seconds * SAMPLE_RATE:
        raise AudioTooLongError(f"The audio is longer than the maximum of {max_seconds:g} seconds.")
    return array


def seconds(audio: np.ndarray) -> float:
    """Duration of 16 kHz samples."""
    return audio.shape[0] / SAMPLE_RATE


async def admit_and_decode(
    admission: Admission, model_id: str, audio: Audio, max_seconds: float, cancel: CancelToken | None,
    check: Callable[[float], None] | None = None,
) -> tuple[AsyncExitStack, np.ndarray]:  # fmt: skip
    """Take the model's slot, then decode (the slot bounds concurrent decoding too) and ``check`` the length.

    Returns the stack holding the slot (close it to give the slot back) and the samples.
    """
    stack = await admit(admission, model_id, cancel)
    try:
        decoding = samples(audio, max_seconds)
        decoded = await (cancel.guard(decoding) if cancel is not None else decoding)
        if check is not None:
            check(seconds(decoded))
    except BaseException:
        await close_shielded(stack)
        raise
    return stack, decoded
