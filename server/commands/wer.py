"""Word error rate: (substitutions + deletions + insertions) / reference words.

The one implementation used by ``earshot doctor``, the benchmark and the tests. Both sides get the
light normalisation ASR evaluations use: Unicode NFKC, lower case, hyphens as spaces, no punctuation,
small numbers and common titles spelt out.
"""

from __future__ import annotations

import re
import unicodedata

_NON_WORD = re.compile(r"[^\w']+")
_SPELLED = {
    "0": "zero", "1": "one", "2": "two", "3": "three", "4": "four", "5": "five", "6": "six",
    "7": "seven", "8": "eight", "9": "nine", "10": "ten", "11": "eleven", "12": "twelve",
    "mr": "mister", "mrs": "missus", "dr": "doctor",
}  # fmt: skip


def words(text: str) -> list[str]:
    """Normalised words of ``text`` (apostrophes inside words are kept: "it's")."""
    text = unicodedata.normalize("NFKC", text).lower().replace("-", " ")
    out = []
    for word in _NON_WORD.sub(" ", text).split():
        word = word.strip("'")
        if word:
            out.append(_SPELLED.get(word, word))
    return out


normalize = words


def wer(reference: str, hypothesis: str) -> float:
    """Levenshtein distance over normalised words divided by the reference length (0.0–1.0+)."""
    ref, hyp = words(reference), words(hypothesis)
    if not ref:
        return 0.0 if not hyp else 1.0
    previous = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        current = [i] + [0] * len(hyp)
        for j, h in enumerate(hyp, 1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (r != h))
        previous = current
    return previous[-1] / len(ref)


def characters(text: str) -> list[str]:
    """Letters and digits of ``text`` after NFKC (for languages written without spaces: Japanese)."""
    return [c for c in unicodedata.normalize("NFKC", text).lower() if c.isalnum()]


def cer(reference: str, hypothesis: str) -> float:
    """Levenshtein distance over :func:`characters` divided by the reference length (0.0–1.0+)."""
    ref, hyp = characters(reference), characters(hypothesis)
    if not ref:
        return 0.0 if not hyp else 1.0
    previous = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        current = [i] + [0] * len(hyp)
        for j, h in enumerate(hyp, 1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (r != h))
        previous = current
    return previous[-1] / len(ref)
