"""Response builders and the stream: text equality, shapes, and the final error event."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from contextlib import AsyncExitStack

from engines.errors import ModelUnavailableError
from engines.types import Segment, TokenLogprob, TranscriptionInfo, Word
from server.core.worker import ThreadedIterator
from server.http import formats
from server.http.formats import Transcript
from server.http.forms import TranscriptionRequest
from server.http.transcription import _events

INFO = TranscriptionInfo("de", 0.98, 12.3, 11.0, "transcribe", False, prompt_tokens=3)


def _seg(i: int, text: str) -> Segment:
    return Segment(
        i,
        0,
        i * 2.0,
        i * 2.0 + 1.5,
        text,
        (50364, 100 + i, 50439),
        0.0,
        -0.2,
        1.1,
        0.02,
        (Word(text, i * 2.0, i * 2.0 + 1.5, 0.9),),
        (TokenLogprob(text, -0.1, tuple(text.encode())),),
    )


SEGMENTS = [_seg(0, " Hallo Welt."), _seg(1, " Wie geht's?")]


def test_text_is_the_concatenation_of_deltas() -> None:
    t = Transcript(INFO, SEGMENTS)
    assert t.text == "Hallo Welt. Wie geht's?"
    assert "".join(formats.delta(s, i == 0) for i, s in enumerate(SEGMENTS)) == t.text


def test_json_and_verbose_json_shapes() -> None:
    body = formats.render("json", Transcript(INFO, SEGMENTS)).body
    assert body == {"text": "Hallo Welt. Wie geht's?", "usage": {"type": "duration", "seconds": 13}}
    with_lp = formats.render("json", Transcript(INFO, SEGMENTS, include=("logprobs",))).body
    assert [lp["token"] for lp in with_lp["logprobs"]] == [" Hallo Welt.", " Wie geht's?"]
    verbose = formats.render("verbose_json", Transcript(INFO, SEGMENTS, ("word", "segment"))).body
    assert verbose["language"] == "german" and verbose["task"] == "transcribe" and verbose["duration"] == 12.3
    assert set(verbose["segments"][0]) == {
        "id",
        "seek",
        "start",
        "end",
        "text",
        "tokens",
        "temperature",
        "avg_logprob",
        "compression_ratio",
        "no_speech_prob",
    }
    assert verbose["words"][0] == {"word": "Hallo Welt.", "start": 0.0, "end": 1.5}
    assert "words" not in formats.render("verbose_json", Transcript(INFO, SEGMENTS)).body


def test_translation_shapes() -> None:
    info = TranscriptionInfo("de", 0.98, 12.3, 11.0, "translate", False)
    assert formats.render("json", Transcript(info, SEGMENTS)).body == {"text": "Hallo Welt. Wie geht's?"}
    verbose = formats.render("verbose_json", Transcript(info, SEGMENTS)).body
    assert verbose["task"] == "translate" and verbose["language"] == "english" and "usage" not in verbose


def test_plain_text_bodies() -> None:
    assert formats.render("text", Transcript(INFO, SEGMENTS)).body == "Hallo Welt. Wie geht's?\n"
    assert formats.render("text", Transcript(INFO, [])).body == ""
    assert formats.render("srt", Transcript(INFO, SEGMENTS)).media_type.startswith("application/x-subrip")


def test_token_usage() -> None:
    usage = formats.token_usage(Transcript(INFO, SEGMENTS))
    assert usage.input_token_details.audio_tokens == 615 and usage.input_token_details.text_tokens == 3
    assert usage.output_tokens == 6 and usage.total_tokens == 615 + 3 + 6


def _collect(items: Iterator[object], include: tuple[str, ...] = ()) -> tuple[list[dict], bool]:
    closed = []

    async def run() -> list[bytes]:
        stack = AsyncExitStack()
        stack.callback(lambda: closed.append(True))
        it = ThreadedIterator(lambda _c: items)
        req = TranscriptionRequest("transcribe", b"", "x", "m", include=include, stream=True)
        return [chunk async for chunk in _events(it, INFO, req, stack)]

    chunks = asyncio.run(run())
    return [json.loads(c.decode().removeprefix("data: ")) for c in chunks], bool(closed)


def test_stream_events_and_done() -> None:
    events, closed = _collect(iter(SEGMENTS), include=("logprobs",))
    assert [e["type"] for e in events] == ["transcript.text.delta"] * 2 + ["transcript.text.done"]
    assert events[0]["delta"] == "Hallo Welt." and events[-1]["text"] == "Hallo Welt. Wie geht's?"
    assert len(events[-1]["logprobs"]) == 2 and events[-1]["usage"]["type"] == "tokens" and closed


def test_failure_after_the_first_event_is_a_final_error_event() -> None:
    def failing() -> Iterator[Segment]:
        yield SEGMENTS[0]
        raise ModelUnavailableError("whisper-base", "it fell over")

    events, closed = _collect(failing())
    assert events[0]["type"] == "transcript.text.delta"
    assert events[-1]["type"] == "error" and set(events[-1]["error"]) == {"message", "type", "param", "code"}
    assert "fell over" in events[-1]["error"]["message"] and closed

    def crashing() -> Iterator[Segment]:
        yield SEGMENTS[0]
        raise RuntimeError("secret internals")

    events, _ = _collect(crashing())
    assert events[-1]["error"]["type"] == "server_error" and "secret" not in events[-1]["error"]["message"]
