"""Offline speaker diarization: who spoke when, and which words each speaker said.

Pipeline: Silero VAD (bundled with faster-whisper) -> speech regions -> 1.6 s windows every ``hop_s``
inside each region -> speaker embeddings (CAM++ by default, or GE2E: ``engines.speaker_encoder``) ->
average-linkage clustering (the number of speakers estimated by a similarity threshold calibrated per
encoder, or fixed when known) -> each speech frame takes the label of the nearest window centre -> speaker
turns. Known speakers: every reference clip is embedded; the references heard in the audio are a floor on
the number of speakers, and clusters are named after the most similar reference; the others are
``A``, ``B``, ….
``assign_words`` then gives each Whisper word the speaker whose turn overlaps it most and groups
consecutive words of one speaker into segments.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Protocol

import numpy as np

from engines.clustering import centroids, cluster, name_clusters
from engines.speaker_encoder import CALIBRATION, SpeakerEncoder, load_speaker_encoder

logger = logging.getLogger(__name__)
SAMPLE_RATE = 16000
HOP = 160  # samples per 10 ms frame
FRAME_S = HOP / SAMPLE_RATE


@dataclass(frozen=True)
class DiarizationOptions:
    """Tuning of the diarizer (defaults measured on the development set, scripts/diarization_eval.py)."""

    encoder: str = "campplus"  # engines.speaker_encoder.ENCODER_KINDS
    window_s: float = 1.6  # embedding window
    hop_s: float = 0.75  # window step inside speech
    threshold: float | None = None  # AHC stops merging below this cosine similarity; None: the encoder's
    min_window_s: float = 0.3  # speech regions shorter than this get no embedding of their own
    max_speakers: int | None = None
    known_min_similarity: float | None = (
        None  # a cluster takes a reference's name only above this; None: the encoder's
    )
    vad_threshold: float = 0.35  # lower than transcription's 0.5: narrow-band speech scores lower (measured)
    vad_min_silence_ms: int = 250
    vad_pad_ms: int = 60


@dataclass(frozen=True)
class SpeakerTurn:
    """A stretch of speech by one speaker, in seconds."""

    start: float
    end: float
    speaker: str


@dataclass(frozen=True)
class DiarizedSegment:
    """Consecutive words of one speaker."""

    start: float
    end: float
    text: str
    speaker: str


class TimedWord(Protocol):
    """Anything with a word and its times (faster-whisper's ``Word`` qualifies)."""

    @property
    def word(self) -> str: ...
    @property
    def start(self) -> float: ...
    @property
    def end(self) -> float: ...


def speech_regions(audio: np.ndarray, options: DiarizationOptions) -> list[tuple[int, int]]:
    """Speech as ``(start, end)`` sample ranges, from Silero VAD."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    vad = VadOptions(
        threshold=options.vad_threshold,
        min_silence_duration_ms=options.vad_min_silence_ms,
        speech_pad_ms=options.vad_pad_ms,
    )
    return [(int(s["start"]), int(s["end"])) for s in get_speech_timestamps(audio, vad, SAMPLE_RATE)]


def _windows(
    regions: list[tuple[int, int]], n_frames: int, options: DiarizationOptions
) -> list[tuple[int, int]]:
    """10 ms frame ranges to embed: ``window_s`` long, every ``hop_s`` inside each region."""
    hop = max(1, int(round(options.hop_s / FRAME_S)))
    size = max(1, int(round(options.window_s / FRAME_S)))
    min_len = int(options.min_window_s / FRAME_S)
    out: list[tuple[int, int]] = []
    for s, e in regions:
        a, b = s // HOP, min(n_frames, e // HOP + 1)
        if b - a < min_len:
            continue
        if b - a <= size:
            out.append((a, b))
            continue
        starts = list(range(a, b - size + 1, hop))
        if starts[-1] != b - size:
            starts.append(b - size)
        out += [(x, x + size) for x in starts]
    return out


class Diarizer:
    """Speaker diarization with a speaker encoder; ``diarize()`` returns speaker turns."""

    def __init__(self, encoder: SpeakerEncoder, options: DiarizationOptions | None = None) -> None:
        self.encoder = encoder
        opts = options or DiarizationOptions()
        calibration = CALIBRATION[opts.encoder]
        self.options = replace(
            opts,
            threshold=calibration.threshold if opts.threshold is None else opts.threshold,
            known_min_similarity=(
                calibration.known_min_similarity
                if opts.known_min_similarity is None
                else opts.known_min_similarity
            ),
        )
        self.share_similarity = calibration.share_similarity

    @classmethod
    def load(cls, options: DiarizationOptions | None = None) -> Diarizer:
        """Load the speaker encoder ``options.encoder`` names."""
        opts = options or DiarizationOptions()
        return cls(load_speaker_encoder(opts.encoder), opts)

    @property
    def threshold(self) -> float:
        """The cosine similarity below which clusters stay apart."""
        assert self.options.threshold is not None
        return self.options.threshold

    def embed_reference(self, audio: np.ndarray) -> np.ndarray:
        """The embedding of a known speaker's reference clip (speech only)."""
        regions = speech_regions(audio, self.options)
        speech = np.concatenate([audio[s:e] for s, e in regions]) if regions else audio
        return self.encoder.embed_utterance(speech)

    def embed(self, audio: np.ndarray) -> tuple[list[tuple[int, int]], list[tuple[int, int]], np.ndarray]:
        """Speech regions (samples), the windows embedded (10 ms frames) and their embeddings."""
        regions = speech_regions(audio, self.options)
        if not regions:
            return [], [], np.zeros((0, self.encoder.dim), dtype=np.float32)
        n_frames = len(audio) // HOP
        windows = _windows(regions, n_frames, self.options)
        if not windows:  # only very short bursts of speech: one speaker
            windows = [(s // HOP, max(s // HOP + 1, min(n_frames, e // HOP + 1))) for s, e in regions]
        return regions, windows, self.encoder.embed_windows(audio, windows)

    def known_count(self, emb: np.ndarray, estimate: int, references: np.ndarray | None = None) -> int | None:
        """The number of speakers when it is known, else None (keep the threshold's ``estimate``).

        Known: the estimate exceeds ``max_speakers`` (cap it), or it is below the number of known speakers
        heard in the audio (a reference is heard when it is the nearest reference of at least two windows,
        at least ``known_min_similarity`` alike): two known voices are never merged.
        """
        opts = self.options
        if opts.max_speakers is not None and estimate > opts.max_speakers:
            return opts.max_speakers
        if references is not None and len(references) > 1 and len(emb):
            sims = emb @ references.T
            nearest = np.argmax(sims, axis=1)
            assert opts.known_min_similarity is not None
            close = sims[np.arange(len(emb)), nearest] >= opts.known_min_similarity
            heard = int((np.bincount(nearest[close], minlength=len(references)) >= 2).sum())
            if estimate < heard:
                return heard if opts.max_speakers is None else min(heard, opts.max_speakers)
        return None

    def diarize(
        self,
        audio: np.ndarray,
        references: dict[str, np.ndarray] | None = None,
        num_speakers: int | None = None,
    ) -> list[SpeakerTurn]:
        """Who spoke when in 16 kHz mono ``audio``.

        ``references`` maps known speaker names to their embeddings (``embed_reference``);
        ``num_speakers`` fixes the number of clusters instead of estimating it.
        """
        regions, windows, emb = self.embed(audio)
        if not regions:
            return []
        ref_names = list(references) if references else []
        ref_vecs = np.stack([references[n] for n in ref_names]) if references else None
        if num_speakers is not None:
            labels = cluster(emb, self.threshold, n_clusters=num_speakers)
        else:
            labels = cluster(emb, self.threshold)
            k = self.known_count(emb, int(labels.max()) + 1, ref_vecs)
            if k is not None:
                labels = cluster(emb, self.threshold, n_clusters=k)
        assert self.options.known_min_similarity is not None
        names = name_clusters(
            centroids(emb, labels),
            ref_vecs,
            ref_names,
            self.options.known_min_similarity,
            self.share_similarity,
        )
        return label_turns(regions, windows, labels, names)


def label_turns(
    regions: list[tuple[int, int]], windows: list[tuple[int, int]], labels: np.ndarray, names: list[str]
) -> list[SpeakerTurn]:
    """Label every speech frame with its nearest window centre's speaker; merge runs into turns."""
    centres = np.array([(a + b) / 2 for a, b in windows])
    turns: list[SpeakerTurn] = []
    for s, e in regions:
        frames = np.arange(s // HOP, e // HOP + 1)
        nearest = np.abs(frames[:, None] - centres[None, :]).argmin(axis=1)
        who = labels[nearest]
        change = np.flatnonzero(np.diff(who)) + 1
        bounds = [0, *change.tolist(), len(frames)]
        for lo, hi in zip(bounds[:-1], bounds[1:], strict=True):
            start = max(s, frames[lo] * HOP) / SAMPLE_RATE
            end = min(e, frames[hi - 1] * HOP + HOP) / SAMPLE_RATE
            speaker = names[int(who[lo])]
            if turns and turns[-1].speaker == speaker and start - turns[-1].end < 0.5:
                turns[-1] = SpeakerTurn(turns[-1].start, round(end, 3), speaker)
            else:
                turns.append(SpeakerTurn(round(start, 3), round(end, 3), speaker))
    return turns


def speaker_at(turns: Sequence[SpeakerTurn], start: float, end: float) -> str | None:
    """The speaker whose turns overlap ``[start, end]`` most, else the nearest turn's speaker."""
    if not turns:
        return None
    overlap: dict[str, float] = {}
    for t in turns:
        o = min(end, t.end) - max(start, t.start)
        if o > 0:
            overlap[t.speaker] = overlap.get(t.speaker, 0.0) + o
    if overlap:
        return max(overlap, key=lambda k: overlap[k])
    mid = (start + end) / 2
    return min(
        turns, key=lambda t: 0.0 if t.start <= mid <= t.end else min(abs(mid - t.start), abs(mid - t.end))
    ).speaker


class SegmentBuilder:
    """Turns a stream of timed words into one-speaker segments, closing each as soon as it is complete.

    ``add`` returns the segment that the new word closed (a change of speaker, or a pause longer than
    ``max_gap`` seconds), if any; ``finish`` returns the last one. Word texts keep Whisper's spaces.
    """

    def __init__(
        self, turns: Sequence[SpeakerTurn], default_speaker: str = "A", max_gap: float = 2.0
    ) -> None:
        self.turns = list(turns)
        self.default_speaker = default_speaker
        self.max_gap = max_gap
        self.words: list[TimedWord] = []
        self.speaker = default_speaker

    def speaker_of(self, word: TimedWord) -> str:
        """The speaker of a word's second half: whisper often stretches the first word after a pause back
        over the silence, so its end is the reliable part (measured: lower word-level DER)."""
        return speaker_at(self.turns, (word.start + word.end) / 2, word.end) or self.default_speaker

    def add(self, word: TimedWord, speaker: str | None = None) -> DiarizedSegment | None:
        """Add the next word (its speaker looked up unless given); return a segment it closed."""
        speaker = speaker or self.speaker_of(word)
        closed = None
        if self.words and (speaker != self.speaker or word.start - self.words[-1].end > self.max_gap):
            closed = self.finish()
        self.speaker = speaker
        self.words.append(word)
        return closed

    def finish(self) -> DiarizedSegment | None:
        """Close and return the open segment (None if it holds no text)."""
        words, self.words = self.words, []
        text = "".join(w.word for w in words).strip()
        if not text:
            return None
        return DiarizedSegment(words[0].start, words[-1].end, text, self.speaker)


def assign_words(
    words: Sequence[TimedWord], turns: Sequence[SpeakerTurn], default_speaker: str = "A", max_gap: float = 2.0
) -> list[DiarizedSegment]:
    """Group Whisper words into one-speaker segments (see :class:`SegmentBuilder`)."""
    builder = SegmentBuilder(turns, default_speaker, max_gap)
    segments = [seg for w in words if (seg := builder.add(w)) is not None]
    last = builder.finish()
    return [*segments, last] if last else segments
