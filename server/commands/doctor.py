"""``earshot doctor``: a loopback self-test over the OpenAI HTTP API.

Starts a server on a free 127.0.0.1 port with the same settings (or uses ``--url``), synthesises a
sentence with every TTS model (``/v1/audio/speech``), transcribes each result with every STT model
(``/v1/audio/transcriptions``), and prints WER, real-time factors, device and versions. Exit 1 on failure.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import metadata

from server.commands.http import Client, HTTPFailure
from server.commands.options import add_setting_flags, settings_from_args
from server.commands.wer import wer
from server.settings import Settings
from server.settings_check import unknown_variable_warnings

SENTENCE = "The quick brown fox jumps over the lazy dog. This sentence was spoken and written down here."
PACKAGES = (
    "earshot",
    "faster-whisper",
    "ctranslate2",
    "piper-tts",
    "onnxruntime",
    "av",
    "fastapi",
    "uvicorn",
)


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``doctor`` (it accepts every server setting, for the server it starts)."""
    p = sub.add_parser(
        "doctor", help="Loopback self-test: speak, transcribe, report WER, RTF, device, versions."
    )
    p.add_argument(
        "--url", help="Test this running server instead of starting one (e.g. http://127.0.0.1:8000)."
    )
    p.add_argument("--text", default=SENTENCE, help="The sentence to speak and transcribe.")
    p.add_argument("--max-wer", type=float, default=0.5, help="Fail when a WER is above this (default 0.5).")
    p.add_argument("--timeout", type=float, default=300.0, help="Seconds to wait for the server to be ready.")
    add_setting_flags(p)
    p.set_defaults(handler=run)


@dataclass(frozen=True)
class Spoken:
    """One synthesised sentence."""

    model: str
    voice: str
    audio: bytes
    seconds: float
    elapsed: float


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _child_env(settings: Settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EARSHOT_")}
    for name, value in settings.model_dump(
        exclude_none=True, exclude={"host", "port", "workers", "config"}
    ).items():
        env[f"EARSHOT_{name.upper()}"] = ",".join(map(str, value)) if isinstance(value, list) else str(value)
    if not settings.preload:
        env["EARSHOT_PRELOAD"] = "all"  # load before timing, so RTF is not load time
    env["EARSHOT_LOG_LEVEL"] = "warning"
    return env


@contextmanager
def local_server(settings: Settings, timeout: float) -> Iterator[str]:
    """``earshot serve`` on a free loopback port; yields its base URL once /ready says 200."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    cmd = [
        sys.executable,
        "-m",
        "server",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "1",
    ]
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(cmd, env=_child_env(settings), stdout=log, stderr=subprocess.STDOUT)
        try:
            probe = Client(url, None, timeout=2)
            deadline = time.monotonic() + timeout
            while True:
                if process.poll() is not None:
                    log.seek(0)
                    raise HTTPFailure(
                        f"the server exited with {process.returncode}:\n{log.read().decode()[-3000:]}"
                    )
                try:
                    probe.get_json("/ready")
                    break
                except HTTPFailure:
                    if time.monotonic() > deadline:
                        raise HTTPFailure(f"the server was not ready after {timeout:.0f} s") from None
                    time.sleep(0.25)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _duration(audio: bytes) -> float:
    import soundfile

    info = soundfile.info(io.BytesIO(audio))
    return info.frames / info.samplerate


def speak(client: Client, model: str, voice: str, text: str) -> Spoken:
    """POST /v1/audio/speech (wav) and time it."""
    started = time.perf_counter()
    payload = {"model": model, "voice": voice, "input": text, "response_format": "wav"}
    audio = client.post_json("/v1/audio/speech", payload)
    elapsed = time.perf_counter() - started
    return Spoken(model, voice, audio, _duration(audio), elapsed)


def transcribe(client: Client, model: str, spoken: Spoken) -> tuple[str, float]:
    """POST /v1/audio/transcriptions; returns (text, seconds taken)."""
    started = time.perf_counter()
    body = client.post_form(
        "/v1/audio/transcriptions", {"model": model, "response_format": "json"}, "doctor.wav", spoken.audio
    )
    return json.loads(body)["text"], time.perf_counter() - started


def versions() -> str:
    """Installed versions of Earshot and its engines."""
    found = []
    for name in PACKAGES:
        try:
            found.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            found.append(f"{name} (not installed)")
    return f"python {platform.python_version()}, " + ", ".join(found)


def check(client: Client, text: str, max_wer: float, out: io.TextIOBase) -> int:
    """Speak with every TTS model, transcribe with every STT model; print a report; 0 when all pass."""
    listing = client.get_json("/v1/models")["data"]
    models = [m for m in listing if m.get("root", m["id"]) == m["id"]]
    tts = [m for m in models if m.get("kind") == "tts"]
    stt = [m for m in models if m.get("kind") == "stt"]
    failures = 0
    if not tts or not stt:
        print(
            f"FAIL  need at least one TTS and one STT model (have {len(tts)} TTS, {len(stt)} STT)", file=out
        )
        return 1
    for t in tts:
        voice = (t.get("voices") or [t["id"]])[0]
        try:
            spoken = speak(client, t["id"], voice, text)
        except (HTTPFailure, RuntimeError, ValueError) as exc:
            print(f"FAIL  speech {t['id']} ({voice}): {exc}", file=out)
            failures += 1
            continue
        rtf = spoken.elapsed / spoken.seconds if spoken.seconds else float("inf")
        print(f"ok    speech {t['id']} ({voice}): {spoken.seconds:.2f} s of audio, RTF {rtf:.3f}", file=out)
        for s in stt:
            try:
                heard, elapsed = transcribe(client, s["id"], spoken)
            except (HTTPFailure, KeyError, ValueError) as exc:
                print(f"FAIL  transcription {s['id']}: {exc}", file=out)
                failures += 1
                continue
            score = wer(text, heard)
            verdict = "ok  " if score <= max_wer else "FAIL"
            failures += score > max_wer
            print(
                f"{verdict}  transcription {s['id']} of {t['id']}: WER {score:.3f}, "
                f"RTF {elapsed / spoken.seconds:.3f}, heard {heard.strip()!r}",
                file=out,
            )
    return 1 if failures else 0


def _device(settings: Settings, client: Client, remote: bool) -> str:
    if remote:
        ready = client.get_json("/ready")
        return str(ready.get("device", "unknown (remote server)"))
    runtime = settings.runtime()
    return f"{runtime.device} ({runtime.compute_type}, {runtime.cpu_threads} threads)"


def run(args: argparse.Namespace) -> int:
    """Handler of ``earshot doctor``."""
    settings = settings_from_args(args)
    for line in unknown_variable_warnings(os.environ):
        print(f"earshot: warning: {line}", file=sys.stderr)
    out = sys.stdout
    print(f"versions: {versions()}", file=out)
    keys = settings.all_api_keys()  # --api-key / EARSHOT_API_KEYS: the key for --url, or the test server's
    try:
        if args.url:
            client = Client(args.url, keys[0] if keys else None)
            print(f"server: {args.url}; device: {_device(settings, client, True)}", file=out)
            return check(client, args.text, args.max_wer, out)
        with local_server(settings, args.timeout) as url:
            client = Client(url, keys[0] if keys else None)
            print(
                f"server: {url} (started for this test); device: {_device(settings, client, False)}", file=out
            )
            return check(client, args.text, args.max_wer, out)
    except HTTPFailure as exc:
        print(f"FAIL  {exc}", file=out)
        return 1
