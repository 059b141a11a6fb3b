"""The OpenAI error contract: one table from exception class to status/type/code/param.

Every non-2xx body is ``{"error": {"message", "type", "param", "code"}}``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from engines import errors as engine_errors
from server.context import request_id

logger = logging.getLogger(__name__)


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

    def response(self) -> JSONResponse:
        """The JSON response, with the request id header."""
        headers = dict(self.headers)
        if rid := request_id.get():
            headers["x-request-id"] = rid
        return JSONResponse(self.body(), status_code=self.status, headers=headers)


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


_HTTP_CODES = {
    404: ("invalid_request_error", "unknown_url"),
    405: ("invalid_request_error", "method_not_allowed"),
    413: ("invalid_request_error", "request_too_large"),
}


def _validation_param(loc: tuple) -> str | None:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "form")]
    if not parts:
        return None
    return parts[0] + "".join(f"[{p}]" for p in parts[1:])


def validation_error(exc: RequestValidationError) -> APIError:
    """FastAPI's 422 becomes OpenAI's 400, naming the first offending field."""
    first = exc.errors()[0] if exc.errors() else {}
    param = _validation_param(tuple(first.get("loc", ())))
    kind = first.get("type", "")
    if kind == "missing":
        message = f"Missing required parameter: '{param}'."
        code = "missing_required_parameter"
    elif kind == "json_invalid":
        message = "We could not parse the JSON body of your request. Send valid JSON."
        param, code = None, "invalid_json"
    elif param is None:
        message = f"Invalid request body: {first.get('msg', 'invalid value')}."
        code = "invalid_value"
    else:
        message = f"Invalid value for '{param}': {first.get('msg', 'invalid value')}."
        code = "invalid_value"
    return APIError(400, message, "invalid_request_error", param, code)


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers that keep every error in OpenAI's shape."""

    async def api_error(_: Request, exc: Exception) -> JSONResponse:
        return to_api_error(exc).response()

    async def engine_error(_: Request, exc: Exception) -> JSONResponse:
        api = to_api_error(exc)
        if api.status >= 500:
            logger.error("request failed: %s", exc)
        return api.response()

    async def request_validation(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        return validation_error(exc).response()

    async def http_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        err_type, code = _HTTP_CODES.get(exc.status_code, ("invalid_request_error", None))
        if exc.status_code == 404 and exc.detail == "Not Found":
            message = f"Unknown request URL: {request.method} {request.url.path}."
        elif exc.status_code == 405:
            message = f"Method {request.method} is not allowed for {request.url.path}."
        else:
            message = str(exc.detail)
        return APIError(exc.status_code, message, err_type, None, code, dict(exc.headers or {})).response()

    app.add_exception_handler(APIError, api_error)
    app.add_exception_handler(engine_errors.EngineError, engine_error)
    app.add_exception_handler(RequestValidationError, request_validation)
    app.add_exception_handler(StarletteHTTPException, http_error)
