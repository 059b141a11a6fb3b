"""Give freed heap memory back to the operating system after a model is unloaded."""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import logging

logger = logging.getLogger(__name__)


def release_memory() -> bool:
    """Collect garbage and ask glibc to return free heap pages (``malloc_trim``); True if it ran."""
    gc.collect()
    name = ctypes.util.find_library("c")
    if not name:
        return False
    try:
        libc = ctypes.CDLL(name)
        return bool(libc.malloc_trim(0))
    except (OSError, AttributeError):
        logger.debug("malloc_trim is not available", exc_info=True)
        return False


M_TRIM_THRESHOLD = -1  # mallopt parameters (malloc.h)
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD_BYTES = 16 << 20


def keep_large_blocks_mapped(threshold: int = MMAP_THRESHOLD_BYTES) -> bool:
    """Fix glibc's mmap threshold so blocks above it are always mmap'd (and unmapped when freed).

    By default glibc raises the threshold to the size of any mmap'd block that is freed (up to
    32 MiB): after the first model unload, the next model's weights land in the heap arenas and
    stay there after it is unloaded too (+45-70 MB per load/unload cycle measured with whisper-base;
    with 16 MiB fixed, RSS returns to the same figure every cycle, same CPU time; 1 MiB costs ~30 %).

    Fixing the mmap threshold also freezes glibc's trim threshold at 128 KiB (its dynamic mode keeps it
    at 2x the mmap threshold): each request thread's arena then gave its heap top back on every free and
    faulted it in again, all through a transcription (35 s clip, whisper-base, in the server: 249-269k
    page faults and 1.57-1.61 s, against 212-214k and 1.49-1.52 s with the trim threshold at 16 or
    32 MiB). 16 MiB keeps that and the idle unload's figure (208 MB after unloading all four models, as
    with 128 KiB; 32 MiB kept 262 MB: ``malloc_trim`` does not shrink the tops of per-thread arenas).
    """
    name = ctypes.util.find_library("c")
    if not name:
        return False
    try:
        libc = ctypes.CDLL(name)
        return bool(libc.mallopt(M_MMAP_THRESHOLD, threshold)) and bool(
            libc.mallopt(M_TRIM_THRESHOLD, threshold)
        )
    except (OSError, AttributeError):
        logger.debug("mallopt is not available", exc_info=True)
        return False
