"""Soak: 1,000 mixed requests from 8 concurrent clients against a real server on 127.0.0.1.

Passes when no request fails (429 ``rate_limit_exceeded`` with Retry-After is the one documented refusal
and is counted, not failed), the server's RSS grows < 10 % from the warmed-up baseline, and neither its
open file descriptors nor the files in its own TMPDIR grow. The mix: transcriptions (tiny.en and base,
json / verbose_json / SSE, one upload over Starlette's 1 MiB spool threshold), translations, speech in
every format and as SSE, clients that hang up mid-stream, malformed audio (400), unknown models (404),
model lists and probes. Loopback only; bounded by ``--requests`` and ``--max-seconds``.

    .venv/bin/python scripts/soak.py                    # starts its own server, prints the figures as JSON
    .venv/bin/python scripts/soak.py --requests 200     # a shorter run
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from server.settings import default_models_dir  # noqa: E402
from tests.support.probe import open_fds, rss_bytes, speech_wav, wait_for  # noqa: E402
from tests.support.server import RunningServer, start_server  # noqa: E402

BAD = REPO / "tests" / "data" / "bad"
SECOND = 16000 * 2  # bytes of 16 kHz s16 mono


@dataclass
class Tally:
    """Outcomes by request kind, shared by the client threads."""

    outcomes: Counter[tuple[str, str]] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    retry_after_missing: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, kind: str, outcome: str, failure: str | None = None) -> None:
        with self.lock:
            self.outcomes[(kind, outcome)] += 1
            if failure is not None:
                self.failures.append(f"{kind}: {failure}")


Request = Callable[[httpx.Client, str], httpx.Response | str]


def _clips() -> dict[str, bytes]:
    speech = speech_wav()
    return {
        "short": speech[: 44 + 3 * SECOND],
        "medium": speech[: 44 + 8 * SECOND],
        "big": speech_wav(2)[: 44 + 40 * SECOND],  # 1.28 MB: spooled to a temp file by the form parser
    }


def _requests(clips: dict[str, bytes]) -> dict[str, tuple[int, Request, set[int]]]:
    """kind -> (weight, call, expected statuses)."""

    def stt(model: str, clip: str, fmt: str = "json", task: str = "transcriptions") -> Request:
        return lambda c, u: c.post(
            f"{u}/v1/audio/{task}",
            files={"file": ("a.wav", clips[clip])},
            data={"model": model, "response_format": fmt},
        )

    def stt_stream(c: httpx.Client, u: str) -> httpx.Response:
        return c.post(
            f"{u}/v1/audio/transcriptions",
            files={"file": ("a.wav", clips["short"])},
            data={"model": "whisper-tiny.en", "stream": "true"},
        )

    def tts(fmt: str, stream_format: str = "audio") -> Request:
        text = random.choice(
            [
                "Hello from the soak test.",
                "The quick brown fox jumps over the lazy dog.",
                "Numbers like 42 and dates like 2026 are spoken too.",
            ]
        )
        body = {
            "model": "tts-1",
            "voice": "alloy",
            "input": text,
            "response_format": fmt,
            "stream_format": stream_format,
        }
        return lambda c, u: c.post(f"{u}/v1/audio/speech", json=body)

    def hang_up(c: httpx.Client, u: str) -> str:
        body = {
            "model": "tts-1",
            "voice": "nova",
            "input": "This sentence is cut off. " * 20,
            "response_format": "pcm",
        }
        with c.stream("POST", f"{u}/v1/audio/speech", json=body) as response:
            if response.status_code != 200:
                return str(response.status_code)
            next(response.iter_bytes())
        return "hung up"

    def bad_audio(c: httpx.Client, u: str) -> httpx.Response:
        name = random.choice(["random.mp3", "zero-bytes.wav", "text-named.mp3", "truncated.ogg"])
        return c.post(
            f"{u}/v1/audio/transcriptions",
            files={"file": (name, (BAD / name).read_bytes())},
            data={"model": "whisper-tiny.en"},
        )

    ok, busy = {200}, {200, 429}
    unknown = {"model": "nope", "voice": "alloy", "input": "x"}
    return {
        "transcribe tiny.en json": (14, stt("whisper-tiny.en", "short"), busy),
        "transcribe tiny.en srt": (4, stt("whisper-tiny.en", "short", "srt"), busy),
        "transcribe base verbose_json": (5, stt("whisper-1", "medium", "verbose_json"), busy),
        "transcribe tiny.en stream": (5, stt_stream, busy),
        "transcribe big upload": (2, stt("whisper-tiny.en", "big", "text"), busy),
        "translate base": (3, stt("whisper-1", "short", "json", "translations"), busy),
        "speech mp3": (6, tts("mp3"), busy),
        "speech wav": (4, tts("wav"), busy),
        "speech opus": (3, tts("opus"), busy),
        "speech aac": (2, tts("aac"), busy),
        "speech flac": (2, tts("flac"), busy),
        "speech pcm": (2, tts("pcm"), busy),
        "speech sse": (4, tts("mp3", "sse"), busy),
        "speech hang-up": (5, hang_up, {200, 429}),
        "malformed audio": (8, bad_audio, {400, 429}),
        "unknown model": (4, lambda c, u: c.post(f"{u}/v1/audio/speech", json=unknown), {404}),
        "list models": (8, lambda c, u: c.get(f"{u}/v1/models"), ok),
        "voices": (3, lambda c, u: c.get(f"{u}/v1/audio/voices"), ok),
        "health": (6, lambda c, u: c.get(f"{u}/health"), ok),
        "ready": (4, lambda c, u: c.get(f"{u}/ready"), ok),
    }


def temp_files(tmpdir: Path) -> int:
    """Files (any depth) in the server's own TMPDIR."""
    return sum(1 for p in tmpdir.rglob("*") if not p.is_dir())


