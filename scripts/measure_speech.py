"""Time to first byte vs whole-request time for POST /v1/audio/speech, and the real-time factor.

Usage: python scripts/measure_speech.py [--base-url URL] [--runs 3] [--formats mp3,pcm]

Without --base-url it starts a local server (python -m server serve on a free port), warms the voice
up with one request, then streams a 10-sentence input once per run and format with a raw httpx client:
TTFB is the time until the first body byte arrives, total the time until the last one; RTF is total
over the duration of the audio (decoded with PyAV; pcm counted as 24 kHz s16le mono). For a server it
started, it also reports CPU-RTF: the server's CPU seconds (all threads) over the audio duration, which
a busy machine distorts far less than wall-clock times.
"""

from __future__ import annotations

import argparse
import io
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import av
import httpx

TEXT = (
    "The museum opens at nine in the morning. Visitors can buy their tickets at the front desk. "
    "The garden behind the building is full of roses. Children love the old steam train in the main hall. "
    "Guides lead a tour every hour until the afternoon. The café on the top floor serves soup and bread. "
    "Photographs are allowed in most of the rooms. The shop sells books, maps and postcards. "
    "Please remember to take your coat when you leave. We hope to see you again soon."
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start_server() -> tuple[str, subprocess.Popen]:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("EARSHOT_")}
    env["EARSHOT_MODELS_DIR"] = os.environ.get(
        "EARSHOT_MODELS_DIR", tempfile.mkdtemp(prefix="earshot-models-")
    )
    log = open(Path(tempfile.gettempdir()) / f"measure-speech-{port}.log", "wb")  # noqa: SIM115
    cmd = [sys.executable, "-m", "server", "serve", "--host", "127.0.0.1", "--port", str(port)]
    process = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server exited with {process.returncode}; see {log.name}")
        try:
            if httpx.get(f"{base_url}/ready", timeout=2).status_code == 200:
                return base_url, process
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    process.terminate()
    raise SystemExit("server not ready after 180 s")


def _seconds(data: bytes, fmt: str) -> float:
    if fmt == "pcm":
        return len(data) / 48000
    with av.open(io.BytesIO(data)) as container:
        frames = list(container.decode(audio=0))
    return sum(f.samples for f in frames) / frames[0].sample_rate


def _cpu_seconds(pid: int | None) -> float:
    """user + system CPU time of a process (Linux /proc), or NaN."""
    if pid is None:
        return float("nan")
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(
    base_url: str, fmt: str, api_key: str, pid: int | None = None
) -> tuple[float, float, float, float]:
    """(TTFB, total, audio seconds, server CPU seconds) for one streamed request."""
    cpu = _cpu_seconds(pid)
    body = {"model": "tts-1", "input": TEXT, "voice": "alloy", "response_format": fmt}
    headers = {"Authorization": f"Bearer {api_key}"}
    started = time.perf_counter()
    first: float | None = None
    parts: list[bytes] = []
    with httpx.stream("POST", f"{base_url}/v1/audio/speech", json=body, headers=headers, timeout=600) as r:
        r.raise_for_status()
        for chunk in r.iter_raw():
            if first is None:
                first = time.perf_counter() - started
            parts.append(chunk)
    total = time.perf_counter() - started
    return first or total, total, _seconds(b"".join(parts), fmt), _cpu_seconds(pid) - cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", help="An Earshot server to measure (default: start one).")
    parser.add_argument("--api-key", default=os.environ.get("OPENAI_API_KEY", "sk-unused"))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--formats", default="mp3,pcm")
    args = parser.parse_args()
    process = None
    base_url = args.base_url
    if base_url is None:
        base_url, process = _start_server()
    try:
        pid = process.pid if process is not None else None
        measure(base_url, "pcm", args.api_key)  # load the voice
        print(f"input: 10 sentences, {len(TEXT)} characters; {args.runs} run(s) per format; medians")
        header = ("format", "TTFB s", "total s", "audio s", "RTF", "CPU-RTF", "TTFB/total")
        print(f"{header[0]:<8}" + "".join(f"{h:>11}" for h in header[1:]))
        for fmt in args.formats.split(","):
            runs = [measure(base_url, fmt, args.api_key, pid) for _ in range(args.runs)]
            ttfb, total, audio, cpu = (statistics.median(r[i] for r in runs) for i in range(4))
            row = (ttfb, total, audio, total / audio, cpu / audio, ttfb / total)
            print(f"{fmt:<8}" + "".join(f"{v:>11.3f}" for v in row))
    finally:
        if process is not None:
            process.terminate()
            process.wait(30)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
