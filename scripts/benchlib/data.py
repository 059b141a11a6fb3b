"""Benchmark inputs: clips built from the vendored real recordings, their references, and WER."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "tests" / "data"
RATE = 16000

SPEECH_TEXT = (
    "The morning train left the station a few minutes after seven. "
    "Most of the passengers were reading or looking out at the fields. "
    "A small boy by the window counted the cows as they went past. "
    "His mother had packed sandwiches, apples and a bottle of water. "
    "Near the back, two old friends were arguing about the weather. "
    "One said it would rain before noon; the other was sure it would not. "
    "The conductor walked slowly down the aisle, checking every ticket. "
    "Outside, the sun came through the clouds and lit up the river. "
    "By the time the train reached the city, the argument was forgotten. "
    "Everyone stepped onto the platform and went their separate ways."
)
SHORT_SPEECH_TEXT = "The conductor walked slowly down the aisle. Outside, the sun came through the clouds."


@dataclass(frozen=True)
class Clip:
    """A 16 kHz mono recording with its reference transcript, ready to upload as WAV."""

    name: str
    samples: np.ndarray
    reference: str

    @property
    def seconds(self) -> float:
        """Duration in seconds."""
        return len(self.samples) / RATE

    @property
    def wav(self) -> bytes:
        """The clip as a 16-bit PCM WAV file."""
        buf = io.BytesIO()
        sf.write(buf, self.samples, RATE, format="WAV", subtype="PCM_16")
        return buf.getvalue()


def _references(path: Path) -> dict[str, str]:
    """``<s> words </s> (id)`` lines -> {id: words}."""
    refs: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        match = re.match(r"\s*<s>(.*)</s>\s*\((.+)\)\s*$", line)
        if match:
            refs[match.group(2).strip()] = " ".join(match.group(1).split())
    return refs


def recordings() -> list[Clip]:
    """The vendored LibriVox and cards recordings, each with its transcript."""
    clips: list[Clip] = []
    for folder, ref_file in (("librivox", "transcription"), ("cards", "cards.transcription")):
        refs = _references(DATA / folder / ref_file)
        for wav in sorted((DATA / folder).glob("*.wav")):
            samples, rate = sf.read(wav, dtype="float32")
            if rate != RATE or samples.ndim != 1:
                raise ValueError(f"{wav}: expected 16 kHz mono")
            clips.append(Clip(wav.stem, samples, refs[wav.stem]))
    return clips


def concat(name: str, parts: list[Clip], pause: float) -> Clip:
    """Recordings joined with ``pause`` seconds of silence between them."""
    gap = np.zeros(int(pause * RATE), dtype=np.float32)
    pieces: list[np.ndarray] = []
    for i, clip in enumerate(parts):
        if i:
            pieces.append(gap)
        pieces.append(clip.samples)
    return Clip(name, np.concatenate(pieces), " ".join(c.reference for c in parts))


def short_clips() -> tuple[Clip, Clip]:
    """A ~10 s clip (two LibriVox sentences) and a ~35 s clip (every recording)."""
    recs = recordings()
    by_name = {c.name: c for c in recs}
    ten = concat("10s", [by_name[n] for n in sorted(by_name) if n.endswith(("0870", "0880"))], 0.3)
    thirty_five = concat("35s", recs, 0.1)
    return ten, thirty_five


def long_clip(min_seconds: float = 180.0) -> Clip:
    """At least ``min_seconds`` of real speech: the recordings repeated (rotated) with short pauses."""
    recs = recordings()
    parts: list[Clip] = []
    total = 0.0
    shift = 0
    while total < min_seconds:
        for clip in recs[shift:] + recs[:shift]:
            parts.append(clip)
            total += clip.seconds + 0.6
        shift = (shift + 3) % len(recs)
    return concat(f"{int(total)}s", parts, 0.6)
