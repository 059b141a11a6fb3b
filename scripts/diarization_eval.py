"""Diarization quality and cost on the test conversations: DER (0.25 s collar), speaker count, and the
real-time factor of diarization next to whisper transcription (wall and CPU seconds per audio second).

    python scripts/diarization_eval.py [--model whisper-base] [--threshold 0.65] [--hop 0.75] [--wav-dir DIR]

``--wav-dir`` also writes each conversation as a wav with its reference turns as RTTM.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import soundfile as sf

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engines.diarize import DiarizationOptions, Diarizer, assign_words  # noqa: E402
from engines.manifest import builtin_manifest_path, load_manifests  # noqa: E402
from engines.registry import ModelRegistry  # noqa: E402
from engines.types import RuntimeOptions, TranscriptionOptions  # noqa: E402
from tests.support import conversations as cv  # noqa: E402
from tests.support.der import der  # noqa: E402


def _timed(fn, *args, **kwargs):  # type: ignore[no-untyped-def]
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - wall, time.process_time() - cpu


def _rttm(conv: cv.Conversation) -> str:
    return "".join(
        f"SPEAKER {conv.name} 1 {s:.2f} {e - s:.2f} <NA> <NA> {who} <NA> <NA>\n" for s, e, who in conv.turns
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="whisper-base")
    parser.add_argument("--threshold", type=float, default=DiarizationOptions.threshold)
    parser.add_argument("--hop", type=float, default=DiarizationOptions.hop_s)
    parser.add_argument("--models-dir", type=Path, default=Path(tempfile.gettempdir()) / "earshot-models")
    parser.add_argument("--wav-dir", type=Path)
    args = parser.parse_args(argv)

    diarizer = Diarizer.load(options=replace(DiarizationOptions(), threshold=args.threshold, hop_s=args.hop))
    refs = {name: diarizer.embed_reference(clip) for name, clip in cv.references().items()}
    convs = [
        cv.two_speakers_without_references(),
        cv.two_speakers(),
        cv.three_real_speakers(),
        cv.three_speakers(cv.joe_clips()),
    ]
    registry = ModelRegistry(
        load_manifests([builtin_manifest_path()]), args.models_dir, RuntimeOptions(), None
    )
    registry.prepare()
    totals = {"audio": 0.0, "asr_wall": 0.0, "asr_cpu": 0.0, "dia_wall": 0.0, "dia_cpu": 0.0}
    correct = 0
    print(f"{'conversation':12s} {'dur':>6s} {'DER':>6s} {'DER/known':>9s} {'word-DER':>8s} {'spk':>5s} "
          f"{'asr RTF':>8s} {'diar RTF':>8s} {'diar CPU/asr CPU':>16s}")  # fmt: skip
    with registry.lease(args.model) as engine:
        for conv in convs:
            if args.wav_dir:
                args.wav_dir.mkdir(parents=True, exist_ok=True)
                sf.write(args.wav_dir / f"{conv.name}.wav", conv.audio, 16000)
                (args.wav_dir / f"{conv.name}.rttm").write_text(_rttm(conv))

            def transcribe(audio: np.ndarray) -> list:  # type: ignore[type-arg]
                _, segments = engine.transcribe(audio, TranscriptionOptions(word_timestamps=True))
                return [w for s in segments for w in (s.words or ())]

            words, asr_wall, asr_cpu = _timed(transcribe, conv.audio)
            turns, dia_wall, dia_cpu = _timed(diarizer.diarize, conv.audio)
            known = diarizer.diarize(conv.audio, references=refs)
            result = der(conv.turns, [(t.start, t.end, t.speaker) for t in turns])
            known_result = der(conv.turns, [(t.start, t.end, t.speaker) for t in known])
            known_ok = all(known_result.mapping.get(n, n) == n for n in refs if n in conv.speakers)
            segs = assign_words(words, turns)
            word_der = der(conv.turns, [(s.start, s.end, s.speaker) for s in segs]).der
            n_found = len({t.speaker for t in turns})
            correct += n_found == len(conv.speakers)
            for key, value in (("audio", conv.duration), ("asr_wall", asr_wall), ("asr_cpu", asr_cpu),
                               ("dia_wall", dia_wall), ("dia_cpu", dia_cpu)):  # fmt: skip
                totals[key] += value
            flag = "" if known_ok else "!"
            print(f"{conv.name:12s} {conv.duration:6.1f} {result.der:6.1%} {known_result.der:8.1%}{flag} "
                  f"{word_der:8.1%} {n_found:>2d}/{len(conv.speakers):<2d} {asr_wall / conv.duration:8.3f} "
                  f"{dia_wall / conv.duration:8.3f} {dia_cpu / max(asr_cpu, 1e-9):16.2f}")  # fmt: skip
    rtf = {key: value / totals["audio"] for key, value in totals.items()}
    summary = (
        f"speaker count correct: {correct}/{len(convs)}; overall RTF transcription "
        f"{rtf['asr_wall']:.3f} wall / {rtf['asr_cpu']:.3f} CPU, "
        f"diarization {rtf['dia_wall']:.3f} wall / {rtf['dia_cpu']:.3f} CPU"
    )
    print(summary)
    registry.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
