"""Multipart fields -> TranscriptionRequest: brackets, defaults, and a named param for every bad value."""

from __future__ import annotations

import asyncio
import io

import pytest
from starlette.datastructures import FormData, Headers, UploadFile

from engines.errors import InvalidOptionError
from server.errors import APIError
from server.http.forms import parse_form


def _parse(fields: list[tuple[str, str]], task: str = "transcribe", file: bool = True):
    items: list[tuple[str, str | UploadFile]] = list(fields)
    if file:
        items.append(("file", UploadFile(io.BytesIO(b"RIFF"), filename="a.wav", headers=Headers({}))))
    return asyncio.run(parse_form(FormData(items), task, 25 * 1024 * 1024))


def test_defaults() -> None:
    req = _parse([("model", "whisper-1")])
    assert (req.response_format, req.temperature, req.granularities, req.include, req.stream) == (
        "json",
        0.0,
        ("segment",),
        (),
        False,
    )
    assert req.language is None and req.prompt is None and req.chunking is None and req.audio == b"RIFF"


def test_bracketed_arrays_plain_arrays_and_chunking_object() -> None:
    req = _parse(
        [
            ("model", "m"),
            ("timestamp_granularities[]", "word"),
            ("timestamp_granularities", "segment"),
            ("include[]", "logprobs"),
            ("stream", "true"),
            ("chunking_strategy[type]", "server_vad"),
            ("chunking_strategy[threshold]", "0.3"),
            ("chunking_strategy[silence_duration_ms]", "700"),
            ("language", "EN-us"),
            ("temperature", "0.2"),
            ("prompt", "  Names: Dashwood. "),
            ("unknown[x]", "1"),
        ]
    )
    assert req.granularities == ("word", "segment") and req.include == ("logprobs",) and req.stream
    assert req.chunking is not None and req.chunking.vad is not None
    assert (
        req.chunking.vad.threshold,
        req.chunking.vad.min_silence_duration_ms,
        req.chunking.vad.speech_pad_ms,
    ) == (0.3, 700, 300)
    assert req.language == "en" and req.temperature == 0.2 and req.prompt == "Names: Dashwood."


def test_chunking_auto_and_json() -> None:
    assert _parse([("model", "m"), ("chunking_strategy", "auto")]).chunking.vad is None
    chunking = _parse(
        [("model", "m"), ("chunking_strategy", '{"type":"server_vad","prefix_padding_ms":100}')]
    ).chunking
    assert chunking.vad.speech_pad_ms == 100


@pytest.mark.parametrize(
    "fields,param",
    [
        ([], "model"),
        ([("model", "m"), ("response_format", "xml")], "response_format"),
        ([("model", "m"), ("temperature", "-0.1")], "temperature"),
        ([("model", "m"), ("temperature", "inf")], "temperature"),
        ([("model", "m"), ("language", "klingon")], "language"),
        ([("model", "m"), ("timestamp_granularities[]", "sentence")], "timestamp_granularities"),
        ([("model", "m"), ("include[]", "logprobs"), ("response_format", "srt")], "include"),
        ([("model", "m"), ("stream", "2")], "stream"),
        ([("model", "m"), ("chunking_strategy[threshold]", "0.5")], "chunking_strategy"),
        ([("model", "m"), ("chunking_strategy", "[1]")], "chunking_strategy"),
    ],
)
def test_bad_values_name_their_param(fields: list[tuple[str, str]], param: str) -> None:
    with pytest.raises((APIError, InvalidOptionError)) as caught:
        _parse(fields)
    assert caught.value.param == param


def test_missing_file() -> None:
    with pytest.raises(APIError) as caught:
        _parse([("model", "m")], file=False)
    assert caught.value.param == "file" and caught.value.code == "missing_required_parameter"


def test_translation_ignores_transcription_only_fields_and_refuses_diarized_json() -> None:
    req = _parse([("model", "m"), ("stream", "nonsense"), ("include[]", "x")], task="translate")
    assert not req.stream and req.include == ()
    with pytest.raises(APIError) as caught:
        _parse([("model", "m"), ("response_format", "diarized_json")], task="translate")
    assert caught.value.param == "response_format"
