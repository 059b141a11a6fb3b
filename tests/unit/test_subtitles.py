"""Subtitle cues: readable limits, word boundaries, monotonic times, valid SRT/VTT."""

from __future__ import annotations

import io

import srt
import webvtt

from engines.types import Segment, Word
from server.http.subtitles import LINE_CHARS, MAX_SECONDS, cues
from server.http.subtitles import srt as to_srt
from server.http.subtitles import vtt as to_vtt


def _segment(words: list[tuple[str, float, float]], with_words: bool = True) -> Segment:
    text = "".join(w for w, _, _ in words)
    return Segment(
        id=0,
        seek=0,
        start=words[0][1],
        end=words[-1][2],
        text=text,
        tokens=(),
        temperature=0.0,
        avg_logprob=-0.1,
        compression_ratio=1.2,
        no_speech_prob=0.01,
        words=tuple(Word(w, s, e, 0.9) for w, s, e in words) if with_words else None,
    )


def _long_segment(n: int = 60, step: float = 0.4) -> Segment:
    return _segment([(f" word{i}", i * step, i * step + step * 0.8) for i in range(n)])


def test_long_segment_becomes_several_readable_cues() -> None:
    result = cues([_long_segment()], duration=30)
    assert len(result) > 3
    for cue in result:
        assert len(cue.lines) <= 2 and all(len(line) <= LINE_CHARS for line in cue.lines)
        assert cue.end - cue.start <= MAX_SECONDS + 1e-6
    words = " ".join(" ".join(c.lines) for c in result).split()
    assert words == [f"word{i}" for i in range(60)]


def test_times_are_monotonic_and_inside_the_duration() -> None:
    overlapping = [_segment([(" a", 0.0, 2.0), (" b", 1.0, 3.0)]), _segment([(" c", 2.5, 4.0)])]
    result = cues(overlapping, duration=3.5)
    previous = 0.0
    for cue in result:
        assert previous <= cue.start < cue.end <= 3.5
        previous = cue.end


def test_word_pieces_stay_together() -> None:
    pieces = [
        (" not", 0.0, 0.2),
        (" an", 0.2, 0.3),
        (" ill", 0.3, 3.6),
        ("-disposed", 3.6, 7.5),
        (" man.", 7.5, 8),
    ]
    result = cues([_segment(pieces)])
    assert "ill-disposed" in " ".join(" ".join(c.lines) for c in result)


def test_prefers_breaking_after_punctuation() -> None:
    text = "This opening clause runs on for quite a while, then the rest of the sentence goes on to the end."
    words = [(" " + w, i * 0.3, i * 0.3 + 0.25) for i, w in enumerate(text.split())]
    first = cues([_segment(words)])[0]
    assert " ".join(first.lines) == "This opening clause runs on for quite a while,"


def test_without_word_timings_time_is_shared_by_length() -> None:
    segment = _segment([(" " + "x" * 10, 0.0, 1.0)] * 12, with_words=False)
    result = cues([segment], duration=20)
    assert len(result) >= 2 and result[0].start == 0.0 and result[-1].end <= 12.0 + 1e-6


def test_srt_and_vtt_parse_with_real_parsers() -> None:
    items = cues([_long_segment(30), _segment([(" 1 < 2 & 3 > 2", 13.0, 14.0)])], duration=20)
    parsed = list(srt.parse(to_srt(items)))
    assert len(parsed) == len(items) and parsed[-1].content == "1 < 2 & 3 > 2"
    text = to_vtt(items)
    assert text.startswith("WEBVTT\n\n") and "&lt;" in text and "&amp;" in text
    assert len(webvtt.from_buffer(io.StringIO(text)).captions) == len(items)


def test_empty_transcript() -> None:
    assert to_srt(cues([])) == ""
    assert to_vtt(cues([])) == "WEBVTT\n\n"
