"""faster-whisper (CTranslate2) wrapper: loading a model directory and transcribing audio.

``transcribe()`` does the up-front work at once (option checks, VAD, language detection) and
returns ``(info, lazy segments)``, like faster-whisper itself; the server iterates the segments in
a worker thread.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from engines.decode import SAMPLE_RATE
from engines.encoder_memo import EncoderMemo
from engines.errors import InvalidOptionError
from engines.logprobs import AlignRecorder, take_logprobs
from engines.segments import convert, is_no_speech, split_by_words
from engines.types import RuntimeOptions, Segment, TranscriptionInfo, TranscriptionOptions

logger = logging.getLogger(__name__)

FALLBACK_TEMPERATURES = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
BATCHED_MIN_SILENCE_MS = 160  # faster-whisper's choice for the batched pipeline


class WhisperEngine:
    """A loaded faster-whisper model."""

    def __init__(self, model: Any, model_dir: Path, english_only: bool, runtime: RuntimeOptions) -> None:
        self.model = model
        self.model_dir = model_dir
        self.english_only = english_only
        self.runtime = runtime
        self._recorder: AlignRecorder | None = None
        self._memo: EncoderMemo | None = None
        if model is not None and hasattr(model, "model"):
            self._recorder = AlignRecorder(model.model)
            model.model = self._recorder
        if model is not None and hasattr(model, "encode"):
            self._memo = EncoderMemo(model.encode)  # language detection's encoding is reused
            model.encode = self._memo

    @classmethod
    def load(cls, model_dir: Path, runtime: RuntimeOptions, english_only: bool = False) -> WhisperEngine:
        """Load a CTranslate2 whisper directory (never a hub name: always a path)."""
        from faster_whisper import WhisperModel

        model = WhisperModel(
            str(model_dir),
            device=runtime.device,
            device_index=runtime.device_index,
            compute_type=runtime.compute_type,
            cpu_threads=runtime.cpu_threads,
            num_workers=1,
            local_files_only=True,
        )
        return cls(model, model_dir, english_only or not model.model.is_multilingual, runtime)

    def check(self, options: TranscriptionOptions) -> None:
        """Reject what this model cannot do, naming the request parameter."""
        if self.english_only and options.task == "translate":
            raise InvalidOptionError(
                "This model is English-only and cannot translate; use a multilingual model such as "
                "'whisper-base' (alias 'whisper-1').",
                "model",
            )
        if self.english_only and options.language not in (None, "en"):
            raise InvalidOptionError(
                f"This model is English-only; language '{options.language}' is not supported. "
                "Use a multilingual model such as 'whisper-base'.",
                "language",
            )

    def transcribe(
        self, audio: np.ndarray, options: TranscriptionOptions
    ) -> tuple[TranscriptionInfo, Iterator[Segment]]:
        """16 kHz mono float32 audio -> (info, lazily decoded segments)."""
        from faster_whisper import BatchedInferencePipeline

        self.check(options)
        if self._memo is not None:
            self._memo.clear()
        duration = audio.shape[0] / SAMPLE_RATE
        batched, kwargs = faster_whisper_arguments(options, duration)
        if batched:
            pipeline = BatchedInferencePipeline(self.model)  # holds per-call state: one per call
            raw, fw_info = pipeline.transcribe(audio, batch_size=options.batch_size, **kwargs)
        else:
            raw, fw_info = self.model.transcribe(audio, **kwargs)
        info = TranscriptionInfo(
            language=fw_info.language,
            language_probability=float(fw_info.language_probability),
            duration=duration,
            duration_after_vad=float(fw_info.duration_after_vad),
            task=options.task,
            batched=batched,
            prompt_tokens=len(self.model.hf_tokenizer.encode(" " + options.prompt.strip()).ids)
            if options.prompt
            else 0,
        )
        logger.info(
            "transcribing %.2f s (%.2f s of speech) task=%s language=%s batched=%s",
            duration,
            info.duration_after_vad,
            options.task,
            info.language,
            batched,
        )
        return info, self._segments(raw, options, batched, duration)

    def _segments(
        self, raw: Iterator[Any], options: TranscriptionOptions, batched: bool, duration: float
    ) -> Iterator[Segment]:
        """Convert, gate, re-segment and number faster-whisper's segments."""
        from faster_whisper.tokenizer import Tokenizer

        tokenizer = Tokenizer(
            self.model.hf_tokenizer,
            self.model.model.is_multilingual,
            task="transcribe",
            language="en" if self.model.model.is_multilingual else None,
        )
        record = options.token_logprobs and self._recorder is not None
        sink = self._recorder.start() if record and self._recorder is not None else None
        next_id = 0
        try:
            for item in raw:
                segment = convert(item, tokenizer.eot)
                if sink is not None:
                    text_tokens = [t for t in segment.tokens if t < tokenizer.eot]
                    logprobs = take_logprobs(sink, text_tokens, self.model.hf_tokenizer)
                    segment = replace(segment, logprobs=logprobs)
                if not segment.text.strip() or is_no_speech(
                    segment, options.no_speech_threshold, options.log_prob_threshold
                ):
                    continue
                pieces = split_by_words(segment, tokenizer) if batched else [segment]
                for piece in pieces:
                    if not piece.text.strip():
                        continue
                    words = piece.words if options.word_timestamps else None
                    end = min(piece.end, duration)
                    yield replace(piece, id=next_id, words=words, start=min(piece.start, end), end=end)
                    next_id += 1
        finally:
            if sink is not None and self._recorder is not None:
                self._recorder.stop()
            if self._memo is not None:
                self._memo.clear()

    def close(self) -> None:
        """Drop the CTranslate2 model so its memory can be released."""
        model = getattr(self.model, "model", None)
        if isinstance(model, AlignRecorder):
            model = model._model
        if model is not None and hasattr(model, "unload_model"):
            try:
                model.unload_model()
            except Exception:  # noqa: BLE001 - best effort on shutdown paths
                logger.debug("unload_model failed", exc_info=True)
        self.model = None
        self._recorder = None
        self._memo = None


def faster_whisper_arguments(options: TranscriptionOptions, duration: float) -> tuple[bool, dict[str, Any]]:
    """(batched?, ``transcribe`` keyword arguments) for ``options`` on ``duration`` seconds of audio."""
    from faster_whisper.vad import VadOptions

    batched = (
        options.vad is not None
        and options.batched_min_seconds is not None
        and duration >= options.batched_min_seconds
    )
    kwargs: dict[str, Any] = {
        "language": options.language,
        "task": options.task,
        "beam_size": options.batched_beam_size if batched else options.beam_size,
        "initial_prompt": options.prompt or None,
        "word_timestamps": options.word_timestamps
        or options.token_logprobs
        or (batched and options.segment_timing),
        "no_speech_threshold": options.no_speech_threshold,
        "log_prob_threshold": options.log_prob_threshold,
        "vad_filter": options.vad is not None,
    }
    if options.temperature > 0:
        kwargs["temperature"] = [options.temperature]
    else:
        kwargs["temperature"] = list(FALLBACK_TEMPERATURES)
    if options.vad is not None:
        vad = options.vad
        silence = vad.min_silence_duration_ms
        if batched:
            silence = min(silence, BATCHED_MIN_SILENCE_MS)
        kwargs["vad_parameters"] = VadOptions(
            threshold=vad.threshold,
            min_silence_duration_ms=silence,
            speech_pad_ms=vad.speech_pad_ms,
            max_speech_duration_s=30 if batched else float("inf"),
        )
    return batched, kwargs
