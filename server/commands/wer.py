"""Word error rate: (substitutions + deletions + insertions) / reference words.

The one implementation used by ``earshot doctor``, the benchmark, the quality script and the tests.
Both sides go through Whisper's English normaliser (the ``whisper-normalizer`` package, a copy of
OpenAI's ``EnglishTextNormalizer``): case, punctuation, spelling variants, contractions ("it's" =
"it is"), titles ("Mr." = "mister") and numbers ("fifteen" = "15") do not count as errors. The edit
distance comes from ``jiwer``.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from functools import cache

import jiwer
from whisper_normalizer.english import EnglishTextNormalizer


@cache
def _normalizer() -> EnglishTextNormalizer:
    return EnglishTextNormalizer()


def words(text: str) -> list[str]:
    """``text`` as Whisper's English normaliser writes it, split into words."""
    return _normalizer()(text).split()


normalize = words


def wer(reference: str, hypothesis: str) -> float:
    """Edit distance over normalised words divided by the reference length (0.0–1.0+)."""
    return _rate(words(reference), words(hypothesis), lambda r, h: jiwer.wer(" ".join(r), " ".join(h)))


def characters(text: str) -> list[str]:
    """Letters and digits of ``text`` after NFKC (for languages written without spaces: Japanese)."""
    return [c for c in unicodedata.normalize("NFKC", text).lower() if c.isalnum()]


def cer(reference: str, hypothesis: str) -> float:
    """Character error rate over :func:`characters` (0.0–1.0+)."""
    ref, hyp = characters(reference), characters(hypothesis)
    return _rate(ref, hyp, lambda r, h: jiwer.cer("".join(r), "".join(h)))


def _rate(ref: list[str], hyp: list[str], measure: Callable[[list[str], list[str]], float]) -> float:
    """``measure`` once both sides have something; an empty side scores 0 (both empty) or 1."""
    if not ref:
        return 0.0 if not hyp else 1.0
    if not hyp:
        return 1.0
    return float(measure(ref, hyp))
