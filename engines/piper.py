"""piper-tts wrapper: a piper voice with a thread-limited onnxruntime session, spoken sentence by sentence."""

from __future__ import annotations

import json
import logging
import math
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from engines.errors import InvalidOptionError, ModelUnavailableError
from engines.onnx_session import open_session
from engines.tempo import stretch
from engines.text import split_text
from engines.types import AudioChunk, RuntimeOptions, SpeechOptions

logger = logging.getLogger(__name__)

MIN_SPEED = 0.25
MAX_SPEED = 4.0

# Piper's duration is not proportional to length_scale: every phoneme lasts at least one frame, so
# length_scale 0.5 only shortens speech to ~60 % and nothing goes below ~46 %. Measured on
# en_US-joe-medium (noise 0, three sentences of 44-110 characters, spread < 5 %): length_scale ->
# duration relative to length_scale 1. Speeds faster than the first point use it, then atempo.
_LENGTH_SCALES = (0.5, 0.6, 0.7, 0.8, 1.0, 1.25, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0)
_DURATION_RATIOS = (0.602, 0.646, 0.770, 0.881, 1.0, 1.131, 1.367, 1.750, 2.126, 2.503, 3.259, 4.009)


def speed_plan(speed: float) -> tuple[float, float]:
    """(length_scale multiplier, atempo factor) that make speech last ``1 / speed`` of its normal time."""
    target = 1.0 / speed
    if target < _DURATION_RATIOS[0]:
        return _LENGTH_SCALES[0], _DURATION_RATIOS[0] / target
    return float(np.interp(target, _DURATION_RATIOS, _LENGTH_SCALES)), 1.0


@dataclass(frozen=True)
class VoiceInfo:
    """What a voice's ``.onnx.json`` says about it (read without loading the model)."""

    language: str | None
    sample_rate: int | None
    quality: str | None
    dataset: str | None
    speakers: tuple[str, ...]


def read_voice_info(onnx_path: Path) -> VoiceInfo:
    """Language, rate, quality and speakers from ``<voice>.onnx.json``."""
    raw: dict[str, Any] = json.loads(Path(f"{onnx_path}.json").read_text(encoding="utf-8"))
    language = raw.get("language") or {}
    audio = raw.get("audio") or {}
    espeak = raw.get("espeak") or {}
    return VoiceInfo(
        language=language.get("code") or espeak.get("voice"),
        sample_rate=audio.get("sample_rate"),
        quality=audio.get("quality"),
        dataset=raw.get("dataset"),
        speakers=tuple(raw.get("speaker_id_map") or {}),
    )


class PiperEngine:
    """A loaded piper voice."""

    def __init__(self, voice: object, onnx_path: Path, runtime: RuntimeOptions) -> None:
        self.voice = voice
        self.onnx_path = onnx_path
        self.runtime = runtime

    @property
    def sample_rate(self) -> int:
        """The voice's native sample rate (Hz)."""
        return int(self.voice.config.sample_rate)  # type: ignore[attr-defined]

    @classmethod
    def load(cls, onnx_path: Path, runtime: RuntimeOptions) -> PiperEngine:
        """Load ``voice.onnx`` + ``voice.onnx.json`` with ``runtime.cpu_threads`` intra-op threads."""
        from piper.config import PiperConfig
        from piper.voice import PiperVoice

        config_path = Path(f"{onnx_path}.json")
        config = PiperConfig.from_dict(json.loads(config_path.read_text(encoding="utf-8")))
        session = open_session(str(onnx_path), runtime.cpu_threads, runtime.device)
        return cls(PiperVoice(session=session, config=config), onnx_path, runtime)

    def synthesize(
        self, text: str, options: SpeechOptions, cancelled: threading.Event | None = None
    ) -> Iterator[AudioChunk]:
        """Check the options, then return an iterator of one :class:`AudioChunk` per sentence.

        Invalid options raise :class:`InvalidOptionError` here, before any work; the iterator stops
        between sentences once ``cancelled`` is set, and raises ``InvalidOptionError`` on ``input``
        if the text holds nothing to speak (only punctuation, say).
        """
        voice = self.voice
        if voice is None:
            raise ModelUnavailableError(self.onnx_path.stem, "the voice was unloaded")
        if not (math.isfinite(options.speed) and MIN_SPEED <= options.speed <= MAX_SPEED):
            raise InvalidOptionError(
                f"Invalid value for 'speed': {options.speed}. It must be from {MIN_SPEED} to {MAX_SPEED}.",
                "speed",
            )
        pieces = split_text(text)
        if not pieces:
            raise InvalidOptionError("Invalid value for 'input': there is no text to speak.", "input")
        from piper.config import SynthesisConfig

        config = voice.config
        speaker_id = None
        if config.num_speakers > 1:  # a speaker by name, or the model's own name for its default speaker
            speaker_id = config.speaker_id_map.get(options.voice)
            if speaker_id is None and options.voice != self.onnx_path.stem:
                raise InvalidOptionError(f"Voice '{options.voice}' is not a speaker of this model.", "voice")
        scale, tempo = speed_plan(options.speed)
        synthesis = SynthesisConfig(
            speaker_id=speaker_id,
            length_scale=config.length_scale * scale,
            noise_scale=options.noise_scale,
            noise_w_scale=options.noise_w_scale,
        )
        return self._sentences(voice, pieces, synthesis, tempo, cancelled)

    def _sentences(
        self, voice: Any, pieces: list[str], synthesis: Any, tempo: float, cancelled: threading.Event | None
    ) -> Iterator[AudioChunk]:
        index = 0
        hop = max(1, int(voice.config.hop_length))
        for piece in pieces:
            started = time.perf_counter()
            for chunk in voice.synthesize(piece, synthesis):
                if cancelled is not None and cancelled.is_set():
                    break
                samples = stretch(chunk.audio_float_array, chunk.sample_rate, tempo)
                logger.debug(
                    "sentence %d synthesised: %.2f s of audio in %.3f s",
                    index + 1,
                    len(samples) / chunk.sample_rate,
                    time.perf_counter() - started,
                )
                yield AudioChunk(
                    samples=samples,
                    sample_rate=chunk.sample_rate,
                    index=index,
                    input_tokens=len(chunk.phoneme_ids),
                    output_tokens=len(chunk.audio_float_array) // hop,
                )
                index += 1
                started = time.perf_counter()
            if cancelled is not None and cancelled.is_set():
                logger.debug("synthesis cancelled after %d sentence(s)", index)
                return
        if index == 0:
            raise InvalidOptionError("Invalid value for 'input': there is no text to speak.", "input")

    def close(self) -> None:
        """Drop the onnxruntime session."""
        self.voice = None
