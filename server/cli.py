"""The ``earshot`` command line: ``earshot serve --host H --port P ...``."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Sequence

from pydantic import ValidationError

from engines.errors import EngineError
from server.settings import Settings

logger = logging.getLogger("earshot")

SETTINGS_ENV = "EARSHOT_SETTINGS_JSON"


def _serve_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("serve", help="Run the OpenAI-compatible server.")
    p.add_argument("--host", help="Bind address (default 127.0.0.1: this machine only).")
    p.add_argument("--port", type=int, help="TCP port (default 8000).")
    p.add_argument("--workers", type=int, help="Worker processes (default 1).")
    p.add_argument("--device", choices=["auto", "cpu", "cuda"], help="auto picks CUDA when a GPU is visible.")
    p.add_argument("--compute-type", help="CTranslate2 compute type (auto: float16 on CUDA, int8 on CPU).")
    p.add_argument("--cpu-threads", type=int, help="Threads per model (default cores // workers).")
    p.add_argument("--models-dir", help="Writable models directory (materialised and imported models).")
    p.add_argument("--extra-manifest", action="append", dest="extra_manifests", help="Extra manifest (repeatable).")
    p.add_argument("--preload", action="append", help="Model to load at start: id, alias, 'default' or 'all'.")
    p.add_argument("--idle-ttl-seconds", type=float, help="Unload models idle this long (default 900).")
    p.add_argument("--api-key", action="append", dest="api_keys", help="Accepted API key (repeatable).")
    p.add_argument("--api-keys-file", help="File with one API key per line.")
    p.add_argument("--max-upload-bytes", type=int, help="Largest accepted upload (default 25 MiB).")
    p.add_argument("--max-audio-seconds", type=float, help="Longest accepted decoded audio (default 7200).")
    p.add_argument("--log-level", choices=["debug", "info", "warning", "error"])


def settings_from_args(args: argparse.Namespace) -> Settings:
    """Environment (EARSHOT_*) overridden by the flags that were given."""
    skip = {"command"}
    overrides = {k: v for k, v in vars(args).items() if v is not None and k not in skip}
    return Settings(**overrides)


def app_from_env():  # noqa: ANN201 - uvicorn factory for --workers > 1
    """Build the app in a worker process from the settings the parent serialised."""
    from server.app import create_app
    from server.logs import configure_logging

    settings = Settings(**json.loads(os.environ[SETTINGS_ENV]))
    configure_logging(settings.log_level)
    return create_app(settings)


def serve(settings: Settings) -> int:
    """Start uvicorn with these settings."""
    import uvicorn

    from server.app import create_app
    from server.logs import configure_logging

    configure_logging(settings.log_level)
    where = "this machine only" if settings.host in ("127.0.0.1", "localhost", "::1") else "ALL listed interfaces"
    logger.info("Earshot listening on http://%s:%d (%s)", settings.host, settings.port, where)
    logger.info("settings: %s", settings.model_dump_json(exclude={"api_keys"}))
    common = dict(host=settings.host, port=settings.port, log_config=None,
                  timeout_graceful_shutdown=settings.shutdown_timeout_seconds)
    if settings.workers > 1:
        os.environ[SETTINGS_ENV] = settings.model_dump_json(exclude_none=True)
        uvicorn.run("server.cli:app_from_env", factory=True, workers=settings.workers, **common)
    else:
        from server.runner import run_single

        run_single(create_app(settings), settings)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``earshot`` console script."""
    parser = argparse.ArgumentParser(prog="earshot", description="Offline OpenAI-compatible audio server.")
    sub = parser.add_subparsers(dest="command", required=True)
    _serve_parser(sub)
    args = parser.parse_args(argv)
    try:
        settings = settings_from_args(args)
        if args.command == "serve":
            return serve(settings)
    except ValidationError as exc:
        print(f"earshot: invalid setting: {exc}", file=sys.stderr)
        return 2
    except EngineError as exc:
        print(f"earshot: {exc}", file=sys.stderr)
        return 1
    return 2


if __name__ == "__main__":
    sys.exit(main())
