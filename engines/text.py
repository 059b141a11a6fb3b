"""Splitting speech input into pieces that are synthesised one at a time.

Piper already yields one chunk per sentence, but it phonemises and runs each sentence whole: a
1,000-character sentence without a full stop takes ~6 s before its first sample. Paragraphs
(line breaks) become separate pieces, and any piece longer than ``max_chars`` is cut at sentence
ends, then at clause punctuation, then between words, so the first audio comes quickly and a
cancelled request stops within one piece.
"""

from __future__ import annotations

import re
from collections.abc import Callable

MAX_CHARS = 300

_LINES = re.compile(r"\s*\n\s*")
_SENTENCE_END = re.compile(r"(?<=[.!?\u2026])[\"'\u201d\u2019)\]]*\s+")
_CLAUSE_END = re.compile(r"(?<=[,;:\u2014\u2013])\s+")
_SPACE = re.compile(r"\s+")


def _cut(text: str, max_chars: int) -> list[str]:
    """Cut one over-long run of text with no separator: at max_chars."""
    return [text[i : i + max_chars] for i in range(0, len(text), max_chars)]


def _pack(parts: list[str], max_chars: int, smaller: Callable[[str], list[str]]) -> list[str]:
    """Join neighbouring parts while they fit; parts that never fit are split by ``smaller``."""
    pieces: list[str] = []
    current = ""
    for part in parts:
        if len(part) > max_chars:
            if current:
                pieces.append(current)
                current = ""
            pieces.extend(smaller(part))
        elif not current:
            current = part
        elif len(current) + 1 + len(part) <= max_chars:
            current = f"{current} {part}"
        else:
            pieces.append(current)
            current = part
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
    """Non-empty pieces of at most ``max_chars`` characters, in order, that together say ``text``."""
    if max_chars < 1:
        raise ValueError("max_chars must be positive")
    pieces: list[str] = []
    for line in _LINES.split(text.strip()):
        line = line.strip()
        if not line:
            continue
        pieces.extend([line] if len(line) <= max_chars else _split_long(line, max_chars))
    return [p for p in (p.strip() for p in pieces) if p]
