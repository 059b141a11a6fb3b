"""Parity: the server's words against raw faster-whisper's, on the same audio with the same options.

The reference is a plain ``faster_whisper.WhisperModel`` (or faster-whisper's own
``BatchedInferencePipeline`` where the server uses it, audio >= ``batched_min_seconds``) loaded from the
very files the server loads, given the options the server documents for the request: beam size, VAD
threshold / min silence / padding, no-speech gating and the temperature fallback from the server's
settings. Both sides get the same decoded samples (``engines.decode``), so only the engine is compared.
"""

from __future__ import annotations

import io
import json
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

from engines.decode import SAMPLE_RATE, decode_audio
from server.settings import Settings

DATA = Path(__file__).resolve().parents[1] / "data"
FALLBACK_TEMPERATURES = [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]  # faster-whisper's default schedule
BATCHED_MIN_SILENCE_MS = 160  # what the server's batched path documents (faster-whisper's batched choice)
GAP_SECONDS = 1.0

LIBRIVOX = sorted((DATA / "librivox").glob("*.wav"))
CARDS = sorted((DATA / "cards").glob("*.wav"))
AUDIOEVAL = {p.stem: p for p in sorted((DATA / "audioeval").glob("*.flac"))}
ESPEAK = {p.stem: p for p in sorted((DATA / "foreign").glob("*.ogg"))}
TWO_CITIES = DATA / "moonshine" / "two_cities.flac"

# Long clips: clips joined by a second of silence (names say the joined length).
LONG_CLIPS: dict[str, list[Path]] = {
    "two-cities+librivox-74s": [TWO_CITIES, *LIBRIVOX],
    "romance-43s": [
        ESPEAK["espeak-es"],
        *(AUDIOEVAL[k] for k in AUDIOEVAL if k[:2] in ("es", "it", "pt", "fr")),
    ],
    "foreign-90s": [ESPEAK["espeak-de"], ESPEAK["espeak-es"], *AUDIOEVAL.values()],
}


@dataclass(frozen=True)
class Case:
    """One request: which clip, model, task, language (None = detected) and output options."""

    clip: str  # a path under tests/data, or a key of LONG_CLIPS
    model: str = "whisper-base"
    task: str = "transcribe"
    language: str | None = None
    words: bool = False  # verbose_json with word timestamps (faster-whisper word_timestamps=True)
    logprobs: bool = False  # json with include[]=logprobs (the server aligns words to get them)
    ci: bool = False  # part of the CI-sized subset (tests/api/test_parity.py)

    @property
    def name(self) -> str:
        extra = "+words" if self.words else "+logprobs" if self.logprobs else ""
        return f"{Path(self.clip).stem} {self.model} {self.task} lang={self.language or '-'}{extra}"


def _rel(path: Path) -> str:
    return str(path.relative_to(DATA))


def cases() -> list[Case]:
    """The whole parity set (>= 20 clips); ``ci=True`` marks the part the test suite runs."""
    out: list[Case] = []
    for i, path in enumerate(LIBRIVOX):
        out.append(Case(_rel(path), "whisper-base"))
        out.append(Case(_rel(path), "whisper-tiny.en", ci=i == 1))
    out.append(Case(_rel(LIBRIVOX[0]), "whisper-base", language="en"))
    for path in CARDS:
        out.append(Case(_rel(path), "whisper-base", ci=path.stem == "004"))
    out.append(Case(_rel(CARDS[4]), "whisper-tiny.en"))
    for key, path in AUDIOEVAL.items():
        lang = key[:2]
        out.append(Case(_rel(path), "whisper-base", ci=key == "es-pangrama"))
        out.append(Case(_rel(path), "whisper-base", "translate", ci=key == "it-conteggio"))
        if key.endswith(("pangrama",)):
            out.append(Case(_rel(path), "whisper-base", language=lang))
            out.append(Case(_rel(path), "whisper-base", "translate", language=lang, ci=lang == "es"))
    for key, path in ESPEAK.items():
        lang = key.split("-")[1]
        out.append(Case(_rel(path), "whisper-base"))
        out.append(Case(_rel(path), "whisper-base", "translate"))
        out.append(Case(_rel(path), "whisper-base", "translate", language=lang))
    two = _rel(TWO_CITIES)
    out += [
        Case(two, "whisper-base", ci=True),  # 44 s, two windows: the encoder memo's case
        Case(two, "whisper-base", language="en"),
        Case(two, "whisper-tiny.en"),
        Case(two, "whisper-base", words=True),
        Case(two, "whisper-base", logprobs=True),
        Case(_rel(LIBRIVOX[2]), "whisper-base", logprobs=True, ci=True),
        Case(_rel(AUDIOEVAL["it-pangrama"]), "whisper-base", words=True),
    ]
    for key in LONG_CLIPS:
        out.append(Case(key, "whisper-base"))
        out.append(Case(key, "whisper-base", words=True))
    out.append(Case("two-cities+librivox-74s", "whisper-tiny.en"))
    out.append(Case("romance-43s", "whisper-base", "translate"))
    out.append(Case("foreign-90s", "whisper-base", "translate"))
    return out


@cache
def audio(clip: str) -> np.ndarray:
    """The clip's samples as the server decodes them (16 kHz mono float32, from 16-bit WAV)."""
    return decode_audio(wav_bytes(clip), 7200)


