"""The whole parity set: the server's text against raw faster-whisper's, word for word.

Starts the real server (its default settings, or ``--env KEY=VALUE`` overrides), sends every case of
``tests/support/parity.py`` through the official openai SDK, runs the same case on a plain
``WhisperModel`` in this process, and prints one row per case. Exit status 1 if any row differs.

    .venv/bin/python scripts/parity.py [--ci-only] [--json rows.json] [--env EARSHOT_BATCHED_MIN_SECONDS=...]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import openai  # noqa: E402

from engines.device import default_cpu_threads  # noqa: E402
from server.settings import Settings  # noqa: E402
from tests.support import parity  # noqa: E402
from tests.support.server import start_server  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ci-only", action="store_true", help="only the cases the test suite runs")
    parser.add_argument("--match", default="", help="only cases whose name contains this")
    parser.add_argument(
        "--skip", action="append", default=[], help="leave out cases whose name contains this"
    )
    parser.add_argument("--json", type=Path, help="write the rows (with both texts) here")
    parser.add_argument("--env", action="append", default=[], help="server setting override, KEY=VALUE")
    parser.add_argument("--models-dir", type=Path, default=None)
    args = parser.parse_args()

    env = dict(item.split("=", 1) for item in args.env)
    os.environ.update(env)  # the raw side reads the same settings
    settings = Settings()
    threads = settings.cpu_threads or default_cpu_threads(1)
    env.setdefault("EARSHOT_CPU_THREADS", str(threads))
    env.setdefault("EARSHOT_COMPUTE_TYPE", "int8")
    env.setdefault("EARSHOT_DEVICE", "cpu")
    selected = [
        c
        for c in parity.cases()
        if (c.ci or not args.ci_only) and args.match in c.name and not any(s in c.name for s in args.skip)
    ]
    print(f"{len(selected)} cases, {len({c.clip for c in selected})} clips", flush=True)

    with tempfile.TemporaryDirectory() as tmp:
        models_dir = args.models_dir or Path(tmp) / "models"
        paths = parity.model_paths(models_dir)
        raw = {m: parity.load_raw(p, threads) for m, p in paths.items()}
        server = start_server(Path(tmp), models_dir, env=env)
        try:
            client = openai.OpenAI(
                base_url=f"{server.base_url}/v1", api_key="unused", max_retries=0, timeout=900
            )
            rows = []
            for case in selected:
                started = time.perf_counter()
                row = parity.compare(client, raw, [case], settings)[0]
                rows.append(row)
                mark = {True: "equal", False: "DIFFERS", None: "sampled"}[row["equal"]]
                print(
                    f"{mark:8} {row['seconds']:5.1f} s  {case.name}  ({time.perf_counter() - started:.1f} s)",
                    flush=True,
                )
                if row["equal"] is not True:
                    print(f"    raw:    {row['raw']}\n    server: {row['server']}", flush=True)
        finally:
            server.stop()
    if args.json:
        args.json.write_text(parity.dumps(rows) + "\n", encoding="utf-8")
    differing = sum(r["equal"] is False for r in rows)
    sampled = sum(r["equal"] is None for r in rows)
    print(
        f"{len(rows) - differing - sampled}/{len(rows)} equal, {differing} differ, {sampled} sampled "
        "(a window fell back to temperature > 0: random in raw faster-whisper itself, not comparable)"
    )
    return 1 if differing else 0


if __name__ == "__main__":
    sys.exit(main())
