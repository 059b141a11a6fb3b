"""The diarization development set: conversations that look like the field, each through every channel.

Conversations (1 to 4 speakers; men, women, mixed pairs; see tests/data/SOURCES.md for the voices):
- the existing concatenated ones (``conversations.py``: men, long turns at pauses);
- ``endgame``: a real two-person dialogue (a man and a woman, 14 short turns of 0.2–3.6 s);
- ``short-*``: short alternating turns (0.5–3 s phrases cut at pauses) with small overlaps and backchannels
  (the other speaker's shortest phrases laid over a longer turn), for male, female and mixed pairs and for
  3 and 4 speakers;
- ``one-*``: a single speaker (phrases with pauses).
Channels (``channels.CHANNELS``): clean, telephone (8 kHz, 100–3400 Hz), telephone with μ-law.
Everything is deterministic.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import numpy as np

from tests.support import conversations as cv
from tests.support.channels import CHANNELS

SR = cv.SR
ENDGAME = "moonshine/endgame_nagg_nell.flac"


@dataclass(frozen=True)
class Condition:
    """One conversation through one channel."""

    conversation: str
    channel: str
    conv: cv.Conversation

    @property
    def name(self) -> str:
        """``conversation/channel``."""
        return f"{self.conversation}/{self.channel}"


def endgame_turns() -> list[tuple[float, float, str]]:
    """The dialogue's reference turns (the sound runs between its digitally silent gaps)."""
    text = (cv.DATA / "moonshine" / "endgame_nagg_nell.turns").read_text()
    return [(float(a), float(b), who) for a, b, who in (line.split() for line in text.splitlines() if line)]


def endgame() -> cv.Conversation:
    """Nagg and Nell (a man and a woman), a real dialogue with short turns (28 s)."""
    return cv.Conversation("endgame", cv.load(ENDGAME), endgame_turns())


