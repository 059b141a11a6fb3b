"""Wyoming door vs its baselines, in one run on one server (``--wyoming-port``), medians of A/B pairs.

* transcription: the same clip over Wyoming (16 kHz PCM events) vs HTTP (wav upload), same model and
  language; target Wyoming ≤ 1.05× HTTP, and the same text.
* speech: time to the first ``audio-chunk`` of ``synthesize`` vs raw piper's first sentence (the same
  voice loaded in this process), target ≤ 1.1×; also the streaming form (``synthesize-start`` + the text
  in 12-character chunks + ``synthesize-stop``), first audio vs raw piper's first sentence (no target).

    python scripts/wyoming_bench.py [--pairs 5]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))
sys.path.insert(0, str(REPO))

from benchlib import raw  # noqa: E402
from benchlib.client import Client  # noqa: E402
from benchlib.data import SPEECH_TEXT, short_clips  # noqa: E402
from benchlib.speech import raw_speech  # noqa: E402
from benchlib.timing import alternate, progress  # noqa: E402
from wyoming.asr import Transcribe, Transcript  # noqa: E402
from wyoming.audio import AudioChunk, AudioStart, AudioStop  # noqa: E402
from wyoming.client import AsyncTcpClient  # noqa: E402
from wyoming.tts import Synthesize, SynthesizeChunk, SynthesizeStart, SynthesizeStop  # noqa: E402

from server.settings import default_models_dir  # noqa: E402
from tests.support.server import free_port, start_server  # noqa: E402


async def wyoming_transcribe(port: int, pcm: bytes) -> tuple[float, str]:
    """(seconds from audio-start to transcript, text); audio in 100 ms chunks, as a satellite sends it."""
    async with AsyncTcpClient("127.0.0.1", port) as c:
        started = time.perf_counter()
        await c.write_event(Transcribe(name="whisper-1", language="en").event())
        await c.write_event(AudioStart(rate=16000, width=2, channels=1).event())
        for i in range(0, len(pcm), 3200):
            await c.write_event(AudioChunk(rate=16000, width=2, channels=1, audio=pcm[i : i + 3200]).event())
        await c.write_event(AudioStop().event())
        while True:
            event = await c.read_event()
            assert event is not None and event.type != "error", event
            if Transcript.is_type(event.type):
                return time.perf_counter() - started, Transcript.from_event(event).text


async def wyoming_speak(port: int, text: str, streaming: bool) -> tuple[float, float]:
    """(whole seconds, seconds to the first audio-chunk)."""
    async with AsyncTcpClient("127.0.0.1", port) as c:
        started = time.perf_counter()
        if streaming:
            await c.write_event(SynthesizeStart().event())
            for i in range(0, len(text), 12):  # an LLM's tokens, roughly
                await c.write_event(SynthesizeChunk(text=text[i : i + 12]).event())
            await c.write_event(SynthesizeStop().event())
        else:
            await c.write_event(Synthesize(text=text).event())
        first = None
        end = "synthesize-stopped" if streaming else "audio-stop"
        while True:
            event = await c.read_event()
            assert event is not None and event.type != "error", event
            if first is None and AudioChunk.is_type(event.type):
                first = time.perf_counter() - started
            if event.type == end:
                assert first is not None
                return time.perf_counter() - started, first


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--pairs", type=int, default=5)
    p.add_argument("--models-dir", type=Path, default=default_models_dir())
    args = p.parse_args()
    port = free_port()
    verdicts = []
    with tempfile.TemporaryDirectory() as tmp:
        env = {"EARSHOT_TTS_NOISE_SCALE": "0", "EARSHOT_TTS_NOISE_W_SCALE": "0"}
        server = start_server(Path(tmp), args.models_dir, env=env, args=["--wyoming-port", str(port)])
        try:
            client = Client(server.base_url)
            clip, _ = short_clips()
            pcm = (clip.samples * 32767).astype("<i2").tobytes()
            result = alternate(f"transcription {clip.seconds:.1f} s: HTTP (A) vs Wyoming (B)",
                               lambda: client.transcribe(clip.wav, {"language": "en"}),
                               lambda: asyncio.run(wyoming_transcribe(port, pcm)), args.pairs)  # fmt: skip
            same = set(result.raw_out) == set(result.http_out) and len(set(result.raw_out)) == 1
            verdicts.append(("transcription, Wyoming vs HTTP", result.raw_median, result.http_median, 1.05))
            progress(f"same text over both: {same} ({result.http_out[0]!r})")
            voice = raw.load_piper(raw.model_path("piper-en_US-joe-medium", args.models_dir))
            for streaming in (False, True):
                label = "streamed synthesize-chunk" if streaming else "synthesize"
                result = alternate(f"speech, {label}: raw piper (A) vs Wyoming (B)",
                                   lambda: raw_speech(voice, SPEECH_TEXT, "pcm"),
                                   lambda s=streaming: asyncio.run(wyoming_speak(port, SPEECH_TEXT, s)),
                                   args.pairs)  # fmt: skip
                firsts = statistics.median(result.raw_out), statistics.median(result.http_out)
                # Streamed, the first sentence cannot start before its text (and the space after it) came:
                # informational, the target is the plain synthesize's.
                target = None if streaming else 1.1
                verdicts.append((f"{label}: first audio-chunk vs raw first sentence", *firsts, target))
                wholes = result.raw_median, result.http_median
                verdicts.append((f"{label}: whole vs raw synthesis", *wholes, None))
        finally:
            server.stop()
    print("\n| measurement | baseline (s) | Wyoming (s) | ratio | target |\n|---|---|---|---|---|")
    missed = 0
    for name, base, wy, target in verdicts:
        ok = "" if target is None else ("met" if wy / base <= target else "MISSED")
        missed += ok == "MISSED"
        goal = "-" if target is None else f"≤ {target}"
        print(f"| {name} | {base:.3f} | {wy:.3f} | {wy / base:.3f} | {goal} {ok} |")
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