def _one(
    client: httpx.Client, base_url: str, kind: str, call: Request, expected: set[int], tally: Tally
) -> None:
    try:
        result = call(client, base_url)
    except httpx.HTTPError as exc:
        tally.add(kind, "error", f"{type(exc).__name__}: {exc}")
        return
    if isinstance(result, str):
        ok = result == "hung up" or (result.isdigit() and int(result) in expected)
        tally.add(kind, result, None if ok else f"status {result}")
        return
    status = result.status_code
    failure = None if status in expected else f"status {status}: {result.text[:200]}"
    if status == 429 and not result.headers.get("retry-after"):
        failure = "429 without Retry-After"
    tally.add(kind, str(status), failure)


def run(
    server: RunningServer,
    tmpdir: Path,
    total: int,
    clients: int,
    max_seconds: float,
    seed: int,
    checkpoints: int = 5,
    warmup: int = 200,
) -> dict:
    """Warm up, take the baseline, run the mix, settle, compare."""
    random.seed(seed)
    table = _requests(_clips())
    kinds = list(table)
    weights = [table[k][0] for k in kinds]
    pid = server.process.pid
    warm = Tally()

    def warm_up(kind: str) -> None:
        with httpx.Client(timeout=300) as client:
            _one(client, server.base_url, kind, table[kind][1], table[kind][2], warm)

    # Every path three times, then ``warmup`` requests of the mix, as concurrently as the run itself:
    # models loaded, thread pools, allocator arenas and onnxruntime/CTranslate2 buffers at their working
    # size, so the baseline is the steady state (measured: RSS climbs ~15 % over the first ~200 mixed
    # requests after start, then stays within ~2 %; rss_series shows the shape of each run).
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(warm_up, kinds * 3 + random.choices(kinds, weights, k=warmup)))
    settle(server)
    before = {"rss_mib": rss_bytes(pid) / 2**20, "fds": open_fds(pid), "temp_files": temp_files(tmpdir)}

    plan = random.choices(kinds, weights, k=total)
    tally = Tally()
    peak = {"rss_mib": before["rss_mib"], "fds": before["fds"], "temp_files": before["temp_files"]}
    deadline = time.monotonic() + max_seconds
    started = time.perf_counter()
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.5):
            peak["rss_mib"] = max(peak["rss_mib"], rss_bytes(pid) / 2**20)
            peak["fds"] = max(peak["fds"], open_fds(pid))
            peak["temp_files"] = max(peak["temp_files"], temp_files(tmpdir))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    local = threading.local()
    opened: list[httpx.Client] = []

    def worker(kind: str) -> None:
        if time.monotonic() > deadline:
            tally.add(kind, "not sent (time limit)")
            return
        if not hasattr(local, "client"):
            local.client = httpx.Client(timeout=300)  # one keep-alive connection per client thread
            opened.append(local.client)
        _one(local.client, server.base_url, kind, table[kind][1], table[kind][2], tally)

    series: list[dict[str, float]] = []  # RSS after each settled stretch: a leak climbs, a plateau levels off
    step = max(1, total // checkpoints)
    with ThreadPoolExecutor(clients) as pool:
        for start in range(0, total, step):
            list(pool.map(worker, plan[start : start + step]))
            settle(server)
            series.append({"requests": min(total, start + step), "rss_mib": round(rss_bytes(pid) / 2**20, 1)})
    elapsed = time.perf_counter() - started
    for client in opened:  # hang up, so the server's sockets for them close before counting its fds
        client.close()
    done.set()
    settle(server)
    after = {"rss_mib": rss_bytes(pid) / 2**20, "fds": open_fds(pid), "temp_files": temp_files(tmpdir)}
    sent = sum(n for (_, outcome), n in tally.outcomes.items() if outcome != "not sent (time limit)")
    by_kind: dict[str, dict[str, int]] = {}
    for (kind, outcome), n in sorted(tally.outcomes.items()):
        by_kind.setdefault(kind, {})[outcome] = n
    rss_growth = (after["rss_mib"] - before["rss_mib"]) / before["rss_mib"]
    return {
        "requests_planned": total,
        "warm_up_requests": len(kinds) * 3 + warmup,
        "requests_sent": sent,
        "clients": clients,
        "seconds": round(elapsed, 1),
        "rate_limited_429": sum(n for (_, o), n in tally.outcomes.items() if o == "429"),
        "failures": len(tally.failures),
        "failure_examples": tally.failures[:10],
        "warm_up_failures": warm.failures[:10],
        "before": before,
        "peak": peak,
        "after": after,
        "rss_growth_percent": round(100 * rss_growth, 2),
        "rss_series": series,
        "by_kind": by_kind,
        "passed": (
            not tally.failures
            and not warm.failures
            and sent == total
            and rss_growth < 0.10
            and after["fds"] <= before["fds"]
            and after["temp_files"] <= before["temp_files"]
        ),
    }


def settle(server: RunningServer) -> None:
    """Wait until nothing runs or waits on any model (engine threads finished), then a moment more."""

    def idle() -> bool:
        text = httpx.get(f"{server.base_url}/metrics", timeout=10).text
        busy = [
            line
            for line in text.splitlines()
            if line.startswith(("earshot_queue_running{", "earshot_queue_waiting{", "earshot_model_leases{"))
            and not line.endswith(" 0.0")
        ]
        return not busy

    wait_for(idle, 120, 0.5)
    time.sleep(5)  # the server trims freed memory within ~2 s of going idle (server/housekeeping.py)


def main() -> int:
    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=formatter)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--max-seconds", type=float, default=1800, help="send nothing new after this")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--checkpoints", type=int, default=5, help="settle and sample RSS this many times")
    parser.add_argument("--warmup", type=int, default=200, help="mixed requests before the baseline")
    parser.add_argument("--models-dir", type=Path, default=default_models_dir())
    parser.add_argument("--out", type=Path, help="also write the figures here (JSON)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="earshot-soak-") as work:
        tmpdir = Path(work) / "tmp"
        tmpdir.mkdir()
        env = {"TMPDIR": str(tmpdir), "EARSHOT_PRELOAD": "all", "EARSHOT_LOG_LEVEL": "warning"}
        server = start_server(Path(work), args.models_dir, env=env)
        try:
            figures = run(
                server,
                tmpdir,
                args.requests,
                args.clients,
                args.max_seconds,
                args.seed,
                args.checkpoints,
                args.warmup,
            )
        finally:
            figures_exit = server.stop()
        figures["server_exit_code"] = figures_exit
        figures["passed"] = figures["passed"] and figures_exit == 0
    text = json.dumps(figures, indent=2)
    print(text)
    if args.out is not None:
        args.out.write_text(text + "\n")
    return 0 if figures["passed"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
