"""``earshot serve``: run the OpenAI-compatible server (every setting is a flag)."""

from __future__ import annotations

import argparse
import json
import logging
import os

from fastapi import FastAPI

from server.commands.options import add_setting_flags, settings_from_args
from server.settings import Settings
from server.settings_check import is_loopback, open_server_warning, unknown_variable_warnings

logger = logging.getLogger("earshot")

SETTINGS_ENV = "EARSHOT_SETTINGS_JSON"


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
    from server.runner import WS_MAX_SIZE, bind_listen_socket, host_port, run_single

    configure_logging(settings.log_level, settings.log_format)
    if settings.wyoming_port is not None and settings.workers > 1:
        logger.error("--wyoming-port needs --workers 1: one process owns the Wyoming port. Run a second "
                     "Earshot for Wyoming, or serve HTTP with one worker.")  # fmt: skip
        return 2
    for line in unknown_variable_warnings(os.environ):
        logger.warning("%s", line)
    sock = bind_listen_socket(settings.host, settings.port)  # a busy port fails here, before any model loads
    port = sock.getsockname()[1] if settings.workers == 1 else settings.port  # --port 0: the one picked
    where = "this machine only" if is_loopback(settings.host) else "ALL listed interfaces"
    logger.info("Earshot listening on http://%s (%s)", host_port(settings.host, port), where)
    warning = open_server_warning(settings, port)
    if warning:
        logger.warning("%s", warning)
    if settings.wyoming_port is not None and not is_loopback(settings.host):
        logger.warning("Wyoming on port %d has no authentication (API keys guard only HTTP): anyone who can "
                       "reach it can use the models", settings.wyoming_port)  # fmt: skip
    logger.info("settings: %s", settings.model_dump_json(exclude={"api_keys"}))
    if settings.workers > 1:
        sock.close()  # uvicorn's supervisor binds its own shared socket for the workers
        os.environ[SETTINGS_ENV] = settings.model_dump_json(exclude_none=True)
        uvicorn.run(
            "server.commands.serve:app_from_env",
            factory=True,
            workers=settings.workers,
            host=settings.host,
            port=settings.port,
            log_config=None,
            timeout_graceful_shutdown=settings.shutdown_timeout_seconds,
            ws_max_size=WS_MAX_SIZE,
        )
    else:
        run_single(create_app(settings), settings, sock)
    return 0


def run(args: argparse.Namespace) -> int:
    """Handler of ``earshot serve``."""
    return serve(settings_from_args(args))
