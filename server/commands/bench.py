"""``earshot bench [ARGS...]``: run the benchmark script (``scripts/bench.py``) with these arguments."""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

BENCH_ENV = "EARSHOT_BENCH_SCRIPT"
# The modules of the `bench` extra in pyproject.toml (tests/cli/test_bench_cli.py keeps the two in step).
BENCH_MODULES = ("httpx", "matplotlib")
INSTALL_HINT = "pip install 'earshot[bench]'"
DESCRIPTION = (
    f"Runs scripts/bench.py from the source checkout (or the file named by {BENCH_ENV}) with this Python; "
    f"`earshot bench --help` shows the script's own options. Needs the bench extra ({INSTALL_HINT}; "
    "from a checkout: pip install -e '.[bench]')."
)


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``bench``; every argument after it goes to the script."""
    p = sub.add_parser(
        "bench",
        help="Run the benchmark script (scripts/bench.py); arguments are passed through.",
        description=DESCRIPTION,
    )
    p.add_argument("script_args", nargs=argparse.REMAINDER, metavar="ARGS")
    p.set_defaults(handler=run)


def script_path() -> Path:
    """``$EARSHOT_BENCH_SCRIPT``, else ``scripts/bench.py`` of the checkout this package runs from."""
    override = os.environ.get(BENCH_ENV)
    if override:
        return Path(override)
    return Path(__file__).resolve().parents[2] / "scripts" / "bench.py"


def missing_modules() -> list[str]:
    """The bench extra's modules this Python cannot import."""
    return [name for name in BENCH_MODULES if importlib.util.find_spec(name) is None]


def run_script(script_args: list[str]) -> int:
    """Run the script with these arguments; 2 with a clear message when it or the bench extra is absent."""
    script = script_path()
    if not script.is_file():
        print(
            f"earshot: the benchmark script {script} is not there. It ships in the source checkout "
            f"(scripts/bench.py), not in a wheel install: run earshot from a checkout or set {BENCH_ENV}.",
            file=sys.stderr,
        )
        return 2
    passthrough = script_args[1:] if script_args[:1] == ["--"] else script_args
    # A script named by EARSHOT_BENCH_SCRIPT is the user's own: its requirements are its business.
    missing = [] if os.environ.get(BENCH_ENV) else missing_modules()
    if missing:
        if {"-h", "--help"} & set(passthrough):
            print(f"usage: earshot bench [ARGS ...]\n\n{DESCRIPTION}")
        print(
            f"earshot: `earshot bench` needs the bench extra ({', '.join(missing)} not installed): "
            f"{INSTALL_HINT}",
            file=sys.stderr,
        )
        return 2
    return subprocess.call([sys.executable, str(script), *passthrough])


def run(args: argparse.Namespace) -> int:
    """Handler of ``earshot bench`` when reached through the parser."""
    return run_script(args.script_args)
