"""Plain data types shared by the engines and the server."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class RuntimeOptions:
    """Where and how models run; built once from the server settings."""

    device: str = "cpu"  # "cpu" or "cuda" (already resolved from "auto")
    compute_type: str = "int8"  # CTranslate2 compute type
    cpu_threads: int = 2  # threads per model instance (CTranslate2 and onnxruntime)
    device_index: int = 0


# -- transcription ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Word:
    """One word with its timing (seconds from the start of the audio)."""

    word: str  # as whisper spells it, usually with a leading space
    start: float
    end: float
    probability: float


@dataclass(frozen=True)
class TokenLogprob:
    """One text token and the model's log-probability of it."""

    token: str
    logprob: float
    bytes: tuple[int, ...]


@dataclass(frozen=True)
class Segment:
    """One transcribed stretch of audio, in whisper's terms."""

    id: int
    seek: int
    start: float
    end: float
    text: str  # leading space kept, trailing whitespace removed
    tokens: tuple[int, ...]
    temperature: float
    avg_logprob: float
    compression_ratio: float
    no_speech_prob: float
    words: tuple[Word, ...] | None = None
    logprobs: tuple[TokenLogprob, ...] | None = None


@dataclass(frozen=True)
class VadOptions:
    """Silero VAD settings (faster-whisper's names)."""

    threshold: float = 0.5
    min_silence_duration_ms: int = 1000
    speech_pad_ms: int = 400


@dataclass(frozen=True)
class TranscriptionOptions:
    """What one transcription asks of the engine."""

    task: str = "transcribe"  # or "translate"
    language: str | None = None  # ISO-639-1; None = detect
    prompt: str | None = None
    temperature: float = 0.0  # 0 = the fallback schedule 0.0, 0.2, ... 1.0
    beam_size: int = 5
    word_timestamps: bool = False
    token_logprobs: bool = False
    vad: VadOptions | None = VadOptions()  # None = no VAD
    no_speech_threshold: float | None = 0.6
    log_prob_threshold: float | None = -1.0
    batched_min_seconds: float | None = 60.0  # BatchedInferencePipeline from this duration; None = never
    batch_size: int = 4
    # Greedy on the batched (long-audio) path: a third less decoding at no loss of accuracy measured
    # (whisper-base, 201 s of LibriVox + cards: WER 4.1 % greedy, 5.4 % beam 5, plain transcribe() 10 %).
    batched_beam_size: int = 1
    # The caller uses segment boundaries (subtitles, verbose_json, streaming); json/text need only the
    # text, so the batched path then skips the word alignment that rebuilds sentence-sized segments.
    segment_timing: bool = True


@dataclass(frozen=True)
class TranscriptionInfo:
    """What is known before the first segment: language, durations, the pipeline used."""

    language: str
    language_probability: float
    duration: float
    duration_after_vad: float
    task: str
    batched: bool
    prompt_tokens: int = 0


@dataclass(frozen=True)
class SpeechOptions:
    """How to speak: the local voice id, the speed and piper's noise scales (None: the voice's own)."""

    voice: str
    speed: float = 1.0
    noise_scale: float | None = None
    noise_w_scale: float | None = None


@dataclass(frozen=True)
class AudioChunk:
    """One synthesised sentence: mono float32 samples in [-1, 1] at ``sample_rate``."""

    samples: Any  # numpy.ndarray, float32, 1-D
    sample_rate: int
    index: int  # the sentence's position in the input, from 0
    input_tokens: int  # phoneme ids the model consumed for it
    output_tokens: int  # spectrogram frames the model generated for it
