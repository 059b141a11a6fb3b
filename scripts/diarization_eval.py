"""Diarization quality and cost on the development set (tests/support/devset.py): every conversation through
every channel, for each speaker encoder.

    python scripts/diarization_eval.py [--encoders campplus ge2e] [--threshold T] [--words] [--rtf]
                                       [--call DIR] [--campplus-onnx PATH] [--markdown]

Per encoder: window-level separation (AUC of same- vs different-speaker cosine similarities), the range of
thresholds that gives each condition its right speaker count, the common range and its middle; then per
condition at the encoder's threshold (its calibrated default, or ``--threshold``): speakers found, DER
(0.25 s collar) and, with ``--words``, word-level DER (whisper words grouped into speaker segments exactly as
the API does). ``--rtf``: wall time of whisper-base transcription alone vs transcription with word
timestamps plus diarization, on the clean conversations. ``--call DIR``: also score a real call given as
``DIR/sample.wav`` + ``DIR/sample.rttm`` (e.g. the sample in the pyannote.audio wheel; not vendored).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engines.campplus import CamPlusPlusEncoder  # noqa: E402
from engines.clustering import cluster  # noqa: E402
from engines.diarize import DiarizationOptions, Diarizer, assign_words  # noqa: E402
from engines.speaker_encoder import load_speaker_encoder  # noqa: E402
from tests.support import conversations as cv  # noqa: E402
from tests.support import devset  # noqa: E402
from tests.support.der import der  # noqa: E402

SWEEP = np.round(np.arange(0.10, 0.901, 0.025), 3)


@dataclass
class Scored:
    """One condition's results for one encoder."""

    want: int
    auc: float
    ok_thresholds: list[float]
    found: int
    der: float
    word_der: float | None = None


def _window_labels(conv: cv.Conversation, windows: list[tuple[int, int]]) -> np.ndarray:
    """The reference speaker at each window's centre (None in silence or overlap)."""
    out = []
    for a, b in windows:
        centre = (a + b) / 2 * 0.01
        who = {w for s, e, w in conv.turns if s <= centre <= e}
        out.append(who.pop() if len(who) == 1 else None)
    return np.array(out, dtype=object)


def auc(emb: np.ndarray, labels: np.ndarray) -> float:
    """Probability that a same-speaker pair of windows is more alike than a different-speaker pair."""
    keep = labels != None  # noqa: E711
    emb, labels = emb[keep], labels[keep]
    iu = np.triu_indices(len(labels), 1)
    sims, same = (emb @ emb.T)[iu], (labels[:, None] == labels[None, :])[iu]
    pos, neg = np.sort(sims[same]), sims[~same]
    if not len(pos) or not len(neg):
        return float("nan")
    not_above = np.searchsorted(pos, neg, side="right").sum()  # same-speaker pairs at or below each other
    return 1.0 - float(not_above) / (len(pos) * len(neg))


def load_call(directory: Path) -> cv.Conversation:
    """A real call with an RTTM reference."""
    from engines.decode import decode_audio

    audio = decode_audio((directory / "sample.wav").read_bytes())
    turns = []
    for line in (directory / "sample.rttm").read_text().splitlines():
        f = line.split()
        turns.append((float(f[3]), float(f[3]) + float(f[4]), f[7]))
    return cv.Conversation("call-2f", audio, turns)


def _ranges(ok: list[float]) -> str:
    if not ok:
        return "none"
    runs, start, prev = [], ok[0], ok[0]
    for t in ok[1:]:
        if t - prev > 0.026:
            runs.append((start, prev))
            start = t
        prev = t
    runs.append((start, prev))
    return ",".join(f"{a:.3f}–{b:.3f}" if a != b else f"{a:.3f}" for a, b in runs)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--encoders", nargs="+", default=["campplus", "ge2e"])
    parser.add_argument(
        "--threshold", type=float, help="score at this threshold instead of the calibrated one"
    )
    parser.add_argument("--window", type=float, default=DiarizationOptions.window_s)
    parser.add_argument("--hop", type=float, default=DiarizationOptions.hop_s)
    parser.add_argument("--campplus-onnx", type=Path, help="a CAM++ ONNX to try (e.g. an int8 copy)")
    parser.add_argument("--words", action="store_true", help="also word-level DER through whisper-base")
    parser.add_argument(
        "--rtf", action="store_true", help="time transcription vs transcription + diarization"
    )
    parser.add_argument("--call", type=Path, help="a directory with sample.wav and sample.rttm (a real call)")
    parser.add_argument("--only", help="only conversations whose name contains this")
    parser.add_argument("--models-dir", type=Path, default=Path(tempfile.gettempdir()) / "earshot-models")
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown too")
    args = parser.parse_args(argv)

    conds = devset.conditions()
    if args.call:
        call = load_call(args.call)
        conds.append(devset.Condition(call.name, "phone-real", call))
    if args.only:
        conds = [c for c in conds if args.only in c.name]
    registry = None
    if args.words or args.rtf:
        from engines.manifest import builtin_manifest_path, load_manifests
        from engines.registry import ModelRegistry
        from engines.types import RuntimeOptions

        registry = ModelRegistry(
            load_manifests([builtin_manifest_path()]), args.models_dir, RuntimeOptions(), None
        )
        registry.prepare()
    results: dict[str, dict[str, Scored]] = {}
    rtf_lines = []
    with registry.lease("whisper-base") if registry else _null() as engine:
        words_of = _transcriber(engine) if engine is not None else None
        word_cache: dict[str, list] = {}  # type: ignore[type-arg]
        for kind in args.encoders:
            encoder = (
                CamPlusPlusEncoder.load(args.campplus_onnx, sha256=None)
                if kind == "campplus" and args.campplus_onnx
                else load_speaker_encoder(kind)
            )
            options = DiarizationOptions(
                encoder=kind, threshold=args.threshold, window_s=args.window, hop_s=args.hop
            )
            diarizer = Diarizer(encoder, options)
            results[kind] = {}
            for cond in conds:
                conv = cond.conv
                regions, windows, emb = diarizer.embed(conv.audio)
                want = len(conv.speakers)
                ok = [float(t) for t in SWEEP if len(emb) and int(cluster(emb, float(t)).max()) + 1 == want]
                turns = diarizer.diarize(conv.audio)
                scored = Scored(
                    want, auc(emb, _window_labels(conv, windows)), ok, len({t.speaker for t in turns}),
                    der(conv.turns, [(t.start, t.end, t.speaker) for t in turns]).der,
                )  # fmt: skip
                if words_of is not None and args.words:
                    words = word_cache.setdefault(cond.name, words_of(conv.audio, True))
                    segs = assign_words(words, turns)
                    scored.word_der = der(conv.turns, [(s.start, s.end, s.speaker) for s in segs]).der
                results[kind][cond.name] = scored
                print(f"{kind:8s} {cond.name:26s} AUC {scored.auc:5.3f} right count at {_ranges(ok):24s} "
                      f"found {scored.found}/{want} DER {scored.der:6.1%}"
                      + (f" word-DER {scored.word_der:6.1%}" if scored.word_der is not None else ""),
                      flush=True)  # fmt: skip
            _summary(kind, results[kind], diarizer.threshold)
            if args.rtf and words_of is not None:
                rtf_lines.append(_rtf(kind, diarizer, words_of, [c for c in conds if c.channel == "clean"]))
    for line in rtf_lines:
        print(line)
    if args.markdown:
        _markdown(results, conds)
    if registry is not None:
        registry.close()
    return 0


