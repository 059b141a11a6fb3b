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
