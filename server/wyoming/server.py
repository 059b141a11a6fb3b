"""The Wyoming listener on the server's own event loop: started and stopped by the app's lifespan."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from wyoming.info import Info
from wyoming.server import AsyncTcpServer

from server.core import Services
from server.metrics import Metrics
from server.settings import Settings
from server.wyoming.handler import EarshotHandler
from server.wyoming.info import build_info

logger = logging.getLogger(__name__)

STOP_GRACE_SECONDS = 5.0  # on shutdown, what a running transcription or synthesis gets to finish


class WyomingServer:
    """A TCP listener speaking Wyoming, sharing the services (registry, slots, metrics) with HTTP."""

    def __init__(self, settings: Settings, services: Services, metrics: Metrics | None,
                 ready: Callable[[], bool] = lambda: True) -> None:  # fmt: skip
        assert settings.wyoming_port is not None
        self.settings = settings
        self.services = services
        self.metrics = metrics
        self.ready = ready
        self.server = AsyncTcpServer(settings.host, settings.wyoming_port)
        self.handlers: set[EarshotHandler] = set()
        self._info: Info | None = None
        self._zeroconf: object | None = None

    async def info(self) -> Info:
        """The describe answer (from the manifest and the voices' files, off the loop; kept once ready)."""
        if self._info is not None:
            return self._info
        ready = self.ready()  # before start-up has materialised the voices, their languages may be unknown
        registry = self.services.transcriber.registry
        info = await asyncio.get_running_loop().run_in_executor(None, build_info, registry)
        if ready:
            self._info = info
        return info

    def _handler(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> EarshotHandler:
        self.handlers = {h for h in self.handlers if h.task is None or not h.task.done()}
        handler = EarshotHandler(reader, writer, self.services, self.settings, self.metrics, self.info)
        self.handlers.add(handler)
        return handler

    async def start(self) -> None:
        """Listen (a busy port fails here, at start-up) and announce over zeroconf if asked."""
        await self.server.start(self._handler)
        logger.info("Wyoming listening on tcp://%s:%d", self.settings.host, self.settings.wyoming_port)
        if self.settings.wyoming_zeroconf:
            self._zeroconf = await _announce(self.settings)

    async def stop(self) -> None:
        """Stop listening, let running work finish briefly, then cancel what is left."""
        await self.server.stop()  # closes the listener and every connection's writer
        tasks = [h.task for h in self.handlers if h.task is not None and not h.task.done()]
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=STOP_GRACE_SECONDS)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        if self._zeroconf is not None:
            await self._zeroconf._aiozc.async_close()  # type: ignore[attr-defined]
        logger.info("Wyoming stopped")


async def _announce(settings: Settings) -> object | None:
    """Register ``_wyoming._tcp`` over mDNS (the ``zeroconf`` package is optional)."""
    try:
        from wyoming.zeroconf import HomeAssistantZeroconf
    except ImportError:
        logger.warning("wyoming_zeroconf is on but the zeroconf package is missing: pip install zeroconf")
        return None
    host = None if settings.host in ("0.0.0.0", "::", "") else settings.host
    announcer = HomeAssistantZeroconf(port=settings.wyoming_port or 0, name="earshot", host=host)
    await announcer.register_server()
    logger.info("Wyoming announced over zeroconf as earshot._wyoming._tcp")
    return announcer

