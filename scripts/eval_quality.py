"""Output quality of the server's defaults against the alternatives: WER, chrF, hallucination.

For each configuration (the server's defaults, then one change at a time) it runs the engine the
server runs (``engines.whisper.WhisperEngine``, whose words equal raw faster-whisper's: see
scripts/parity.py) over:

- English speech with reference transcripts (WER, Whisper's normaliser, server/commands/wer.py):
  the five LibriVox clips and five cards clips (short, one window), ``two_cities`` (44 s, two
  windows), two_cities+LibriVox joined by 1 s of silence (74 s: the batched path), and seven LibriVox and
  cards clips with pauses of 1.2-3 s of quiet noise between them (42 s: where VAD's min silence matters);
- translation to English (chrF, sacrebleu, both sides through the same normaliser) of the two espeak
  clips and the eight pangrams of tests/data/audioeval, against the literal translations below;
- noise, silence and music (synthetic: 20 s each of digital silence, white noise, brown noise, and a
  chord progression with a drum beat): words output where nothing is said.

Results that cannot differ from one already computed (same speech found by VAD, same decoding
options) are reused, so the run takes a few minutes on two cores.

    .venv/bin/python scripts/eval_quality.py [--model whisper-base] [--markdown]
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engines.decode import SAMPLE_RATE  # noqa: E402
from engines.types import RuntimeOptions, TranscriptionOptions, VadOptions  # noqa: E402
from engines.whisper import BATCHED_MIN_SILENCE_MS, WhisperEngine  # noqa: E402
from server.commands.wer import normalize, wer  # noqa: E402
from server.settings import Settings  # noqa: E402
from tests.support import parity  # noqa: E402

DATA = parity.DATA

# The novel's first sentence (public domain): what two_cities.flac reads.
TWO_CITIES = (
    "It was the best of times, it was the worst of times, it was the age of wisdom, it was the age of "
    "foolishness, it was the epoch of belief, it was the epoch of incredulity, it was the season of Light, "
    "it was the season of Darkness, it was the spring of hope, it was the winter of despair, we had "
    "everything before us, we had nothing before us, we were all going direct to Heaven, we were all going "
    "direct the other way - in short, the period was so far like the present period, that some of its "
    "noisiest authorities insisted on its being received, for good or for evil, in the superlative degree "
    "of comparison only."
)

# Literal English translations of the source texts shipped with the clips (foreign/*.txt,
# audioeval/transcripts.json), written for this evaluation; well-known pangrams translated word for word.
TRANSLATIONS = {
    "foreign/espeak-de.ogg": "Good morning. My name is Anna and I live in Berlin. Today the weather is very "
    "nice, and I am going to the park.",
    "foreign/espeak-es.ogg": "Good morning. My name is Carlos and I live in Madrid. Today the weather is "
    "good and I am going to the beach with my friends.",
    "audioeval/es-pangrama.flac": "The swift Hindu bat was happily eating cardillo and kiwi.",
    "audioeval/fr-pangrama.flac": "Take this old whisky to the blond judge who is smoking.",
    "audioeval/it-pangrama.flac": "That contemptible wrong fez causes us damage.",
    "audioeval/pt-pangrama.flac": "The quick brown fox jumps over the lazy dog.",
    "audioeval/pl-pangrama.flac": "Push a hedgehog or eight crates of figs into this boat.",
    "audioeval/ja-pangrama.flac": "Though the colours are fragrant, they scatter; in our world who lasts "
    "forever?",
    "audioeval/zh-pangrama.flac": "Heaven is dark and earth is yellow, the universe vast and wild; the sun "
    "and moon wax and wane, the stars spread out in their places.",
    "audioeval/hi-pangrama.flac": "The saying 'cumin in a camel's mouth' is very old and famous.",
}


def _references() -> dict[str, str]:
    refs: dict[str, str] = {}
    for name, path in (("librivox", "librivox/transcription"), ("cards", "cards/cards.transcription")):
        for line in (DATA / path).read_text().splitlines():
            text, _, key = line.rpartition("(")
            words = text.replace("<s>", "").replace("</s>", "").strip()
            refs[f"{name}/{key.rstrip(') ')}.wav"] = words
    refs["moonshine/two_cities.flac"] = TWO_CITIES
    refs["two-cities+librivox-74s"] = " ".join(
        [TWO_CITIES] + [refs[str(p.relative_to(DATA))] for p in parity.LIBRIVOX]
    )
    return refs


PAUSED = [  # (clip, pause after it in seconds): dictation-like speech with pauses of 1.2-3 s
    ("librivox/sense_and_sensibility_01_austen_64kb-0870.wav", 1.5),
    ("librivox/sense_and_sensibility_01_austen_64kb-0880.wav", 2.5),
    ("cards/005.wav", 1.2),
    ("librivox/sense_and_sensibility_01_austen_64kb-0890.wav", 3.0),
    ("librivox/sense_and_sensibility_01_austen_64kb-0920.wav", 1.8),
    ("cards/002.wav", 2.2),
    ("librivox/sense_and_sensibility_01_austen_64kb-0930.wav", 0.0),
]


def _paused_clip(refs: dict[str, str]) -> tuple[np.ndarray, str]:
    """Speech with pauses of 1.2-3 s filled with quiet brown noise (about -45 dBFS), and its reference."""
    rng = np.random.default_rng(7)
    parts: list[np.ndarray] = []
    for clip, pause in PAUSED:
        parts.append(parity.audio(clip))
        if not pause:
            continue
        noise = np.cumsum(rng.standard_normal(int(pause * SAMPLE_RATE)))
        noise = noise - np.linspace(noise[0], noise[-1], noise.size)
        parts.append((noise / (np.abs(noise).max() or 1) * 0.006).astype(np.float32))
    return np.concatenate(parts), " ".join(refs[clip] for clip, _ in PAUSED)


def _noise_clips() -> dict[str, np.ndarray]:
    """Nothing said: 20 s each of silence, white and brown noise, and synthetic music."""
    rng = np.random.default_rng(15)
    n = 20 * SAMPLE_RATE
    t = np.arange(n) / SAMPLE_RATE
    brown = np.cumsum(rng.standard_normal(n))
    brown = brown - np.convolve(brown, np.ones(1601) / 1601, mode="same")  # drift removed
    music = np.zeros(n)
    for bar in range(10):  # I-V-vi-IV in C, 2 s a chord, three partials a note, a decaying envelope
        root = (261.6, 392.0, 440.0, 349.2)[bar % 4]
        span = slice(bar * 2 * SAMPLE_RATE, (bar + 1) * 2 * SAMPLE_RATE)
        local = t[span] - bar * 2
        for ratio in (1.0, 1.26, 1.5):
            for k in (1, 2, 3):
                music[span] += np.sin(2 * np.pi * root * ratio * k * local) * np.exp(-local * 1.5) / k
    for beat in np.arange(0, 20, 0.5):  # a noise burst (snare-like) every half second
        start = int(beat * SAMPLE_RATE)
        burst = rng.standard_normal(1600) * np.exp(-np.arange(1600) / 300)
        music[start : start + 1600] += burst
    out = {
        "silence": np.zeros(n),
        "white noise": rng.standard_normal(n) * 0.05,
        "brown noise": brown / np.abs(brown).max() * 0.3,
        "music": music / np.abs(music).max() * 0.5,
    }
    return {k: v.astype(np.float32) for k, v in out.items()}


@dataclass(frozen=True)
class Config:
    name: str
    threshold: float | None = None  # None: the server's default
    silence_ms: int | None = None
    pad_ms: int | None = None
    vad: bool = True
    beam: int | None = None
    batched_beam: int | None = None
    batched: bool = True

    def options(self, settings: Settings, task: str, language: str | None) -> TranscriptionOptions:
        vad = VadOptions(
            self.threshold if self.threshold is not None else settings.vad_threshold,
            self.silence_ms if self.silence_ms is not None else settings.vad_min_silence_ms,
            self.pad_ms if self.pad_ms is not None else settings.vad_speech_pad_ms,
        )
        base = TranscriptionOptions(
            task=task,
            language=language,
            vad=vad if self.vad else None,
            beam_size=self.beam or settings.beam_size,
            no_speech_threshold=settings.no_speech_threshold,
            log_prob_threshold=settings.log_prob_threshold,
            batched_min_seconds=settings.batched_min_seconds if self.batched else None,
            batch_size=settings.batch_size,
            segment_timing=False,
        )
        return replace(base, batched_beam_size=self.batched_beam) if self.batched_beam else base


CONFIGS = [
    Config("server defaults"),
    Config("VAD min silence 2000 ms (faster-whisper's)", silence_ms=2000),
    Config("VAD min silence 500 ms", silence_ms=500),
    Config("VAD padding 200 ms", pad_ms=200),
    Config("VAD threshold 0.35", threshold=0.35),
    Config("no VAD", vad=False),
    Config("greedy (beam 1) below 60 s", beam=1),
    Config("beam 5 on the batched path", batched_beam=5),
    Config("no batched path (sequential)", batched=False),
]


class Runner:
    """Runs the engine, reusing a result when neither the speech VAD keeps nor the decoding differ."""

    def __init__(self, engine: WhisperEngine) -> None:
        self.engine = engine
        self.cache: dict[tuple[Any, ...], str] = {}
        self.runs = 0

    def text(self, clip: str, audio: np.ndarray, options: TranscriptionOptions) -> str:
        key = self._key(clip, audio, options)
        if key not in self.cache:
            _, segments = self.engine.transcribe(audio, options)
            self.cache[key] = "".join(s.text for s in segments).strip()
            self.runs += 1
        return self.cache[key]

    @staticmethod
    def _key(clip: str, audio: np.ndarray, o: TranscriptionOptions) -> tuple[Any, ...]:
        from faster_whisper.vad import VadOptions as FwVad
        from faster_whisper.vad import get_speech_timestamps

        duration = audio.shape[0] / SAMPLE_RATE
        batched = (
            o.vad is not None and o.batched_min_seconds is not None and duration >= o.batched_min_seconds
        )
        speech: Any = None
        if o.vad is not None:
            silence = (
                min(o.vad.min_silence_duration_ms, BATCHED_MIN_SILENCE_MS)
                if batched
                else o.vad.min_silence_duration_ms
            )
            fw = FwVad(
                threshold=o.vad.threshold,
                min_silence_duration_ms=silence,
                speech_pad_ms=o.vad.speech_pad_ms,
                max_speech_duration_s=30 if batched else float("inf"),
            )
            speech = tuple((c["start"], c["end"]) for c in get_speech_timestamps(audio, fw))
        beam = o.batched_beam_size if batched else o.beam_size
        return (clip, o.task, o.language, speech, beam, batched)


def chrf(hypothesis: str, reference: str) -> float:
    from sacrebleu.metrics import CHRF

    return CHRF().sentence_score(" ".join(normalize(hypothesis)), [" ".join(normalize(reference))]).score


def evaluate(runner: Runner, config: Config, settings: Settings, english_only: bool) -> dict[str, Any]:
    refs = _references()
    row: dict[str, Any] = {"config": config.name}
    groups = {
        "short": [k for k in refs if k.startswith(("librivox/", "cards/"))],
        "44 s": ["moonshine/two_cities.flac"],
        "74 s": ["two-cities+librivox-74s"],
    }
    for group, clips in groups.items():
        errors = words = 0.0
        for clip in clips:
            hyp = runner.text(clip, parity.audio(clip), config.options(settings, "transcribe", None))
            n = len(normalize(refs[clip]))
            errors += wer(refs[clip], hyp) * n
            words += n
        row[f"WER {group}"] = 100 * errors / words
    paused, reference = _paused_clip(refs)
    row["WER pauses"] = 100 * wer(
        reference, runner.text("paused", paused, config.options(settings, "transcribe", None))
    )
    if not english_only:
        scores = [
            chrf(runner.text(clip, parity.audio(clip), config.options(settings, "translate", None)), ref)
            for clip, ref in TRANSLATIONS.items()
        ]
        row["chrF"] = float(np.mean(scores))
    invented = {}
    for name, audio in _noise_clips().items():
        invented[name] = len(runner.text(name, audio, config.options(settings, "transcribe", None)).split())
    row["words on noise"] = sum(invented.values())
    row["noise detail"] = invented
    return row


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="whisper-base", choices=["whisper-base", "whisper-tiny.en"])
    parser.add_argument("--models-dir", type=Path, default=Settings().models_dir)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--only", default="", help="only configurations whose name contains this")
    args = parser.parse_args()

    settings = Settings()
    engine = WhisperEngine.load(
        parity.model_paths(args.models_dir)[args.model], RuntimeOptions(cpu_threads=args.threads)
    )
    runner = Runner(engine)
    started = time.perf_counter()
    rows = []
    for config in CONFIGS:
        if args.only and args.only not in config.name and config.name != "server defaults":
            continue
        rows.append(evaluate(runner, config, settings, engine.english_only))
        print(
            f"  {config.name}: {time.perf_counter() - started:.0f} s, {runner.runs} engine runs",
            file=sys.stderr,
            flush=True,
        )
    columns = [c for c in rows[0] if c not in ("config", "noise detail")]
    print(f"\n{args.model}, {len(rows)} configurations, {time.perf_counter() - started:.0f} s\n")
    print("| configuration | " + " | ".join(columns) + " |")
    print("|---|" + "---:|" * len(columns))
    for row in rows:
        cells = [f"{row[c]:.1f}" if isinstance(row[c], float) else str(row[c]) for c in columns]
        print(f"| {row['config']} | " + " | ".join(cells) + " |")
    detail = rows[0]["noise detail"]
    print(f"\nnoise clips (defaults): {detail}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
