"""``earshot serve``: run the OpenAI-compatible server (every setting is a flag)."""

from __future__ import annotations

import argparse
import json
import logging
import os

from fastapi import FastAPI

from server.commands.options import add_setting_flags, settings_from_args
from server.settings import Settings

logger = logging.getLogger("earshot")

SETTINGS_ENV = "EARSHOT_SETTINGS_JSON"
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``serve`` with one flag per setting."""
    p = sub.add_parser(
        "serve",
        help="Run the OpenAI-compatible server.",
        description="Run the server. Every setting is a flag, an EARSHOT_ environment variable or a key "
        "of the --config TOML file; precedence: flag > environment > config file > default.",
    )
    add_setting_flags(p)
    p.set_defaults(handler=run)


def app_from_env() -> FastAPI:
    """uvicorn factory for ``--workers > 1``: build the app from the settings the parent serialised."""
    from server.app import create_app
    from server.logs import configure_logging

    settings = Settings(**json.loads(os.environ[SETTINGS_ENV]))
    configure_logging(settings.log_level, settings.log_format)
    return create_app(settings)


def serve(settings: Settings) -> int:
    """Start uvicorn with these settings."""
    import uvicorn

    from server.app import create_app
    from server.logs import configure_logging

    configure_logging(settings.log_level, settings.log_format)
    if settings.wyoming_port is not None and settings.workers > 1:
        logger.error("--wyoming-port needs --workers 1: one process owns the Wyoming port. Run a second "
                     "Earshot for Wyoming, or serve HTTP with one worker.")  # fmt: skip
        return 2
    where = "this machine only" if settings.host in LOCAL_HOSTS else "ALL listed interfaces"
    logger.info("Earshot listening on http://%s:%d (%s)", settings.host, settings.port, where)
    logger.info("settings: %s", settings.model_dump_json(exclude={"api_keys"}))
    if settings.workers > 1:
        os.environ[SETTINGS_ENV] = settings.model_dump_json(exclude_none=True)
        uvicorn.run(
            "server.commands.serve:app_from_env",
            factory=True,
            workers=settings.workers,
            host=settings.host,
            port=settings.port,
            log_config=None,
            timeout_graceful_shutdown=settings.shutdown_timeout_seconds,
        )
    else:
        from server.runner import run_single

        run_single(create_app(settings), settings)
    return 0


def run(args: argparse.Namespace) -> int:
    """Handler of ``earshot serve``."""
    return serve(settings_from_args(args))
