"""Measure transcription through the real server: WER per LibriVox clip and real-time factors.

    python scripts/measure_transcription.py [--base-url http://127.0.0.1:8000] [--long-repeats 6]

Without --base-url it starts a server (and, for the batched comparison, a second one with the
batched pipeline off). RTF = wall-clock seconds of the request / seconds of audio; lower is faster.
The long clip is the five LibriVox clips repeated, to exercise the batched pipeline.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import openai

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.audio import LIBRIVOX, librivox_transcripts, read_samples, wav_bytes  # noqa: E402
from tests.support.server import start_server  # noqa: E402
from tests.support.wer import wer  # noqa: E402


def _timed(client: openai.OpenAI, model: str, data: bytes) -> tuple[str, float]:
    started = time.perf_counter()
    text = client.audio.transcriptions.create(model=model, file=("clip.wav", data)).text
    return text, time.perf_counter() - started


def measure(base_url: str, long_repeats: int, batched_url: str | None) -> dict:
    client = openai.OpenAI(base_url=f"{base_url}/v1", api_key="unused", max_retries=0, timeout=1800)
    references = librivox_transcripts()
    clips = {name: read_samples(LIBRIVOX / f"{name}.wav") for name in references}
    story = np.concatenate(list(clips.values()))
    long = np.concatenate([story] * long_repeats)
    report: dict = {"wer_whisper_base": {}, "rtf": {}}
    for model in ("whisper-base", "whisper-tiny.en"):
        _timed(client, model, wav_bytes(clips[next(iter(clips))]))  # load the model first
    for name, samples in clips.items():
        text, _ = _timed(client, "whisper-base", wav_bytes(samples))
        report["wer_whisper_base"][name] = round(wer(references[name], text), 4)
    reference_story = " ".join(references.values())
    for model in ("whisper-tiny.en", "whisper-base"):
        for label, samples in (("story_24.7s", story), (f"long_{len(long) / 16000:.0f}s", long)):
            text, seconds = _timed(client, model, wav_bytes(samples))
            reference = " ".join([reference_story] * (len(samples) // len(story)))
            report["rtf"][f"{model} {label}"] = {
                "rtf": round(seconds / (len(samples) / 16000), 3),
                "seconds": round(seconds, 2),
                "wer": round(wer(reference, text), 4),
            }
    if batched_url is not None:
        other = openai.OpenAI(base_url=f"{batched_url}/v1", api_key="unused", max_retries=0, timeout=1800)
        _timed(other, "whisper-base", wav_bytes(story))
        text, seconds = _timed(other, "whisper-base", wav_bytes(long))
        reference = " ".join([reference_story] * long_repeats)
        report["rtf"][f"whisper-base long_{len(long) / 16000:.0f}s sequential (batched off)"] = {
            "rtf": round(seconds / (len(long) / 16000), 3),
            "seconds": round(seconds, 2),
            "wer": round(wer(reference, text), 4),
        }
    return report


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--base-url", help="an Earshot server to measure (default: start one)")
    parser.add_argument("--long-repeats", type=int, default=6, help="story repeats in the long clip")
    args = parser.parse_args()
    if args.base_url:
        print(json.dumps(measure(args.base_url.rstrip("/"), args.long_repeats, None), indent=2))
        return
    with tempfile.TemporaryDirectory() as tmp:
        logs, models = Path(tmp) / "logs", Path(tmp) / "models"
        logs.mkdir()
        models.mkdir()
        server = start_server(logs, models)
        plain = start_server(logs, models, env={"EARSHOT_BATCHED_MIN_SECONDS": "1000000"})
        try:
            print(json.dumps(measure(server.base_url, args.long_repeats, plain.base_url), indent=2))
        finally:
            server.stop()
            plain.stop()


if __name__ == "__main__":
    main()
