"""Word error rate with the light normalisation ASR evaluations use."""

from __future__ import annotations

import re
import unicodedata

_WORDS = {"mr": "mister", "mrs": "missus", "dr": "doctor", "st": "saint"}


def normalize(text: str) -> list[str]:
    """Lower case, no punctuation, hyphens as spaces, common abbreviations spelt out."""
    text = unicodedata.normalize("NFKC", text).lower().replace("-", " ")
    text = re.sub(r"[^\w\s']", " ", text).replace("'", "")
    return [_WORDS.get(w, w) for w in text.split()]


def wer(reference: str, hypothesis: str) -> float:
    """(substitutions + deletions + insertions) / reference words, after :func:`normalize`."""
    ref, hyp = normalize(reference), normalize(hypothesis)
    if not ref:
        return 0.0 if not hyp else 1.0
    previous = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        current = [i] + [0] * len(hyp)
        for j, h in enumerate(hyp, 1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (r != h))
        previous = current
    return previous[-1] / len(ref)
