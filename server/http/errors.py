"""The HTTP rendering of the error contract (server/errors.py) and FastAPI's exception handlers."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from engines import errors as engine_errors
from server.context import request_id
from server.errors import APIError, to_api_error

logger = logging.getLogger(__name__)


def error_response(error: APIError) -> JSONResponse:
    """The JSON response, with the request id header."""
    headers = dict(error.headers)
    if rid := request_id.get():
        headers["x-request-id"] = rid
    return JSONResponse(error.body(), status_code=error.status, headers=headers)


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
        return error_response(to_api_error(exc))

    async def engine_error(_: Request, exc: Exception) -> JSONResponse:
        api = to_api_error(exc)
        if api.status >= 500:
            logger.error("request failed: %s", exc)
        return error_response(api)

    async def request_validation(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        return error_response(validation_error(exc))

    async def http_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        err_type, code = _HTTP_CODES.get(exc.status_code, ("invalid_request_error", None))
        if exc.status_code == 404 and exc.detail == "Not Found":
            message = f"Unknown request URL: {request.method} {request.url.path}."
        elif exc.status_code == 405:
            message = f"Method {request.method} is not allowed for {request.url.path}."
        else:
            message = str(exc.detail)
        error = APIError(exc.status_code, message, err_type, None, code, dict(exc.headers or {}))
        return error_response(error)

    app.add_exception_handler(APIError, api_error)
    app.add_exception_handler(engine_errors.EngineError, engine_error)
    app.add_exception_handler(RequestValidationError, request_validation)
    app.add_exception_handler(StarletteHTTPException, http_error)
