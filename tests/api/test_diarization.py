"""Diarized transcription through the official SDK: gpt-4o-transcribe-diarize, diarized_json, known speakers,
streamed segment events, and the 400s for what diarization does not combine with.

The conversation is two real speakers (a LibriVox reader, a CMU speaker reading playing cards) with
known turns; whisper tiny.en keeps it quick, one request uses the diarize model (whisper base).
"""

from __future__ import annotations

import base64

import numpy as np
import openai
import pytest

from tests.support import conversations as cv
from tests.support import devset
from tests.support.audio import wav_bytes
from tests.support.channels import phone, phone_mu_law
from tests.support.der import der

pytestmark = pytest.mark.slow

TINY = "whisper-tiny.en"
DIARIZE = "gpt-4o-transcribe-diarize"


def _data_url(samples: np.ndarray) -> str:
    return "data:audio/wav;base64," + base64.b64encode(wav_bytes(samples)).decode()


@pytest.fixture(scope="module")
def conversation() -> cv.Conversation:
    return cv.two_speakers_without_references()  # 27 s, under the diarize model's 30 s limit


@pytest.fixture(scope="module")
def audio(conversation: cv.Conversation) -> bytes:
    return wav_bytes(conversation.audio)


@pytest.fixture(scope="module")
def diarized(client: openai.OpenAI, audio: bytes) -> object:
    return client.audio.transcriptions.create(
        model=DIARIZE, file=("talk.wav", audio), response_format="diarized_json"
    )


def _speaker_of(result: object, needle: str) -> set[str]:
    return {s.speaker for s in result.segments if needle in s.text.lower()}  # type: ignore[attr-defined]


def test_diarized_json_shape_and_speakers(diarized: object, conversation: cv.Conversation) -> None:
    result = diarized
    assert result.task == "transcribe"  # type: ignore[attr-defined]
    assert result.duration == pytest.approx(conversation.duration, abs=0.05)  # type: ignore[attr-defined]
    segments = result.segments  # type: ignore[attr-defined]
    assert {s.speaker for s in segments} == {"A", "B"}
    assert [s.id for s in segments] == [f"seg_{i:03d}" for i in range(len(segments))]
    assert all(s.type == "transcript.text.segment" and s.start < s.end for s in segments)
    assert result.text == " ".join(s.text for s in segments)  # type: ignore[attr-defined]
    # The reader's words and the card reader's words ("queen of clubs") land on two different speakers.
    reader, cards = _speaker_of(result, "amiable"), _speaker_of(result, "queen")
    assert len(reader) == 1 and len(cards) == 1 and reader != cards
    # Word-level DER (segments as turns) against the reference turns.
    hyp = [(s.start, s.end, s.speaker) for s in segments]
    assert der(conversation.turns, hyp).der <= 0.25


@pytest.mark.parametrize(
    ("conv", "channel"),
    [
        (cv.two_speakers_without_references, phone_mu_law),  # two men, long turns, a μ-law telephone line
        (devset.endgame, phone),  # a man and a woman, real dialogue, 14 turns of 0.2–3.6 s, telephone
        # a man and a woman, overlaps and backchannels, telephone
        (lambda: devset.short_turns("short-mixed", ["cards", "nell"], seed=13), phone),
    ],
    ids=["narrow-band", "short-turns", "short-turns-overlap"],
)
def test_telephone_and_short_turn_conversations(client: openai.OpenAI, conv: object, channel: object) -> None:
    conversation: cv.Conversation = conv()  # type: ignore[operator]
    audio = channel(conversation.audio)  # type: ignore[operator]
    result = client.audio.transcriptions.create(
        model=TINY, file=("call.wav", wav_bytes(audio)), response_format="diarized_json"
    )
    hyp = [(s.start, s.end, s.speaker) for s in result.segments]
    assert len({s.speaker for s in result.segments}) == len(conversation.speakers)
    score = der(conversation.turns, hyp)  # word-level: segments as turns
    overlapped = any(b[0] < a[1] for a, b in zip(conversation.turns, conversation.turns[1:], strict=False))
    if not overlapped:
        assert score.der <= 0.15
    else:  # one speaker per word cannot cover both voices of an overlap: that speech counts as missed
        assert score.confusion <= 0.05 * score.scored and score.der <= 0.20


def test_known_speakers_name_the_segments(client: openai.OpenAI, audio: bytes) -> None:
    refs = cv.references()
    result = client.audio.transcriptions.create(
        model=TINY, file=("talk.wav", audio), response_format="diarized_json",
        known_speaker_names=["customer", "agent"],
        known_speaker_references=[_data_url(refs["cards"]), _data_url(refs["reader"])],
    )  # fmt: skip
    assert {s.speaker for s in result.segments} == {"customer", "agent"}
    assert _speaker_of(result, "queen") == {"customer"}
    assert _speaker_of(result, "amiable") == {"agent"}


