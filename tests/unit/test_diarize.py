"""Diarization on real multi-speaker conversations with known ground truth (DER with a 0.25 s collar)."""

from __future__ import annotations

import numpy as np
import pytest

from engines.diarize import DiarizationOptions, Diarizer, SpeakerTurn, assign_words, speaker_at
from engines.types import Word
from tests.support import conversations as cv
from tests.support import devset
from tests.support.channels import phone_mu_law
from tests.support.der import der

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def diarizer() -> Diarizer:
    return Diarizer.load()


@pytest.fixture(scope="module")
def references(diarizer: Diarizer) -> dict[str, np.ndarray]:
    return {name: diarizer.embed_reference(clip) for name, clip in cv.references().items()}


def _score(
    diarizer: Diarizer, conv: cv.Conversation, **kwargs: object
) -> tuple[float, set[str], dict[str, str]]:
    turns = diarizer.diarize(conv.audio, **kwargs)  # type: ignore[arg-type]
    result = der(conv.turns, [(t.start, t.end, t.speaker) for t in turns])
    return result.der, {t.speaker for t in turns}, result.mapping


def test_clean_two_speaker_conversation(diarizer: Diarizer) -> None:
    error, speakers, _ = _score(diarizer, cv.two_speakers_without_references())
    assert error <= 0.20
    assert speakers == {"A", "B"}


def test_two_speakers_with_all_clips(diarizer: Diarizer) -> None:
    error, speakers, _ = _score(diarizer, cv.two_speakers())
    assert error <= 0.20
    assert len(speakers) == 2


def test_three_speakers_with_one_short_third_turn(diarizer: Diarizer) -> None:
    error, speakers, _ = _score(diarizer, cv.three_real_speakers())
    assert error <= 0.20
    assert len(speakers) == 3


def test_three_speakers_with_a_synthetic_voice(diarizer: Diarizer) -> None:
    error, speakers, _ = _score(diarizer, cv.three_speakers(cv.joe_clips(cv.JOE_LINES[:3])))
    assert error <= 0.20
    assert len(speakers) == 3


def test_known_speakers_are_named(diarizer: Diarizer, references: dict[str, np.ndarray]) -> None:
    error, speakers, mapping = _score(diarizer, cv.two_speakers_without_references(), references=references)
    assert speakers == {"reader", "cards"}
    assert mapping == {"reader": "reader", "cards": "cards"}
    assert error <= 0.20


def test_unknown_third_speaker_gets_a_letter(diarizer: Diarizer, references: dict[str, np.ndarray]) -> None:
    _, speakers, mapping = _score(diarizer, cv.three_real_speakers(), references=references)
    assert speakers == {"reader", "cards", "A"}
    assert mapping["A"] == "forward"


def test_fixed_number_of_speakers(diarizer: Diarizer) -> None:
    _, speakers, _ = _score(diarizer, cv.two_speakers(), num_speakers=3)
    assert len(speakers) == 3


def test_max_speakers_caps_the_estimate() -> None:
    capped = Diarizer.load(options=DiarizationOptions(max_speakers=2))
    conv = cv.three_real_speakers()
    assert len({t.speaker for t in capped.diarize(conv.audio)}) == 2


def test_silence_has_no_turns(diarizer: Diarizer) -> None:
    assert diarizer.diarize(np.zeros(16000 * 3, dtype=np.float32)) == []


def test_one_speaker(diarizer: Diarizer) -> None:
    audio = np.concatenate([cv.load(r) for r in cv.READER[:3]])
    assert {t.speaker for t in diarizer.diarize(audio)} == {"A"}


TURNS = [SpeakerTurn(0.0, 2.0, "A"), SpeakerTurn(2.4, 5.0, "B"), SpeakerTurn(5.2, 6.0, "A")]


def test_speaker_at_prefers_overlap_then_nearest() -> None:
    assert speaker_at(TURNS, 1.8, 2.6) == "B"  # 0.2 s of A, 0.2 s of B -> tie goes to the first seen
    assert speaker_at(TURNS, 1.5, 2.5) == "A"
    assert speaker_at(TURNS, 2.2, 2.3) == "B"  # in the gap, nearest turn edge
    assert speaker_at(TURNS, 9.0, 9.5) == "A"
    assert speaker_at([], 0.0, 1.0) is None


def test_assign_words_groups_by_speaker_and_pause() -> None:
    words = [
        Word(" Hello", 0.1, 0.5, 0.9),
        Word(" there.", 0.6, 1.0, 0.9),
        Word(" Hi,", 2.5, 2.8, 0.9),
        Word(" how", 2.9, 3.1, 0.9),
        Word(" are", 3.2, 3.4, 0.9),
        Word(" you?", 3.5, 3.9, 0.9),
        Word(" Fine.", 5.3, 5.8, 0.9),
    ]
    segments = assign_words(words, TURNS)
    assert [(s.speaker, s.text, s.start, s.end) for s in segments] == [
        ("A", "Hello there.", 0.1, 1.0),
        ("B", "Hi, how are you?", 2.5, 3.9),
        ("A", "Fine.", 5.3, 5.8),
    ]
    # A first word stretched back over the pause (whisper does that) goes by its second half.
    stretched = assign_words([Word(" Bye.", 0.2, 0.9, 0.9), Word(" Hi.", 1.0, 2.8, 0.9)], TURNS)
    assert [(s.speaker, s.text) for s in stretched] == [("A", "Bye."), ("B", "Hi.")]
    # A long pause splits one speaker's words; no turns at all means one default speaker.
    split = assign_words([Word(" a", 0.0, 0.2, 1.0), Word(" b", 5.0, 5.2, 1.0)], [], max_gap=2.0)
    assert [(s.speaker, s.text) for s in split] == [("A", "a"), ("A", "b")]
    assert assign_words([], TURNS) == []


def test_known_speakers_floor_the_count(references: dict[str, np.ndarray]) -> None:
    # A threshold so low that every window merges: with both speakers' references heard, two clusters remain.
    merging = Diarizer.load(DiarizationOptions(threshold=0.0))
    conv = cv.two_speakers_without_references()
    assert len({t.speaker for t in merging.diarize(conv.audio)}) == 1
    turns = merging.diarize(conv.audio, references=references)
    result = der(conv.turns, [(t.start, t.end, t.speaker) for t in turns])
    assert {t.speaker for t in turns} == {"reader", "cards"} and result.der <= 0.20


def test_telephone_conversation(diarizer: Diarizer) -> None:
    conv = cv.two_speakers()
    error, speakers, _ = _score(diarizer, cv.Conversation(conv.name, phone_mu_law(conv.audio), conv.turns))
    assert len(speakers) == 2 and error <= 0.15


def test_ge2e_is_still_available() -> None:
    ge2e = Diarizer.load(DiarizationOptions(encoder="ge2e"))
    assert ge2e.encoder.dim == 256 and ge2e.threshold == 0.65
    error, speakers, _ = _score(ge2e, cv.two_speakers_without_references())
    assert speakers == {"A", "B"} and error <= 0.20


def test_development_set_is_deterministic() -> None:
    first, second = devset.conversations(), devset.conversations()
    assert [c.name for c in first] == [c.name for c in second]
    for a, b in zip(first, second, strict=True):
        assert np.array_equal(a.audio, b.audio) and a.turns == b.turns
    counts = {c.name: len(c.speakers) for c in first}
    assert (
        counts["short-4"] == 4
        and counts["one-narrator"] == 1
        and {"nell", "nagg"} == devset.endgame().speakers
    )
