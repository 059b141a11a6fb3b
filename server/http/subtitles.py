"""Readable subtitle cues from segments: SubRip (srt) and WebVTT (vtt).

Cues hold at most two lines of ~42 characters and ~7 seconds, split at word boundaries using the
word timings (long whisper segments become several cues, never a 30-second wall of text). A cue
prefers to end after punctuation once it is half full. Without word timings, a segment's time is
shared among its words in proportion to their length.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from engines.types import Segment, Word

LINE_CHARS = 42
MAX_LINES = 2
MAX_SECONDS = 7.0
_BREAK_AFTER = (".", "?", "!", ",", ";", ":", "…", "。", "？", "！", "，")


@dataclass(frozen=True)
class Cue:
    """One subtitle: its time span and its (at most two) lines."""

    start: float
    end: float
    lines: tuple[str, ...]


def _wrap(text: str) -> list[str]:
    return textwrap.wrap(text, LINE_CHARS, break_long_words=False, break_on_hyphens=False) or [text]


def _fits(text: str) -> bool:
    return len(_wrap(text)) <= MAX_LINES


def _words(segment: Segment) -> list[Word]:
    """The segment's words, or words timed by length when there are no timings."""
    if segment.words:
        return [w for w in segment.words if w.word.strip()]
    tokens = segment.text.split()
    if not tokens:
        return []
    span = max(segment.end - segment.start, 0.0)
    total = sum(len(t) + 1 for t in tokens)
    words, at = [], segment.start
    for token in tokens:
        length = span * (len(token) + 1) / total
        words.append(Word(" " + token, at, at + length, 1.0))  # spaced: each may start a cue
        at += length
    return words


def _text(words: Sequence[Word]) -> str:
    return "".join(w.word for w in words).strip()


def _continues(word: Word) -> bool:
    """A piece glued to the previous word (``-disposed``, ``'s``): never start a cue with it."""
    text = word.word
    return bool(text) and text[0].isascii() and not text[0].isspace()


def cues(segments: Iterable[Segment], duration: float | None = None) -> list[Cue]:
    """Split segments into readable cues with monotonic, non-overlapping times."""
    groups: list[list[Word]] = []
    for segment in segments:
        current: list[Word] = []
        for word in _words(segment):
            if current and not _continues(word):
                candidate = _text([*current, word])
                too_long = not _fits(candidate) or word.end - current[0].start > MAX_SECONDS
                half_full = (
                    len(_text(current)) >= LINE_CHARS or current[-1].end - current[0].start >= MAX_SECONDS / 2
                )
                if too_long or (half_full and current[-1].word.strip().endswith(_BREAK_AFTER)):
                    groups.append(current)
                    current = []
            current.append(word)
        if current:
            groups.append(current)
    result: list[Cue] = []
    previous_end = 0.0
    for group in groups:
        start = max(group[0].start, previous_end)
        end = max(group[-1].end, start + 0.01)
        if duration is not None:
            end = min(end, max(duration, start + 0.01))
        result.append(Cue(round(start, 3), round(end, 3), tuple(_wrap(_text(group)))))
        previous_end = result[-1].end
    return result


def _timestamp(seconds: float, separator: str) -> str:
    millis = max(0, round(seconds * 1000))
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{separator}{millis:03d}"


def srt(items: Sequence[Cue]) -> str:
    """SubRip text: numbered cues, ``HH:MM:SS,mmm`` times."""
    blocks = [
        f"{i}\n{_timestamp(c.start, ',')} --> {_timestamp(c.end, ',')}\n" + "\n".join(c.lines) + "\n"
        for i, c in enumerate(items, 1)
    ]
    return "\n".join(blocks)


def vtt(items: Sequence[Cue]) -> str:
    """WebVTT text: a ``WEBVTT`` header, ``HH:MM:SS.mmm`` times, escaped cue text."""

    def escape(line: str) -> str:
        return line.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

    blocks = [
        f"{_timestamp(c.start, '.')} --> {_timestamp(c.end, '.')}\n"
        + "\n".join(escape(x) for x in c.lines)
        + "\n"
        for c in items
    ]
    return "WEBVTT\n\n" + "\n".join(blocks)
