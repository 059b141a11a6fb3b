"""Splitting speech input into pieces that are synthesised one at a time.

Piper already yields one chunk per sentence, but it phonemises and runs each sentence whole: a
1,000-character sentence without a full stop takes ~6 s before its first sample. Paragraphs
(line breaks) become separate pieces, and any piece longer than ``max_chars`` is cut at sentence
ends, then at clause punctuation, then between words, so the first audio comes quickly and a
cancelled request stops within one piece. Length is measured in spoken weight: a symbol such as
an emoji is read out as its name ("grinning face"), so it counts as ``SYMBOL_WEIGHT`` characters.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

MAX_CHARS = 300
SYMBOL_WEIGHT = 10

_LINES = re.compile(r"\s*\n\s*")
# C0 and C1 control characters but tab and newline: espeak-ng cannot take NUL, and none of them is speech.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_SENTENCE_END = re.compile(r"(?<=[.!?\u2026])[\"'\u201d\u2019)\]]*\s+")
_CLAUSE_END = re.compile(r"(?<=[,;:\u2014\u2013])\s+")
_SPACE = re.compile(r"\s+")


def _weight(text: str) -> int:
    """Characters, with each symbol (emoji, pictographs; read out by name) counted ``SYMBOL_WEIGHT`` times."""
    return len(text) + (SYMBOL_WEIGHT - 1) * sum(1 for c in text if unicodedata.category(c) == "So")


def _cut(text: str, max_chars: int) -> list[str]:
    """Cut one over-long run of text with no separator: at max_chars (by weight)."""
    pieces: list[str] = []
    start = weight = 0
    for i, c in enumerate(text):
        w = _weight(c)
        if weight + w > max_chars and i > start:
            pieces.append(text[start:i])
            start, weight = i, 0
        weight += w
    if start < len(text):
        pieces.append(text[start:])
    return pieces


def _pack(parts: list[str], max_chars: int, smaller: Callable[[str], list[str]]) -> list[str]:
    """Join neighbouring parts while they fit; parts that never fit are split by ``smaller``."""
    pieces: list[str] = []
    current, current_weight = "", 0
    for part in parts:
        weight = _weight(part)
        if weight > max_chars:
            if current:
                pieces.append(current)
                current, current_weight = "", 0
            pieces.extend(smaller(part))
        elif not current:
            current, current_weight = part, weight
        elif current_weight + 1 + weight <= max_chars:
            current, current_weight = f"{current} {part}", current_weight + 1 + weight
        else:
            pieces.append(current)
            current, current_weight = part, weight
    if current:
        pieces.append(current)
    return pieces


def _split_long(text: str, max_chars: int) -> list[str]:
    def by_words(s: str) -> list[str]:
        return _pack(_SPACE.split(s), max_chars, lambda w: _cut(w, max_chars))

    def by_clauses(s: str) -> list[str]:
        return _pack(_CLAUSE_END.split(s), max_chars, by_words)

    return _pack(_SENTENCE_END.split(text), max_chars, by_clauses)


def split_text(text: str, max_chars: int = MAX_CHARS) -> list[str]:
    """Non-empty pieces of at most ``max_chars`` characters, in order, that together say ``text``.

    Control characters (NUL, escape, ...) become spaces; tabs and line breaks keep their meaning.
    """
    if max_chars < 1:
        raise ValueError("max_chars must be positive")
    pieces: list[str] = []
    text = _CONTROL.sub(" ", text)
    for line in _LINES.split(text.strip()):
        line = line.strip()
        if not line:
            continue
        pieces.extend([line] if _weight(line) <= max_chars else _split_long(line, max_chars))
    return [p for p in (p.strip() for p in pieces) if p]
