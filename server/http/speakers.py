"""Which transcription requests are diarized, what they may combine, and their known speakers (API.md §3).

A request is diarized when its model is ``gpt-4o-transcribe-diarize`` or it asks for
``response_format=diarized_json`` (any local speech-to-text model). Like OpenAI, diarization does not
combine with ``prompt``, ``include[]=logprobs`` or ``timestamp_granularities[]``, and the diarize model
answers only json, text and diarized_json. ``known_speaker_names[]`` and ``known_speaker_references[]``
(data URLs of 2–10 s clips, matched by position, at most 4) name the speakers it recognises.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass

import numpy as np
from starlette.datastructures import FormData

from engines.decode import decode_audio
from engines.errors import AudioError
from server.errors import invalid
from server.http.forms import TranscriptionRequest

DIARIZE_MODELS = frozenset({"gpt-4o-transcribe-diarize"})
DIARIZE_FORMATS = ("json", "text", "diarized_json")
MAX_KNOWN_SPEAKERS = 4
MIN_REFERENCE_SECONDS = 2.0
MAX_REFERENCE_SECONDS = 10.0
MAX_NAME_LENGTH = 64
LONG_INPUT_SECONDS = 30.0  # the diarize model needs chunking_strategy above this
MAX_FIELD_BYTES = 8 << 20  # one multipart text field, e.g. a reference clip data URL (Starlette: 1 MiB)
_DATA_URL = re.compile(
    r"^data:(?P<type>[\w.+-]+/[\w.+-]+)?(?P<params>(;[\w.+-]+=[\w.+-]+)*);base64,(?P<data>.*)$", re.S
)


@dataclass(frozen=True)
class DiarizeRequest:
    """What a diarized request adds: the model name it used and its known speakers' clips."""

    model_name: str
    names: tuple[str, ...] = ()
    references: tuple[bytes, ...] = ()  # encoded audio, one per name

    @property
    def diarize_model(self) -> bool:
        """Whether the OpenAI diarize model name was used (its long-input rule applies)."""
        return self.model_name in DIARIZE_MODELS


def _values(form: FormData, name: str) -> list[str]:
    values = [*form.getlist(f"{name}[]"), *form.getlist(name)]
    return [v.strip() for v in values if isinstance(v, str) and v.strip()]


def _data_url(value: str, index: int) -> bytes:
    match = _DATA_URL.match(value.strip())
    if match is None:
        raise invalid(
            f"Invalid value for 'known_speaker_references[{index}]': expected a data URL such as "
            "'data:audio/wav;base64,...'.",
            "known_speaker_references",
        )
    try:
        return base64.b64decode(re.sub(r"\s+", "", match.group("data")), validate=True)
    except (binascii.Error, ValueError):
        raise invalid(
            f"Invalid value for 'known_speaker_references[{index}]': the data URL is not valid base64.",
            "known_speaker_references",
        ) from None


def parse(form: FormData, req: TranscriptionRequest) -> DiarizeRequest | None:
    """The diarization part of a transcription request (None if it is not diarized); 400s first."""
    names = _values(form, "known_speaker_names")
    refs = _values(form, "known_speaker_references")
    diarized = req.task == "transcribe" and (
        req.model in DIARIZE_MODELS or req.response_format == "diarized_json"
    )
    if not diarized:
        if names or refs:
            raise invalid(
                "'known_speaker_names' and 'known_speaker_references' work only with diarization: use model "
                "'gpt-4o-transcribe-diarize' or response_format 'diarized_json'.",
                "known_speaker_names" if names else "known_speaker_references",
            )
        return None
    if req.response_format not in DIARIZE_FORMATS:
        raise invalid(
            f"response_format '{req.response_format}' is not compatible with diarization; use "
            + ", ".join(f"'{f}'" for f in DIARIZE_FORMATS)
            + ".",
            "response_format",
            code="unsupported_value",
        )
    if req.prompt is not None:
        raise invalid("'prompt' is not supported with diarization.", "prompt", code="unsupported_value")
    if req.include:
        raise invalid(
            "'include[]=logprobs' is not supported with diarization.", "include", code="unsupported_value"
        )
    if _values(form, "timestamp_granularities"):
        raise invalid(
            "'timestamp_granularities' is not supported with diarization; diarized_json segments carry "
            "their own start and end.",
            "timestamp_granularities",
            code="unsupported_value",
        )
    for field, items in (("known_speaker_names", names), ("known_speaker_references", refs)):
        if len(items) > MAX_KNOWN_SPEAKERS:
            raise invalid(
                f"'{field}' has {len(items)} items; at most {MAX_KNOWN_SPEAKERS} are allowed.", field
            )
    if len(names) != len(refs):
        raise invalid(
            f"'known_speaker_names' ({len(names)}) and 'known_speaker_references' ({len(refs)}) must have "
            "the same number of items: each name is matched to the reference at the same position.",
            "known_speaker_references" if len(names) > len(refs) else "known_speaker_names",
        )
    for name in names:
        if len(name) > MAX_NAME_LENGTH:
            raise invalid(
                f"A known speaker name is longer than {MAX_NAME_LENGTH} characters.", "known_speaker_names"
            )
    if len(set(names)) != len(names):
        raise invalid("'known_speaker_names' must not repeat a name.", "known_speaker_names")
    return DiarizeRequest(req.model, tuple(names), tuple(_data_url(v, i) for i, v in enumerate(refs)))


def decode_references(diarize: DiarizeRequest) -> dict[str, np.ndarray]:
    """Decode each known speaker's clip to 16 kHz mono and check it is 2–10 s long (400 otherwise)."""
    clips: dict[str, np.ndarray] = {}
    for index, (name, data) in enumerate(zip(diarize.names, diarize.references, strict=True)):
        try:
            audio = decode_audio(data, max_seconds=MAX_REFERENCE_SECONDS + 1)
        except AudioError as exc:
            raise invalid(
                f"Invalid value for 'known_speaker_references[{index}]' ({name}): {exc}",
                "known_speaker_references",
            ) from None
        seconds = len(audio) / 16000
        if not MIN_REFERENCE_SECONDS - 0.05 <= seconds <= MAX_REFERENCE_SECONDS + 0.05:
            raise invalid(
                f"Invalid value for 'known_speaker_references[{index}]' ({name}): the clip is "
                f"{seconds:.1f} s long; it must be {MIN_REFERENCE_SECONDS:g} to {MAX_REFERENCE_SECONDS:g} s.",
                "known_speaker_references",
            )
        clips[name] = audio
    return clips


def check_length(diarize: DiarizeRequest, req: TranscriptionRequest, seconds: float) -> None:
    """The diarize model, like OpenAI's, needs ``chunking_strategy`` for input longer than 30 s."""
    if diarize.diarize_model and req.chunking is None and seconds > LONG_INPUT_SECONDS:
        raise invalid(
            f"'chunking_strategy' is required for '{diarize.model_name}' when the audio is longer than "
            f"{LONG_INPUT_SECONDS:g} seconds ({seconds:.1f} s); send chunking_strategy='auto'.",
            "chunking_strategy",
        )