def split_phrases(audio: np.ndarray, min_pause: float = 0.1, max_len: float = 1.6) -> list[np.ndarray]:
    """Cut speech at pauses (10 ms frames 35 dB under the loudest) into phrases of at most ``max_len`` s
    (longer ones are cut at their quietest frame after 0.6 s); phrases under 0.2 s are dropped."""
    frames = audio[: len(audio) // 160 * 160].reshape(-1, 160)
    energy = 10 * np.log10(np.mean(frames**2, axis=1) + 1e-12)
    voiced = energy >= energy.max() - 35
    idx = np.flatnonzero(voiced)
    if not len(idx):
        return []
    runs: list[tuple[int, int]] = []
    start = prev = int(idx[0])
    for i in idx[1:]:
        if i - prev > min_pause * 100:
            runs.append((start, prev + 1))
            start = int(i)
        prev = int(i)
    runs.append((start, prev + 1))
    out: list[np.ndarray] = []
    limit = int(max_len * 100)
    for a, b in runs:
        while b - a > limit:
            cut = a + 60 + int(np.argmin(energy[a + 60 : a + limit]))
            out.append(audio[a * 160 : cut * 160])
            a = cut
        if b - a >= 20:
            out.append(audio[a * 160 : b * 160])
    return out


@cache
def phrases(speaker: str) -> tuple[np.ndarray, ...]:
    """A speaker's phrases, from their recordings."""
    if speaker in ("nagg", "nell"):
        audio = cv.load(ENDGAME)
        return tuple(audio[int(a * SR) : int(b * SR)] for a, b, who in endgame_turns() if who == speaker)
    sources = {
        "reader": cv.READER,
        "cards": cv.CARDS,
        "clone": ["moonshine/clone-test.flac"],
        "narrator": ["moonshine/beckett.flac"],
        "forward": ["goforward.raw"],
    }[speaker]
    return tuple(p for rel in sources for p in split_phrases(cv.load(rel)))


def short_turns(name: str, speakers: list[str], seed: int, max_turns: int = 24) -> cv.Conversation:
    """Alternating turns of 0.5–3 s, gaps of -0.3 (overlap) to 0.5 s, and backchannels, until the phrases
    of all but one speaker run out. Each speaker has its own level (0 to -8 dB)."""
    rng = np.random.default_rng(seed)
    pools = {s: list(phrases(s)) for s in speakers}
    for pool in pools.values():
        rng.shuffle(pool)  # type: ignore[arg-type]
    gains = {s: 10 ** (-rng.uniform(0, 8) / 20) for s in speakers}
    placed: list[tuple[float, np.ndarray, str]] = []  # (start s, audio, speaker)
    t, current = 0.0, speakers[0]
    for _ in range(max_turns):
        if sum(bool(p) for p in pools.values()) < 2 or not pools[current]:
            break
        target, turn_start = rng.uniform(0.5, 3.0), t
        while pools[current] and t - turn_start < target:
            clip = pools[current].pop()
            placed.append((t, clip * gains[current], current))
            t += len(clip) / SR + 0.1
        others = [s for s in speakers if s != current and pools[s]]
        short = [(s, i) for s in others for i, p in enumerate(pools[s]) if len(p) <= 0.8 * SR]
        if t - turn_start >= 1.5 and short and rng.random() < 0.35:  # a backchannel inside the turn
            who, i = short[int(rng.integers(len(short)))]
            clip = pools[who].pop(i)
            placed.append(((turn_start + t) / 2 - len(clip) / SR / 2, clip * gains[who], who))
        if not others:
            break
        current = others[int(rng.integers(len(others)))]
        t += rng.uniform(-0.3, 0.5)
    end = max(start + len(clip) / SR for start, clip, _ in placed) + 0.5
    audio = np.zeros(int(end * SR), dtype=np.float32)
    turns = []
    for start, clip, who in placed:
        a = int(round(start * SR))
        audio[a : a + len(clip)] += clip
        s, e = cv.speech_span(clip)
        turns.append((round(start + s, 2), round(start + e, 2), who))
    return cv.Conversation(name, audio, sorted(turns))


def monologue(name: str, speaker: str, seed: int) -> cv.Conversation:
    """One speaker's phrases with 0.3–0.7 s pauses, a reference turn per phrase."""
    rng = np.random.default_rng(seed)
    pieces, turns, t = [], [], 0.0
    for clip in phrases(speaker):
        s, e = cv.speech_span(clip)
        turns.append((round(t + s, 2), round(t + e, 2), speaker))
        gap = np.zeros(int(rng.uniform(0.3, 0.7) * SR), dtype=np.float32)
        pieces += [clip, gap]
        t += (len(clip) + len(gap)) / SR
    return cv.Conversation(name, np.concatenate(pieces), turns)


def conversations(joe: list[np.ndarray] | None = None) -> list[cv.Conversation]:
    """Every development conversation (``joe``: piper clips for the synthetic-voice one, if given)."""
    convs = [
        cv.two_speakers_without_references(),
        cv.two_speakers(),
        cv.three_real_speakers(),
        endgame(),
        short_turns("short-2m", ["reader", "cards"], seed=11),
        short_turns("short-2f", ["nell", "clone"], seed=12),
        short_turns("short-mixed", ["cards", "nell"], seed=13),
        short_turns("short-mixed2", ["nagg", "clone"], seed=14),
        short_turns("short-3", ["reader", "nell", "clone"], seed=15),
        short_turns("short-4", ["cards", "nell", "narrator", "clone"], seed=16),
        monologue("one-narrator", "narrator", seed=17),
    ]
    if joe is not None:
        convs.insert(3, cv.three_speakers(joe))
    return convs


def conditions(
    joe: list[np.ndarray] | None = None, channels: dict[str, Callable[[np.ndarray], np.ndarray]] = CHANNELS
) -> list[Condition]:
    """Every conversation through every channel."""
    return [
        Condition(conv.name, channel, cv.Conversation(conv.name, apply(conv.audio), conv.turns))
        for conv in conversations(joe)
        for channel, apply in channels.items()
    ]
