"""Multipart form -> a validated transcription/translation request (API.md §1.2, §3.1, §4) -> engine options.

Array fields arrive as ``name[]`` (the SDK) or ``name`` (curl); ``chunking_strategy`` as ``auto``, a
JSON object, or bracketed fields ``chunking_strategy[type]``. Unknown fields are ignored. Every bad
value is a 400 naming the parameter.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

from starlette.datastructures import FormData, UploadFile

from engines.languages import normalize_language
from engines.types import TranscriptionOptions, VadOptions
from server.core.options import server_vad, transcription_options
from server.errors import APIError, invalid
from server.http import formats
from server.http.protocol.transcriptions import (
    GRANULARITIES,
    INCLUDES,
    RESPONSE_FORMATS,
    TRANSLATION_FORMATS,
)
from server.middleware import BodyTooLarge
from server.settings import Settings

_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off", ""}


@dataclass(frozen=True)
class Chunking:
    """The client's chunking_strategy: ``auto`` (server defaults) or explicit server_vad settings."""

    vad: VadOptions | None = None  # None = use the server's VAD defaults


@dataclass(frozen=True)
class TranscriptionRequest:
    """Everything a transcription or translation request asked for, validated."""

    task: str
    audio: bytes
    filename: str
    model: str
    language: str | None = None
    prompt: str | None = None
    response_format: str = "json"
    temperature: float = 0.0
    granularities: tuple[str, ...] = ("segment",)
    include: tuple[str, ...] = ()
    stream: bool = False
    chunking: Chunking | None = None


def _values(form: FormData, name: str) -> list[str]:
    """Every text value sent as ``name[]`` or ``name``."""
    values = [*form.getlist(f"{name}[]"), *form.getlist(name)]
    return [v.strip() for v in values if isinstance(v, str) and v.strip()]


def _text(form: FormData, name: str) -> str | None:
    value = form.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise invalid(f"'{name}' must be a text field, not a file.", name)
    return value


def _number(value: str, name: str, low: float, high: float) -> float:
    try:
        number = float(value)
    except ValueError:
        raise invalid(f"Invalid value for '{name}': expected a number, got '{value}'.", name) from None
    if not math.isfinite(number) or not low <= number <= high:
        raise invalid(f"Invalid value for '{name}': {value} is not between {low:g} and {high:g}.", name)
    return number


def _chunking(form: FormData) -> Chunking | None:
    fields = {
        key[len("chunking_strategy[") : -1]: value
        for key, value in form.multi_items()
        if key.startswith("chunking_strategy[") and key.endswith("]") and isinstance(value, str)
    }
    plain = _text(form, "chunking_strategy")
    if plain is not None and plain.strip():
        plain = plain.strip()
        if plain == "auto":
            return Chunking()
        try:
            decoded = json.loads(plain)
        except ValueError:
            decoded = None
        if not isinstance(decoded, dict):
            raise invalid(
                "Invalid value for 'chunking_strategy': expected 'auto' or a server_vad object.",
                "chunking_strategy",
            )
        fields = {k: str(v) for k, v in decoded.items()}
    if not fields:
        return None
    if fields.get("type") != "server_vad":
        raise invalid(
            "Invalid value for 'chunking_strategy[type]': it must be 'server_vad'.", "chunking_strategy"
        )
    defaults = VadOptions(threshold=0.5, min_silence_duration_ms=200, speech_pad_ms=300)  # OpenAI's defaults
    threshold = _number(fields.get("threshold", str(defaults.threshold)), "chunking_strategy", 0, 1)
    silence = _number(
        fields.get("silence_duration_ms", str(defaults.min_silence_duration_ms)),
        "chunking_strategy",
        0,
        60_000,
    )
    padding = _number(
        fields.get("prefix_padding_ms", str(defaults.speech_pad_ms)), "chunking_strategy", 0, 60_000
    )
    return Chunking(
        VadOptions(threshold=threshold, min_silence_duration_ms=int(silence), speech_pad_ms=int(padding))
    )


