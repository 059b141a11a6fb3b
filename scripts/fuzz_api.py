"""Long Schemathesis run against the server's own OpenAPI schema (≥ 1,000 cases): no 5xx, OpenAI errors.

Starts its own server on 127.0.0.1 (a free port, its own TMPDIR) unless ``--base-url`` points at one,
fuzzes every operation of ``/openapi.json`` with schema-valid and schema-violating inputs, prints the
figures and exits 1 on any failure. ``tests/api/test_fuzz_api.py`` runs the same code, a few cases each.

    .venv/bin/python scripts/fuzz_api.py                       # ≥ 1,000 cases, own server
    .venv/bin/python scripts/fuzz_api.py --min-cases 3000 --seed 7
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from server.settings import default_models_dir  # noqa: E402
from tests.support.fuzz import FuzzReport, fuzz, operations  # noqa: E402
from tests.support.probe import speech_wav  # noqa: E402
from tests.support.server import start_server  # noqa: E402


def main() -> int:
    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=formatter)
    parser.add_argument("--base-url", help="fuzz this server instead of starting one")
    parser.add_argument("--api-key", help="bearer key for --base-url")
    parser.add_argument("--min-cases", type=int, default=1000, help="at least this many cases in all")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--models-dir", type=Path, default=default_models_dir(), help="for its server")
    parser.add_argument("--max-rounds", type=int, default=10, help="stop after this many rounds in any case")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="earshot-fuzz-") as tmp:
        server = None
        base_url = args.base_url
        if base_url is None:
            work = Path(tmp)
            (work / "tmp").mkdir()
            env = {"TMPDIR": str(work / "tmp"), "EARSHOT_MAX_QUEUE": "64"}
            server = start_server(work, args.models_dir, env=env)
            base_url = server.base_url
        try:
            ops = operations(base_url)
            per_op = max(10, math.ceil(args.min_cases / (2 * len(ops))))  # two generation modes each
            print(f"fuzzing {len(ops)} operations at {base_url}: {per_op} cases per operation and mode")
            report = FuzzReport()
            clip = speech_wav()[: 44 + 16000 * 2 * 2]  # two seconds of real speech
            for round_ in range(args.max_rounds):  # small operations run out of distinct cases: more rounds
                fuzz(
                    base_url, per_op, seed=args.seed + round_, api_key=args.api_key, report=report, audio=clip
                )
                print(f"round {round_ + 1}: {report.total} cases so far, {len(report.failures)} failures")
                if report.total >= args.min_cases:
                    break
            print(report.summary())
        finally:
            if server is not None:
                code = server.stop()
                print(f"server exit code {code}")
    if report.total < args.min_cases:
        print(f"only {report.total} cases (wanted {args.min_cases}): raise --max-rounds", file=sys.stderr)
        return 1
    return 1 if report.failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