class _null:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def _transcriber(engine):  # type: ignore[no-untyped-def]
    from engines.types import TranscriptionOptions

    def words_of(audio: np.ndarray, word_timestamps: bool) -> list:  # type: ignore[type-arg]
        _, segments = engine.transcribe(audio, TranscriptionOptions(word_timestamps=word_timestamps))
        return [w for s in segments for w in (s.words or ())]

    return words_of


def _summary(kind: str, scored: dict[str, Scored], threshold: float) -> None:
    common = set(SWEEP.tolist())
    for s in scored.values():
        common &= set(s.ok_thresholds)
    right = sum(s.found == s.want for s in scored.values())
    ders = [s.der for s in scored.values()]
    counts: dict[float, int] = {}
    for s in scored.values():
        for t in s.ok_thresholds:
            counts[t] = counts.get(t, 0) + 1
    best = max(counts.values()) if counts else 0
    best_range = sorted(t for t, c in counts.items() if c == best)
    mean_auc = np.nanmean([s.auc for s in scored.values()])
    print(f"== {kind}: threshold {threshold:.3f}; right count on {right}/{len(scored)} conditions; "
          f"mean DER {np.mean(ders):.1%}, worst {max(ders):.1%}; mean AUC {mean_auc:.3f}")  # fmt: skip
    print(
        f"   common range (right count everywhere): {_ranges(sorted(common))}; "
        f"most conditions right ({best}/{len(scored)}) at {_ranges(best_range)}, middle "
        f"{(best_range[0] + best_range[-1]) / 2 if best_range else float('nan'):.3f}"
    )


def _rtf(kind: str, diarizer: Diarizer, words_of, conds: list[devset.Condition]) -> str:  # type: ignore[no-untyped-def]
    """Wall seconds per audio second: plain transcription, with word timestamps, and diarization alone."""
    audio_s = 0.0
    took = {"plain": 0.0, "words": 0.0, "diarization": 0.0}
    for cond in conds:
        audio = cond.conv.audio
        audio_s += len(audio) / 16000
        steps = {
            "plain": partial(words_of, audio, False),
            "words": partial(words_of, audio, True),
            "diarization": partial(diarizer.diarize, audio),
        }
        for key, step in steps.items():
            started = time.perf_counter()
            step()
            took[key] += time.perf_counter() - started
    plain, words, diarization = (took[k] / audio_s for k in ("plain", "words", "diarization"))
    return (
        f"RTF {kind} over {audio_s:.0f} s: transcription {plain:.3f}, with word timestamps {words:.3f}, "
        f"diarization {diarization:.3f}; a diarized request vs plain transcription "
        f"{(words + diarization) / plain - 1:+.0%} wall time (diarization alone {diarization / plain:+.0%})"
    )


def _markdown(results: dict[str, dict[str, Scored]], conds: list[devset.Condition]) -> None:
    kinds = list(results)
    head = (
        "| condition | speakers | " + " | ".join(f"{k} found | {k} DER | {k} word DER" for k in kinds) + " |"
    )
    print(head)
    print("|" + "---|" * (2 + 3 * len(kinds)))
    for cond in conds:
        cells = []
        for k in kinds:
            s = results[k][cond.name]
            wd = f"{s.word_der:.1%}" if s.word_der is not None else "–"
            cells += [str(s.found), f"{s.der:.1%}", wd]
        print(f"| {cond.name} | {len(cond.conv.speakers)} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    sys.exit(main())
