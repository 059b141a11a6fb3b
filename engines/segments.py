"""From faster-whisper's segments to Earshot's: conversion, no-speech gating, re-segmentation.

The batched pipeline returns one segment per ~30 s VAD chunk; :func:`split_by_words` rebuilds
sentence-sized segments from the word timings, dividing the tokens (and log-probabilities) with them.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from engines.types import Segment, TokenLogprob, Word

SENTENCE_END = (".", "?", "!", "。", "？", "！", "…")
# Words whose full stop does not end a sentence ("And Mr." must not become a subtitle cue of its own).
ABBREVIATIONS = frozenset(
    {"mr.", "mrs.", "ms.", "dr.", "st.", "jr.", "sr.", "prof.", "vs.", "e.g.", "i.e.", "etc.", "mt."}
)
INITIALS = re.compile(r"^(?:[^\W\d_]\.)+$")  # "J." "U.S." "e.g." (letters each followed by a full stop)
MAX_SEGMENT_SECONDS = 15.0
PAUSE_SECONDS = 1.0


def compression_ratio(text: str) -> float:
    """Whisper's gzip compression ratio of a text (high = repetitive)."""
    data = text.encode("utf-8")
    return len(data) / len(zlib.compress(data)) if data else 0.0


def convert(raw: Any, eot: int) -> Segment:
    """A faster-whisper Segment -> ours (id assigned later)."""
    words = None
    if raw.words is not None:
        words = tuple(Word(w.word, float(w.start), float(w.end), float(w.probability)) for w in raw.words)
    return Segment(
        id=0,
        seek=int(raw.seek),
        start=float(raw.start),
        end=float(raw.end),
        text=raw.text.rstrip(),
        tokens=tuple(int(t) for t in raw.tokens),
        temperature=float(raw.temperature if raw.temperature is not None else 0.0),
        avg_logprob=float(raw.avg_logprob),
        compression_ratio=float(raw.compression_ratio),
        no_speech_prob=float(raw.no_speech_prob),
        words=words,
    )


def is_no_speech(
    segment: Segment, no_speech_threshold: float | None, log_prob_threshold: float | None
) -> bool:
    """Whisper's rule: likely silence, unless the decoding was confident anyway."""
    if no_speech_threshold is None or segment.no_speech_prob <= no_speech_threshold:
        return False
    return log_prob_threshold is None or segment.avg_logprob < log_prob_threshold


def ends_sentence(word: str) -> bool:
    """Whether a word closes a sentence: a final stop that is not an abbreviation's or an initial's."""
    text = word.strip().lstrip("\"'([{\u201c\u2018")
    if not text.endswith(SENTENCE_END):
        return False
    return not (text.lower() in ABBREVIATIONS or INITIALS.match(text))


def _groups(words: Sequence[Word]) -> list[tuple[int, int]]:
    """Word index ranges: break after sentence ends, at long pauses, and before 15 s."""
    groups: list[tuple[int, int]] = []
    first = 0
    for i, word in enumerate(words):
        last = i == len(words) - 1
        next_word = None if last else words[i + 1]
        end_here = last or ends_sentence(word.word)
        if next_word is not None:
            end_here = end_here or next_word.start - word.end >= PAUSE_SECONDS
            end_here = end_here or next_word.end - words[first].start > MAX_SEGMENT_SECONDS
        if end_here:
            groups.append((first, i + 1))
            first = i + 1
    return groups


def _token_spans(tokens: Sequence[int], tokenizer: Any, boundaries: Sequence[int]) -> list[tuple[int, int]]:
    """Divide text tokens among consecutive character ranges ending at ``boundaries``."""
    spans: list[tuple[int, int]] = []
    start = 0
    group = 0
    for k in range(len(tokens) + 1):
        if k == len(tokens):
            break
        offset = len(tokenizer.decode(list(tokens[:k])))
        while group < len(boundaries) - 1 and offset >= boundaries[group]:
            spans.append((start, k))
            start = k
            group += 1
    spans.append((start, len(tokens)))
    while len(spans) < len(boundaries):
        spans.append((len(tokens), len(tokens)))
    return spans


def split_by_words(segment: Segment, tokenizer: Any) -> list[Segment]:
    """Sentence-sized segments rebuilt from a long segment's word timings."""
    words = segment.words
    if not words or len(words) < 2:
        return [segment]
    groups = _groups(words)
    if len(groups) == 1:
        return [segment]
    texts = ["".join(w.word for w in words[a:b]) for a, b in groups]
    eot = tokenizer.eot
    text_tokens = [t for t in segment.tokens if t < eot]
    boundaries: list[int] = []
    total = 0
    for text in texts:
        total += len(text)
        boundaries.append(total)
    spans = _token_spans(text_tokens, tokenizer, boundaries)
    pieces = []
    for (a, b), text, (ta, tb) in zip(groups, texts, spans, strict=False):
        logprobs: tuple[TokenLogprob, ...] | None = None
        if segment.logprobs is not None and len(segment.logprobs) == len(text_tokens):
            logprobs = segment.logprobs[ta:tb]
        pieces.append(
            replace(
                segment,
                start=words[a].start,
                end=words[b - 1].end,
                text=text.rstrip(),
                tokens=tuple(text_tokens[ta:tb]),
                compression_ratio=compression_ratio(text.strip()),
                words=tuple(words[a:b]),
                logprobs=logprobs,
            )
        )
    return pieces
