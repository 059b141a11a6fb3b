"""POST /v1/audio/transcriptions through the official SDK (and raw httpx where the SDK hides detail).

Real models, real server. Transcriptions are cached in module fixtures so each is made once.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import httpx
import numpy as np
import openai
import pytest
import srt
import webvtt

from tests.support.audio import LIBRIVOX, librivox_transcripts, read_samples, wav_bytes
from tests.support.wer import normalize, wer

pytestmark = pytest.mark.slow

TINY = "whisper-tiny.en"
CLIP = LIBRIVOX / "sense_and_sensibility_01_austen_64kb-0870.wav"  # 7.1 s, one long sentence


def _flat(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def story() -> bytes:
    """The five LibriVox clips back to back (24.7 s) as one wav."""
    clips = sorted(LIBRIVOX.glob("*.wav"))
    return wav_bytes(np.concatenate([read_samples(p) for p in clips]))


@pytest.fixture(scope="module")
def formats(client: openai.OpenAI, story: bytes) -> dict[str, object]:
    """The story in every response format (tiny.en)."""
    out: dict[str, object] = {}
    for fmt in ("json", "text", "srt", "vtt"):
        out[fmt] = client.audio.transcriptions.create(
            model=TINY, file=("story.wav", story), response_format=fmt
        )
    out["verbose_json"] = client.audio.transcriptions.create(
        model=TINY,
        file=("story.wav", story),
        response_format="verbose_json",
        timestamp_granularities=["word", "segment"],
    )
    return out


@pytest.fixture(scope="module")
def base_texts(client: openai.OpenAI) -> dict[str, str]:
    """Each LibriVox clip transcribed alone by whisper-base (json)."""
    return {
        name: client.audio.transcriptions.create(model="whisper-base", file=LIBRIVOX / f"{name}.wav").text
        for name in librivox_transcripts()
    }


def test_wer_per_librivox_clip_with_whisper_base(base_texts: dict[str, str]) -> None:
    rates = {name: wer(reference, base_texts[name]) for name, reference in librivox_transcripts().items()}
    assert all(rate <= 0.10 for rate in rates.values()), rates


def test_json_has_text_and_duration_usage(formats: dict[str, object]) -> None:
    result = formats["json"]
    assert wer(" ".join(librivox_transcripts().values()), result.text) <= 0.15
    assert result.usage.type == "duration" and result.usage.seconds == 25
    assert result.logprobs is None


def test_text_format_is_plain_unquoted_text(formats: dict[str, object]) -> None:
    text = formats["text"]
    assert isinstance(text, str) and not text.startswith('"')
    assert text.strip() == formats["json"].text


def test_srt_parses_agrees_and_keeps_cues_readable(formats: dict[str, object]) -> None:
    cues = list(srt.parse(formats["srt"]))
    assert len(cues) >= 5
    assert [c.index for c in cues] == list(range(1, len(cues) + 1))
    _check_cues([(c.start.total_seconds(), c.end.total_seconds(), c.content) for c in cues], formats)


def test_vtt_parses_agrees_and_keeps_cues_readable(formats: dict[str, object]) -> None:
    assert formats["vtt"].startswith("WEBVTT\n")
    cues = webvtt.from_buffer(io.StringIO(formats["vtt"]))
    _check_cues([(_secs(c.start), _secs(c.end), c.text) for c in cues], formats)


def _secs(stamp: str) -> float:
    h, m, s = stamp.split(":")
    return int(h) * 3600 + int(m) * 60 + float(s)


def _check_cues(cues: list[tuple[float, float, str]], formats: dict[str, object]) -> None:
    duration = formats["verbose_json"].duration
    previous_end = 0.0
    for start, end, content in cues:
        assert previous_end <= start < end <= duration + 0.001
        assert end - start <= 7.0 + 0.001
        lines = content.split("\n")
        assert len(lines) <= 2
        assert all(len(line) <= 42 or " " not in line for line in lines), lines
        previous_end = end
    assert _flat(" ".join(c for _, _, c in cues)) == _flat(formats["json"].text)


def test_verbose_json_shape(formats: dict[str, object]) -> None:
    verbose = formats["verbose_json"]
    assert verbose.language == "english"
    assert verbose.task == "transcribe"  # kept by the SDK as an extra field
    assert abs(verbose.duration - 24.73) < 0.05
    assert verbose.text == formats["json"].text
    assert verbose.usage.type == "duration"
    assert "".join(s.text for s in verbose.segments).strip() == verbose.text
    previous = 0.0
    for i, segment in enumerate(verbose.segments):
        assert segment.id == i
        assert previous <= segment.start <= segment.end <= verbose.duration + 0.001
        assert segment.tokens and all(isinstance(t, int) for t in segment.tokens)
        assert segment.avg_logprob < 0 and 0 <= segment.no_speech_prob <= 1 and segment.compression_ratio > 0
        assert segment.temperature == 0.0
        previous = segment.start


def test_words_present_when_asked_and_monotonic(formats: dict[str, object]) -> None:
    words = formats["verbose_json"].words
    assert normalize(" ".join(w.word for w in words)) == normalize(formats["json"].text)
    for before, after in zip(words, words[1:], strict=False):
        assert before.start <= before.end <= after.start + 0.001
    assert all(w.word == w.word.strip() for w in words)


def test_words_absent_unless_asked_and_word_only_has_no_segments(
    client: openai.OpenAI, base_url: str
) -> None:
    plain = client.audio.transcriptions.create(model=TINY, file=CLIP, response_format="verbose_json")
    assert plain.words is None and plain.segments
    body = httpx.post(
        f"{base_url}/v1/audio/transcriptions",
        data={"model": TINY, "response_format": "verbose_json", "timestamp_granularities[]": "word"},
        files={"file": ("clip.wav", CLIP.read_bytes())},
        timeout=120,
    ).json()
    assert "segments" not in body and body["words"]
    assert body["text"] == plain.text


def test_logprobs_when_asked(client: openai.OpenAI) -> None:
    result = client.audio.transcriptions.create(model=TINY, file=CLIP, include=["logprobs"])
    assert result.logprobs
    assert "".join(lp.token for lp in result.logprobs).strip() == result.text
    for lp in result.logprobs:
        assert lp.logprob <= 0 and bytes(int(b) for b in lp.bytes).decode() == lp.token
    assert sum(lp.logprob for lp in result.logprobs) / len(result.logprobs) > -1


def test_logprobs_outside_json_is_rejected(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.audio.transcriptions.create(
            model=TINY, file=CLIP, include=["logprobs"], response_format="text"
        )
    assert caught.value.param == "include"


def test_sdk_stream_iterates_deltas_then_done_equal_to_plain_text(
    client: openai.OpenAI, base_texts: dict[str, str]
) -> None:
    events = list(client.audio.transcriptions.create(model="whisper-1", file=CLIP.read_bytes(), stream=True))
    assert [e.type for e in events[:-1]] == ["transcript.text.delta"] * (len(events) - 1)
    assert len(events) >= 2
    done = events[-1]
    assert done.type == "transcript.text.done"
    assert "".join(e.delta for e in events[:-1]) == done.text
    assert done.usage.type == "tokens" and done.usage.output_tokens > 0
    assert done.usage.total_tokens == done.usage.input_tokens + done.usage.output_tokens
    assert done.text == base_texts[CLIP.stem]  # whisper-1 is whisper-base: the same text as the json answer


def test_stream_of_several_segments_matches_json(
    client: openai.OpenAI, story: bytes, formats: dict[str, object]
) -> None:
    events = list(client.audio.transcriptions.create(model=TINY, file=("s.wav", story), stream=True))
    assert len(events) >= 4
    assert "".join(e.delta for e in events[:-1]) == events[-1].text == formats["json"].text


def test_raw_stream_wire_format_with_logprobs(base_url: str) -> None:
    with httpx.stream(
        "POST",
        f"{base_url}/v1/audio/transcriptions",
        data={"model": TINY, "stream": "true", "include[]": "logprobs"},
        files={"file": ("upload", CLIP.read_bytes(), "application/octet-stream")},
        timeout=120,
    ) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        raw = response.read().decode()
    blocks = [b for b in raw.split("\n\n") if b]
    assert all(re.fullmatch(r"data: \{.*\}", b) for b in blocks), blocks
    events = [json.loads(b[len("data: ") :]) for b in blocks]
    assert events[-1]["type"] == "transcript.text.done"
    assert all(e["logprobs"] for e in events)
    assert sum(len(e["logprobs"]) for e in events[:-1]) == len(events[-1]["logprobs"])


def test_prompt_and_temperature_and_language_are_accepted(client: openai.OpenAI) -> None:
    result = client.audio.transcriptions.create(
        model="whisper-base",
        file=CLIP,
        prompt="Mr. Dashwood, Norland Park.",
        temperature=0.2,
        language="en",
        response_format="verbose_json",
    )
    assert result.language == "english"
    assert wer(librivox_transcripts()[CLIP.stem], result.text) <= 0.15
    assert {s.temperature for s in result.segments} <= {0.2}


def test_chunking_strategy_forms_and_unknown_fields(base_url: str) -> None:
    for extra in (
        {"chunking_strategy": "auto"},
        {
            "chunking_strategy[type]": "server_vad",
            "chunking_strategy[threshold]": "0.4",
            "chunking_strategy[silence_duration_ms]": "500",
            "chunking_strategy[prefix_padding_ms]": "300",
        },
        {"chunking_strategy": json.dumps({"type": "server_vad", "threshold": 0.5})},
        {"something_new": "x", "metadata[user]": "me", "stream": "false"},
    ):
        response = httpx.post(
            f"{base_url}/v1/audio/transcriptions",
            data={"model": TINY, **extra},
            files={"file": ("clip.wav", CLIP.read_bytes())},
            timeout=120,
        )
        assert response.status_code == 200, (extra, response.text)
        assert wer(librivox_transcripts()[CLIP.stem], response.json()["text"]) <= 0.2


@pytest.mark.parametrize("kind", ["silence", "noise"])
def test_silence_and_noise_give_empty_text(client: openai.OpenAI, kind: str) -> None:
    samples = np.zeros(16000 * 8, np.float32)
    if kind == "noise":
        samples = (np.random.default_rng(7).standard_normal(16000 * 8) * 0.05).astype(np.float32)
    audio = wav_bytes(samples)
    assert client.audio.transcriptions.create(model="whisper-base", file=audio).text == ""
    events = list(client.audio.transcriptions.create(model="whisper-base", file=audio, stream=True))
    assert [e.type for e in events] == ["transcript.text.done"] and events[0].text == ""
    cues = client.audio.transcriptions.create(model="whisper-base", file=audio, response_format="srt")
    assert cues.strip() == ""


def test_detects_language_of_non_english_speech(client: openai.OpenAI) -> None:
    path = Path(__file__).resolve().parents[1] / "data" / "foreign" / "espeak-es.ogg"
    result = client.audio.transcriptions.create(
        model="whisper-base", file=path, response_format="verbose_json"
    )
    assert result.language == "spanish"
    assert "madrid" in normalize(result.text)