async def parse_form(form: FormData, task: str, max_file_bytes: int) -> TranscriptionRequest:
    """Validate the multipart fields of a transcription (``task='transcribe'``) or translation.

    The body limit (server/middleware.py) leaves room for form fields; the file itself may hold at
    most ``max_file_bytes`` (413, like a body over the limit).
    """
    upload = form.get("file")
    if upload is None:
        raise APIError(
            400, "Missing required parameter: 'file'.", param="file", code="missing_required_parameter"
        )
    if not isinstance(upload, UploadFile):
        raise invalid("'file' must be a file upload (multipart/form-data with a filename).", "file")
    model = (_text(form, "model") or "").strip()
    if not model:
        raise APIError(
            400, "Missing required parameter: 'model'.", param="model", code="missing_required_parameter"
        )

    allowed = RESPONSE_FORMATS if task == "transcribe" else TRANSLATION_FORMATS
    response_format = (_text(form, "response_format") or "json").strip() or "json"
    if response_format not in allowed:
        raise invalid(
            f"Invalid value for 'response_format': '{response_format}'. Supported values are: "
            + ", ".join(f"'{f}'" for f in allowed)
            + ".",
            "response_format",
        )
    language_text = (_text(form, "language") or "").strip()
    language = normalize_language(language_text) if language_text else None
    temperature_text = (_text(form, "temperature") or "").strip()
    temperature = _number(temperature_text, "temperature", 0, 1) if temperature_text else 0.0
    prompt = _text(form, "prompt")

    granularities: tuple[str, ...] = ("segment",)
    include: tuple[str, ...] = ()
    stream = False
    chunking = None
    if task == "transcribe":
        chosen = _values(form, "timestamp_granularities")
        for value in chosen:
            if value not in GRANULARITIES:
                raise invalid(
                    f"Invalid value for 'timestamp_granularities': '{value}'. Use 'word' and/or 'segment'.",
                    "timestamp_granularities",
                )
        granularities = tuple(dict.fromkeys(chosen)) or ("segment",)
        include = tuple(dict.fromkeys(_values(form, "include")))
        for value in include:
            if value not in INCLUDES:
                raise invalid(f"Invalid value for 'include': '{value}'. Supported: 'logprobs'.", "include")
        stream_text = (_text(form, "stream") or "").strip().lower()
        if stream_text not in _TRUE | _FALSE:
            raise invalid(f"Invalid value for 'stream': '{stream_text}'. Use true or false.", "stream")
        stream = stream_text in _TRUE
        chunking = _chunking(form)
        if "logprobs" in include and response_format != "json" and not stream:
            raise invalid(
                "'include[]=logprobs' works only with response_format 'json' (or stream=true).", "include"
            )
    if upload.size is not None and upload.size > max_file_bytes:
        raise BodyTooLarge(max_file_bytes)
    audio = await upload.read()
    return TranscriptionRequest(
        task=task,
        audio=audio,
        filename=upload.filename or "upload",
        model=model,
        language=language,
        prompt=prompt.strip() if prompt and prompt.strip() else None,
        response_format=response_format,
        temperature=temperature,
        granularities=granularities,
        include=include,
        stream=stream,
        chunking=chunking,
    )


def engine_options(req: TranscriptionRequest, settings: Settings) -> TranscriptionOptions:
    """What the engine is asked to do: the request's choices over the server's defaults."""
    vad: VadOptions | None = None
    if req.chunking is not None:  # chunking_strategy asks for VAD even when the server's default is off
        vad = req.chunking.vad if req.chunking.vad is not None else server_vad(settings)
    words = "word" in req.granularities and req.response_format == "verbose_json"
    return transcription_options(
        settings,
        task=req.task,
        language=req.language,
        prompt=req.prompt,
        temperature=req.temperature,
        vad=vad,
        word_timestamps=words or (req.response_format in formats.NEEDS_WORDS and not req.stream),
        token_logprobs="logprobs" in req.include,
        segment_timing=req.stream or req.response_format not in ("json", "text"),
    )
