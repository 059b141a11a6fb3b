"""Diarization error rate (DER) with a forgiveness collar, as NIST md-eval scores it (no overlap handling
beyond frame counting): (missed speech + false alarm + speaker confusion) / scored reference speech."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

Turn = tuple[float, float, str]  # (start s, end s, speaker)
STEP = 0.01  # scoring resolution, seconds


@dataclass(frozen=True)
class DerResult:
    """DER and its parts, in seconds of scored reference speech."""

    der: float
    missed: float
    false_alarm: float
    confusion: float
    scored: float
    mapping: dict[str, str]  # hypothesis speaker -> reference speaker


def _activity(turns: Sequence[Turn], speakers: list[str], frames: int) -> np.ndarray:
    grid = np.zeros((len(speakers), frames), dtype=bool)
    for start, end, who in turns:
        grid[speakers.index(who), int(round(start / STEP)) : int(round(end / STEP))] = True
    return grid


def der(reference: Sequence[Turn], hypothesis: Sequence[Turn], collar: float = 0.25) -> DerResult:
    """Score ``hypothesis`` against ``reference``; frames within ``collar`` of a reference turn
    boundary are not scored. Hypothesis speakers are mapped to reference speakers optimally."""
    end = max([t[1] for t in [*reference, *hypothesis]], default=0.0) + collar
    frames = int(round(end / STEP)) + 1
    ref_names = sorted({t[2] for t in reference})
    hyp_names = sorted({t[2] for t in hypothesis})
    ref = _activity(reference, ref_names, frames)
    hyp = _activity(hypothesis, hyp_names, frames)
    scored = np.ones(frames, dtype=bool)
    c = int(round(collar / STEP))
    for start, stop, _ in reference:
        for edge in (int(round(start / STEP)), int(round(stop / STEP))):
            scored[max(0, edge - c) : edge + c] = False
    ref, hyp = ref[:, scored], hyp[:, scored]
    n_ref, n_hyp = ref.sum(axis=0), hyp.sum(axis=0)
    overlap = (hyp[:, None, :] & ref[None, :, :]).sum(axis=2)  # (hyp, ref) co-active frames
    best: tuple[int, dict[str, str]] = (-1, {})
    slots = list(range(len(ref_names))) + [None] * len(hyp_names)
    for perm in set(itertools.permutations(slots, len(hyp_names))):
        gain = sum(int(overlap[h, r]) for h, r in enumerate(perm) if r is not None)
        if gain > best[0]:
            best = (gain, {hyp_names[h]: ref_names[r] for h, r in enumerate(perm) if r is not None})
    matched = best[0] if best[0] > 0 else 0
    total = int(n_ref.sum())
    missed = int(np.maximum(n_ref - n_hyp, 0).sum())
    false_alarm = int(np.maximum(n_hyp - n_ref, 0).sum())
    confusion = int(np.minimum(n_ref, n_hyp).sum()) - matched
    error = missed + false_alarm + confusion
    return DerResult(
        der=error / total if total else float(error > 0),
        missed=missed * STEP,
        false_alarm=false_alarm * STEP,
        confusion=confusion * STEP,
        scored=total * STEP,
        mapping=best[1],
    )
