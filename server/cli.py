"""The ``earshot`` command line: ``serve``, ``models list|import|verify|pull``, ``doctor``, ``bench``.

Each subcommand lives in its own module under :mod:`server.commands` and registers a ``handler``.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from importlib import metadata

from pydantic import ValidationError

from engines.errors import EngineError
from server.commands import bench, doctor, models, serve
from server.commands.options import given_settings
from server.configfile import ConfigFileError
from server.runner import ListenError
from server.settings import Settings
from server.settings_check import settings_error_lines

BROKEN_PIPE_STATUS = 128 + 13  # 141: what a shell reports for a process killed by SIGPIPE


def version() -> str:
    """The installed package's version (its metadata), or a note when the package is not installed."""
    try:
        return metadata.version("earshot")
    except metadata.PackageNotFoundError:
        return "unknown (not installed: pip install -e . in the checkout)"


def build_parser() -> argparse.ArgumentParser:
    """The parser with every subcommand."""
    parser = argparse.ArgumentParser(prog="earshot", description="Offline OpenAI-compatible audio server.")
    parser.add_argument("--version", action="version", version=f"earshot {version()}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in (serve, models, doctor, bench):
        module.register(sub)
    return parser


def run(argv: list[str]) -> int:
    """Parse ``argv`` and run the subcommand; known failures become one ``earshot: ...`` line."""
    if argv[:1] == ["bench"]:  # everything after `bench` belongs to the script, --help included
        return bench.run_script(argv[1:])
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args))
    except ValidationError as exc:
        if exc.title != Settings.__name__:
            raise
        for line in settings_error_lines(exc, given_settings(args), os.environ):
            print(f"earshot: {line}", file=sys.stderr)
        return 2
    except ConfigFileError as exc:
        print(f"earshot: {exc}", file=sys.stderr)
        return 2
    except ListenError as exc:
        print(f"earshot: {exc}", file=sys.stderr)
        return 1
    except EngineError as exc:
        print(f"earshot: {exc}", file=sys.stderr)
        return 1


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``earshot`` console script.

    Output piped into a reader that stops early (``earshot models list | head -n 1``) ends quietly with
    exit status 141 (as if killed by SIGPIPE), the way the Python docs recommend: stdout is pointed at
    devnull so the interpreter's final flush cannot fail again.
    """
    try:
        try:
            return run(list(sys.argv[1:] if argv is None else argv))
        finally:
            sys.stdout.flush()  # argparse's --help exits through here too
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return BROKEN_PIPE_STATUS


if __name__ == "__main__":
    sys.exit(main())
