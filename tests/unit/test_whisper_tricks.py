"""What the engine's tricks assume of faster-whisper, asserted on the real models.

The encoder memo (engines/encoder_memo.py) replaces ``WhisperModel.encode`` and relies on
``transcribe`` encoding the first window twice, through ``self.encode``, when it detects the language
of audio over 30 s. The logprob recorder (engines/logprobs.py) wraps ``WhisperModel.model`` (the
CTranslate2 ``Whisper``) and relies on ``align`` being called through it, with results carrying
``text_token_probs``. A faster-whisper release that changes either must fail here, not change words.
"""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

from engines.types import RuntimeOptions, TranscriptionOptions
from engines.whisper import WhisperEngine
from tests.support import parity

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def paths(models_dir: Path) -> dict[str, Path]:
    return parity.model_paths(models_dir)


def _engine(path: Path) -> WhisperEngine:
    return WhisperEngine.load(path, RuntimeOptions(cpu_threads=2))


def test_faster_whisper_still_has_what_the_tricks_patch(paths: dict[str, Path]) -> None:
    import ctranslate2
    from faster_whisper import WhisperModel

    assert list(inspect.signature(WhisperModel.encode).parameters) == ["self", "features"]
    assert "self.encode(" in inspect.getsource(WhisperModel.generate_segments)
    assert "self.encode(" in inspect.getsource(WhisperModel.detect_language)
    assert "self.model.align(" in inspect.getsource(WhisperModel.find_alignment)
    raw = parity.load_raw(paths["whisper-tiny.en"], 1)
    assert isinstance(raw.model, ctranslate2.models.Whisper)
    assert hasattr(raw.model, "align") and hasattr(raw.model, "detect_language")


def test_memo_saves_the_repeated_window_and_only_that(paths: dict[str, Path]) -> None:
    """44 s of speech, language detected: one encoding saved, words as raw faster-whisper's."""
    engine = _engine(paths["whisper-base"])
    raw = parity.load_raw(paths["whisper-base"], 2)
    case = parity.Case(parity._rel(parity.TWO_CITIES), "whisper-base")
    options = TranscriptionOptions(language=None, batched_min_seconds=None)
    info, segments = engine.transcribe(parity.audio(case.clip), options)
    text = "".join(s.text for s in segments)
    assert engine._memo is not None and engine._memo.hits == 1
    settings = parity.Settings(batched_min_seconds=None)
    assert parity.same_words(text, parity.raw_text(raw, case, settings))

    short = parity.audio(str(parity.LIBRIVOX[1].relative_to(parity.DATA)))  # 3 s: the windows differ
    list(engine.transcribe(short, options)[1])
    assert engine._memo.hits == 1


def test_recorder_gets_every_token_probability(paths: dict[str, Path]) -> None:
    engine = _engine(paths["whisper-tiny.en"])
    clip = str(parity.LIBRIVOX[0].relative_to(parity.DATA))
    _, segments = engine.transcribe(parity.audio(clip), TranscriptionOptions(token_logprobs=True))
    segments = list(segments)
    assert segments
    for segment in segments:
        text_tokens = [
            t for t in segment.tokens if t < engine.model.hf_tokenizer.token_to_id("<|endoftext|>")
        ]
        assert segment.logprobs is not None and len(segment.logprobs) == len(text_tokens)
        assert "".join(p.token for p in segment.logprobs).strip() == segment.text.strip()