@cache
def wav_bytes(clip: str) -> bytes:
    """What is uploaded: the clip (or the long clip's parts) as 16-bit 16 kHz WAV."""
    parts = LONG_CLIPS.get(clip) or [DATA / clip]
    gap = np.zeros(int(GAP_SECONDS * SAMPLE_RATE), dtype=np.float32)
    samples: list[np.ndarray] = []
    for path in parts:
        samples += [decode_audio(path.read_bytes(), 7200), gap]
    buffer = io.BytesIO()
    sf.write(
        buffer,
        np.concatenate(samples[:-1] if len(parts) > 1 else samples[:1]),
        SAMPLE_RATE,
        format="WAV",
        subtype="PCM_16",
    )
    return buffer.getvalue()


def raw_options(case: Case, duration: float, settings: Settings) -> tuple[bool, dict[str, Any]]:
    """(batched?, faster-whisper keyword arguments) for what the server documents for ``case``."""
    from faster_whisper.vad import VadOptions

    batched = settings.batched_min_seconds is not None and duration >= settings.batched_min_seconds
    kwargs: dict[str, Any] = {
        "language": case.language,
        "task": case.task,
        "beam_size": 1 if batched else settings.beam_size,
        "word_timestamps": case.words or case.logprobs,
        "no_speech_threshold": settings.no_speech_threshold,
        "log_prob_threshold": settings.log_prob_threshold,
        "temperature": FALLBACK_TEMPERATURES,
        "vad_filter": settings.vad_filter,
    }
    if settings.vad_filter:
        kwargs["vad_parameters"] = VadOptions(
            threshold=settings.vad_threshold,
            min_silence_duration_ms=min(settings.vad_min_silence_ms, BATCHED_MIN_SILENCE_MS)
            if batched
            else settings.vad_min_silence_ms,
            speech_pad_ms=settings.vad_speech_pad_ms,
            max_speech_duration_s=30 if batched else float("inf"),
        )
    return batched, kwargs


def raw_text(model: Any, case: Case, settings: Settings) -> str:
    """Raw faster-whisper's text for ``case`` (``model``: a plain ``WhisperModel``)."""
    return raw_result(model, case, settings)[0]


def raw_result(model: Any, case: Case, settings: Settings) -> tuple[str, bool]:
    """(raw faster-whisper's text, whether any window fell back to sampling at temperature > 0).

    A sampled window is random in faster-whisper itself (CTranslate2 seeds each of its threads'
    generators once, from the clock), so two raw runs of such a case differ too: no parity to check.
    """
    from faster_whisper import BatchedInferencePipeline

    samples = audio(case.clip)
    batched, kwargs = raw_options(case, samples.shape[0] / SAMPLE_RATE, settings)
    if batched:
        segments, _ = BatchedInferencePipeline(model).transcribe(
            samples, batch_size=settings.batch_size, **kwargs
        )
    else:
        segments, _ = model.transcribe(samples, **kwargs)
    segments = list(segments)
    sampled = any((s.temperature or 0.0) > 0 for s in segments)
    return "".join(s.text for s in segments).strip(), sampled


def server_text(client: Any, case: Case) -> str:
    """The server's text for ``case`` through the official openai SDK."""
    with warnings.catch_warnings():  # the SDK marks translations deprecated
        warnings.simplefilter("ignore", DeprecationWarning)
        return _server_text(client, case)


def _server_text(client: Any, case: Case) -> str:
    endpoint = client.audio.translations if case.task == "translate" else client.audio.transcriptions
    fields: dict[str, Any] = {"model": case.model, "file": ("clip.wav", wav_bytes(case.clip), "audio/wav")}
    if case.language and case.task == "transcribe":
        fields["language"] = case.language
    if case.task == "translate":
        if case.language:  # the SDK's translations.create has no language: pass it as an extra field
            fields["extra_body"] = {"language": case.language}
        fields["response_format"] = "verbose_json" if case.words else "json"
        return endpoint.create(**fields).text.strip()
    if case.words:
        fields.update(response_format="verbose_json", timestamp_granularities=["word"])
    elif case.logprobs:
        fields.update(response_format="json", include=["logprobs"])
        result = endpoint.create(**fields)
        if not result.logprobs:
            raise AssertionError(f"{case.name}: no logprobs in the answer")
        return result.text.strip()
    return endpoint.create(**fields).text.strip()


def same_words(a: str, b: str) -> bool:
    """Equal up to whitespace (the joins between segments)."""
    return a.split() == b.split()


def model_paths(models_dir: Path) -> dict[str, Path]:
    """What the server's registry loads for each model (materialised in ``models_dir`` if needed)."""
    from engines.manifest import builtin_manifest_path, load_manifests
    from engines.materialize import model_entry_point, model_location

    specs = load_manifests([builtin_manifest_path()]).by_id()
    return {
        m: model_entry_point(specs[m], model_location(specs[m], models_dir))
        for m in ("whisper-base", "whisper-tiny.en")
    }


def load_raw(path: Path, cpu_threads: int) -> Any:
    """A plain ``WhisperModel`` (no Earshot code around it) on CPU, int8, as the server runs it here."""
    from faster_whisper import WhisperModel

    return WhisperModel(
        str(path), device="cpu", compute_type="int8", cpu_threads=cpu_threads, local_files_only=True
    )


def compare(
    client: Any, raw_models: dict[str, Any], selected: Iterable[Case], settings: Settings
) -> list[dict[str, Any]]:
    """One row per case: name, raw text, server text, equal (None: sampled, so random on both sides)."""
    rows = []
    for case in selected:
        raw, sampled = raw_result(raw_models[case.model], case, settings)
        served = server_text(client, case)
        rows.append(
            {
                "case": case.name,
                "raw": raw,
                "server": served,
                "equal": None if sampled else same_words(raw, served),
                "seconds": round(audio(case.clip).shape[0] / SAMPLE_RATE, 1),
            }
        )
    return rows


def dumps(rows: list[dict[str, Any]]) -> str:
    return json.dumps(rows, ensure_ascii=False, indent=1)