def test_json_and_text_with_the_diarize_model(client: openai.OpenAI, audio: bytes) -> None:
    clip = wav_bytes(cv.load("cards/005.wav"))  # "eight of spades four of clubs seven of hearts"
    text = client.audio.transcriptions.create(model=DIARIZE, file=("cards.wav", clip), response_format="text")
    assert "hearts" in text.lower() and text.endswith("\n")
    as_json = client.audio.transcriptions.create(model=DIARIZE, file=("cards.wav", clip))
    assert as_json.text == text.strip()
    events = list(client.audio.transcriptions.create(model=DIARIZE, file=("cards.wav", clip), stream=True))
    assert {e.type for e in events} == {"transcript.text.delta", "transcript.text.done"}  # no segment events
    assert all(e.segment_id == "seg_000" for e in events[:-1]) and events[-1].text == as_json.text
    plain = client.audio.transcriptions.create(
        model=TINY, file=("talk.wav", audio), response_format="diarized_json"
    )
    assert "queen" in plain.text.lower()


def test_stream_sends_segment_events(client: openai.OpenAI, audio: bytes) -> None:
    events = list(
        client.audio.transcriptions.create(
            model=TINY, file=("talk.wav", audio), response_format="diarized_json", stream=True
        )
    )
    kinds = [e.type for e in events]
    assert kinds[0] == "transcript.text.delta" and kinds[-1] == "transcript.text.done"
    segments = [e for e in events if e.type == "transcript.text.segment"]
    assert {s.speaker for s in segments} == {"A", "B"}
    deltas = [e for e in events if e.type == "transcript.text.delta"]
    assert "".join(d.delta for d in deltas) == events[-1].text
    assert {d.segment_id for d in deltas} == {s.id for s in segments}
    assert " ".join(s.text for s in segments) == events[-1].text
    assert events[-1].usage.type == "tokens"


@pytest.mark.parametrize(
    ("kwargs", "param"),
    [
        ({"prompt": "A conversation."}, "prompt"),
        ({"include": ["logprobs"], "response_format": "json"}, "include"),
        ({"timestamp_granularities": ["word"]}, "timestamp_granularities"),
        ({"response_format": "srt", "model": DIARIZE}, "response_format"),
        ({"known_speaker_names": ["a"], "known_speaker_references": []}, "known_speaker_references"),
        ({"known_speaker_names": list("abcde"), "known_speaker_references": ["data:,x"] * 5},
         "known_speaker_names"),
        ({"known_speaker_names": ["a"], "known_speaker_references": ["not a data url"]},
         "known_speaker_references"),
        ({"known_speaker_names": ["a", "a"], "known_speaker_references": ["data:audio/wav;base64,AA=="] * 2},
         "known_speaker_names"),
    ],
)  # fmt: skip
def test_unsupported_combinations_are_400s(
    client: openai.OpenAI, kwargs: dict[str, object], param: str
) -> None:
    args: dict[str, object] = {"model": DIARIZE, "response_format": "diarized_json", **kwargs}
    with pytest.raises(openai.BadRequestError) as info:
        client.audio.transcriptions.create(file=("x.wav", wav_bytes(np.zeros(16000))), **args)  # type: ignore[call-overload]
    assert info.value.body["param"] == param  # type: ignore[index]


def test_reference_clip_length_is_checked(client: openai.OpenAI) -> None:
    short = cv.load("cards/001.wav")  # 1.1 s
    with pytest.raises(openai.BadRequestError, match="2 to 10 s") as info:
        client.audio.transcriptions.create(
            model=TINY, file=("x.wav", wav_bytes(np.zeros(16000))), response_format="diarized_json",
            known_speaker_names=["cards"], known_speaker_references=[_data_url(short)],
        )  # fmt: skip
    assert info.value.body["param"] == "known_speaker_references"  # type: ignore[index]


def test_known_speakers_need_diarization(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as info:
        client.audio.transcriptions.create(
            model=TINY, file=("x.wav", wav_bytes(np.zeros(16000))), known_speaker_names=["a"],
            known_speaker_references=[_data_url(np.zeros(16000 * 3))],
        )  # fmt: skip
    assert info.value.body["param"] == "known_speaker_names"  # type: ignore[index]


def test_long_input_needs_chunking_strategy_with_the_diarize_model(client: openai.OpenAI) -> None:
    long = wav_bytes(np.zeros(16000 * 31, dtype=np.float32))
    with pytest.raises(openai.BadRequestError) as info:
        client.audio.transcriptions.create(
            model=DIARIZE, file=("x.wav", long), response_format="diarized_json"
        )
    assert info.value.body["param"] == "chunking_strategy"  # type: ignore[index]
    ok = client.audio.transcriptions.create(
        model=DIARIZE, file=("x.wav", long), response_format="diarized_json", chunking_strategy="auto"
    )
    assert ok.segments == [] and ok.text == ""
