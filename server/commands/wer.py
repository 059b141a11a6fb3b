"""Word error rate for the self-test: (substitutions + deletions + insertions) / reference words."""

from __future__ import annotations

import re

_NON_WORD = re.compile(r"[^\w']+")


def words(text: str) -> list[str]:
    """Lower-case words without punctuation."""
    return [w.strip("'") for w in _NON_WORD.sub(" ", text.lower()).split() if w.strip("'")]


def wer(reference: str, hypothesis: str) -> float:
    """Levenshtein distance over words divided by the reference length (1.0 for an empty reference)."""
    ref, hyp = words(reference), words(hypothesis)
    if not ref:
        return 0.0 if not hyp else 1.0
    previous = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        current = [i]
        for j, h in enumerate(hyp, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (r != h)))
        previous = current
    return previous[-1] / len(ref)
