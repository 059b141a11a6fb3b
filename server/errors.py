"""The OpenAI error contract: one table from exception class to status/type/code/param.

Every non-2xx body is ``{"error": {"message", "type", "param", "code"}}``. Protocol-neutral: every front
door (HTTP responses, SSE error events, realtime ``error`` events) renders an :class:`APIError` its own way;
the HTTP rendering and handlers are in ``server/http/errors.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from engines import errors as engine_errors
from server.context import request_id


class APIError(Exception):
    """An error to send to the client in OpenAI's shape."""

    def __init__(
        self,
        status: int,
        message: str,
        type: str = "invalid_request_error",
        param: str | None = None,
        code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.param = param
        self.code = code
        self.headers = headers or {}

    def body(self) -> dict:
        """The JSON body."""
        return {"error": {"message": self.message, "type": self.type, "param": self.param, "code": self.code}}


def invalid(message: str, param: str | None, code: str = "invalid_value") -> APIError:
    """A 400 invalid_request_error naming the parameter."""
    return APIError(400, message, "invalid_request_error", param, code)


@dataclass(frozen=True)
class _Rule:
    status: int
    type: str
    code: str | None
    param: Callable[[Exception], str | None]


# Order matters: the first matching class wins, so subclasses come first.
ERROR_TABLE: list[tuple[type[Exception], _Rule]] = [
    (engine_errors.ModelNotFoundError, _Rule(404, "invalid_request_error", "model_not_found", lambda e: "model")),
    (engine_errors.VoiceNotFoundError, _Rule(400, "invalid_request_error", "invalid_value", lambda e: "voice")),
    (engine_errors.ModelFileError, _Rule(503, "server_error", "model_unavailable", lambda e: "model")),
    (engine_errors.ModelUnavailableError, _Rule(503, "server_error", "model_unavailable", lambda e: "model")),
    (
        engine_errors.InvalidOptionError,
        _Rule(400, "invalid_request_error", "invalid_value", lambda e: getattr(e, "param", None)),
    ),
    (engine_errors.AudioTooLongError, _Rule(400, "invalid_request_error", "audio_too_long", lambda e: "file")),
    (engine_errors.AudioDecodeError, _Rule(400, "invalid_request_error", "invalid_file", lambda e: "file")),
    (engine_errors.AudioError, _Rule(400, "invalid_request_error", "invalid_file", lambda e: "file")),
    (engine_errors.ManifestError, _Rule(500, "server_error", "manifest_error", lambda e: None)),
]


def to_api_error(exc: Exception) -> APIError:
    """Translate any exception into the APIError the client sees."""
    if isinstance(exc, APIError):
        return exc
    for cls, rule in ERROR_TABLE:
        if isinstance(exc, cls):
            return APIError(rule.status, str(exc), rule.type, rule.param(exc), rule.code)
    return APIError(
        500,
        f"The server had an error while processing your request (request id {request_id.get() or '-'}).",
        "server_error",
        None,
        "internal_error",
    )
