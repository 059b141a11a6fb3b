"""AccessMiddleware: per-request metrics and the one-line access log (pure ASGI, so streams pass through).

Sits just inside RequestContextMiddleware, so every line carries the request id and rejected requests
(401, 413, 429) are counted too. Requests are labelled by route template (``/v1/models/{model}``), never
by raw path, so label sets stay bounded.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server.metrics import Metrics

access_logger = logging.getLogger("earshot.access")

UNMATCHED = "unmatched"
CLIENT_CLOSED = 499  # nginx's "client closed request": the client left before any response
QUIET_PATHS = frozenset({"/health", "/ready", "/metrics"})  # probes and scrapes: logged at DEBUG
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


@dataclass(frozen=True)
class _Template:
    regex: re.Pattern[str]
    path: str
    methods: frozenset[str] | None


def route_table(app: Any) -> list[_Template]:
    """Every route of the app as (regex, template, methods), included routers flattened."""
    try:
        from fastapi.routing import iter_route_contexts  # FastAPI that keeps included routers nested

        contexts = iter_route_contexts(app.routes)
        entries = [(c.path, getattr(c.original_route, "methods", None)) for c in contexts]
    except ImportError:  # older FastAPI: include_router copies the routes, the list is flat
        entries = [(getattr(r, "path", None), getattr(r, "methods", None)) for r in app.routes]
    table = []
    for path, methods in entries:
        if path:
            regex, template, _ = compile_path(path)
            table.append(_Template(regex, template, frozenset(methods) if methods else None))
    return table


def route_template(scope: Scope, table: Sequence[_Template] = ()) -> str:
    """The matched route's path template, or ``unmatched``.

    Requests answered before routing (401 from auth, 413 from the body limit) are matched in ``table``.
    """
    route = scope.get("route")
    path = getattr(route, "path_format", None) or getattr(route, "path", None)
    if isinstance(path, str) and path:
        return path
    method = scope.get("method", "GET")
    found = [t for t in table if t.regex.match(scope.get("path", ""))]
    best = next((t for t in found if t.methods is None or method in t.methods), found[0] if found else None)
    return best.path if best else UNMATCHED


class AccessMiddleware:
    """Times each HTTP request, feeds :class:`Metrics` and writes one access-log line."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics
        self._table: list[_Template] | None = None  # built on the first request, when every route exists

    def _template(self, scope: Scope) -> str:
        if scope.get("route") is None and self._table is None and scope.get("app") is not None:
            self._table = route_table(scope["app"])
        return route_template(scope, self._table or ())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        method = scope.get("method", "GET")
        method_label = method if method in _METHODS else "other"
        status = 500
        responded = False
        sent_bytes = 0
        failed = False

        with self.metrics.request_scope() as labels:

            async def observing_send(message: Message) -> None:
                nonlocal status, sent_bytes, responded
                if message["type"] == "http.response.start":
                    status, responded = int(message["status"]), True
                    self.metrics.first_byte_sent(
                        self._template(scope),
                        method_label,
                        labels.get("model", ""),
                        time.perf_counter() - started,
                    )
                elif message["type"] == "http.response.body":
                    sent_bytes += len(message.get("body", b""))
                await send(message)

            try:
                await self.app(scope, receive, observing_send)
                if not responded:  # returned without a response: the client left (CancellationMiddleware)
                    status = CLIENT_CLOSED
            except BaseException:
                failed = True  # RequestContextMiddleware (outside) answers 500 if nothing was sent yet
                raise
            finally:
                seconds = time.perf_counter() - started
                endpoint = self._template(scope)
                self.metrics.finish_request(endpoint, method_label, labels.get("model", ""), status, seconds)
                self._log(scope, method, status, seconds, sent_bytes, failed)

    @staticmethod
    def _log(scope: Scope, method: str, status: int, seconds: float, sent_bytes: int, failed: bool) -> None:
        path = scope.get("path", "")
        level = logging.DEBUG if path in QUIET_PATHS and status < 400 else logging.INFO
        if not access_logger.isEnabledFor(level):
            return
        client = scope.get("client")
        fields = {
            "method": method,
            "path": path,  # never the query string or headers: no keys in the log
            "status": status,
            "duration_ms": round(seconds * 1000, 1),
            "bytes": sent_bytes,
            "client": client[0] if client else None,
        }
        if failed:
            fields["aborted"] = True
        access_logger.log(
            level,
            '"%s %s" %d %.1f ms %d B%s',
            method,
            path,
            status,
            fields["duration_ms"],
            sent_bytes,
            " (aborted)" if failed else "",
            extra={"http": fields},
        )
