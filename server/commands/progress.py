"""A byte progress bar on stderr (tqdm, which faster-whisper already depends on)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager


@contextmanager
def byte_bar(total: int, label: str) -> Iterator[Callable[[int], None]]:
    """Yield ``advance(n_bytes)``; the bar is drawn on stderr, never on stdout."""
    from tqdm import tqdm

    with tqdm(
        total=total or None, desc=label, unit="B", unit_scale=True, file=sys.stderr, mininterval=0.2
    ) as bar:
        yield bar.update
