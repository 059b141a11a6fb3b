"""Per-request context (the request id) for logs and error bodies."""

from __future__ import annotations

import logging
from contextvars import ContextVar

request_id: ContextVar[str | None] = ContextVar("earshot_request_id", default=None)


class RequestIdFilter(logging.Filter):
    """Adds ``record.request_id`` to every log record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get() or "-"
        return True
