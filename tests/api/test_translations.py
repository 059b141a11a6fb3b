"""POST /v1/audio/translations: non-English speech (espeak-ng, vendored) -> English text."""

from __future__ import annotations

import warnings
from pathlib import Path

import httpx
import openai
import pytest
import srt

from tests.support.wer import normalize

pytestmark = pytest.mark.slow

FOREIGN = Path(__file__).resolve().parents[1] / "data" / "foreign"
ENGLISH = {
    "good",
    "morning",
    "i",
    "and",
    "the",
    "is",
    "today",
    "my",
    "with",
    "in",
    "to",
    "live",
    "going",
    "friends",
}
SOURCE_ONLY = {
    "guten",
    "morgen",
    "ich",
    "und",
    "heute",
    "buenos",
    "días",
    "dias",
    "vivo",
    "hoy",
    "amigos",
    "con",
}


def _translate(client: openai.OpenAI, **kw: object) -> object:
    with warnings.catch_warnings():  # the SDK marks translations deprecated
        warnings.simplefilter("ignore", DeprecationWarning)
        return client.audio.translations.create(**kw)


@pytest.mark.parametrize("lang", ["de", "es"])
def test_translation_is_english_looking_text(client: openai.OpenAI, lang: str) -> None:
    result = _translate(client, model="whisper-1", file=FOREIGN / f"espeak-{lang}.ogg")
    words = normalize(result.text)
    assert len(words) >= 5
    assert len(set(words) & ENGLISH) >= 3, result.text
    assert not set(words) & SOURCE_ONLY, result.text


def test_translation_verbose_json_and_subtitles(client: openai.OpenAI) -> None:
    path = FOREIGN / "espeak-de.ogg"
    verbose = _translate(client, model="whisper-1", file=path, response_format="verbose_json")
    assert verbose.task == "translate"
    assert verbose.language == "english"
    assert 9 < verbose.duration < 12
    assert verbose.segments and "".join(s.text for s in verbose.segments).strip() == verbose.text
    cues = list(srt.parse(_translate(client, model="whisper-1", file=path, response_format="srt")))
    assert cues and all(c.end.total_seconds() <= verbose.duration + 0.001 for c in cues)
    text = _translate(client, model="whisper-1", file=path, response_format="text")
    assert text.strip() == verbose.text


def test_translation_json_has_only_text(base_url: str) -> None:
    response = httpx.post(
        f"{base_url}/v1/audio/translations",
        data={"model": "whisper-1"},
        files={"file": ("upload", (FOREIGN / "espeak-es.ogg").read_bytes(), "application/octet-stream")},
        timeout=120,
    )
    assert response.status_code == 200
    assert list(response.json()) == ["text"]


def test_translation_with_english_only_model_is_400(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        _translate(client, model="whisper-tiny.en", file=FOREIGN / "espeak-de.ogg")
    assert caught.value.param == "model"
    assert "English-only" in caught.value.message


def test_translation_rejects_diarized_json(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        _translate(client, model="whisper-1", file=FOREIGN / "espeak-de.ogg", response_format="diarized_json")
    assert caught.value.param == "response_format"
