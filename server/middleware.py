"""Pure ASGI middleware: request id + last-resort 500, API-key auth, upload size limit.

Pure ASGI (not BaseHTTPMiddleware) so streamed responses and client disconnects pass through.
"""

from __future__ import annotations

import hmac
import logging
import re
import uuid
from collections.abc import Iterable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server.context import request_id
from server.errors import APIError, to_api_error
from server.http.errors import error_response

logger = logging.getLogger(__name__)

_SAFE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


class RequestContextMiddleware:
    """Gives every request an id (``x-request-id``) and turns unhandled errors into an OpenAI 500."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope.get("headers") or []).get(b"x-request-id", b"").decode("latin-1")
        rid = incoming if _SAFE_ID.match(incoming) else f"req_{uuid.uuid4().hex}"
        token = request_id.set(rid)
        started = False

        async def send_with_id(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"x-request-id"]
                headers.append((b"x-request-id", rid.encode("latin-1")))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception as exc:
            logger.exception("unhandled error on %s %s", scope.get("method"), scope.get("path"))
            if started:
                raise
            response = error_response(to_api_error(exc))
            await response(scope, receive, send_with_id)
        finally:
            request_id.reset(token)


class APIKeyMiddleware:
    """Requires ``Authorization: Bearer <key>`` on every path except the open ones."""

    def __init__(self, app: ASGIApp, keys: Iterable[str], open_paths: Iterable[str] = ("/health", "/ready")) -> None:
        self.app = app
        self.keys = [k.encode() for k in keys if k]
        self.open_paths = set(open_paths)

    def _authorized(self, header: bytes) -> bool:
        scheme, _, token = header.partition(b" ")
        if scheme.lower() != b"bearer":
            return False
        token = token.strip()
        ok = False
        for key in self.keys:  # compare with every key, in constant time each
            ok |= hmac.compare_digest(token, key)
        return ok

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.keys or scope["path"] in self.open_paths:
            await self.app(scope, receive, send)
            return
        header = dict(scope.get("headers") or []).get(b"authorization", b"")
        if self._authorized(header):
            await self.app(scope, receive, send)
            return
        message = (
            "You didn't provide an API key. Send it as 'Authorization: Bearer YOUR_KEY'."
            if not header
            else "Incorrect API key provided."
        )
        response = error_response(APIError(401, message, "invalid_request_error", None, "invalid_api_key"))
        await response(scope, receive, send)


class BodyTooLarge(APIError):
    """The upload exceeds the configured limit (``max_upload_bytes``; the body may hold form fields too).

    Both the body check and the file check name the same limit, the one a user can change.
    """

    def __init__(self, max_upload_bytes: int) -> None:
        super().__init__(
            413,
            f"The uploaded file is larger than the maximum of {max_upload_bytes / 1048576:.1f} MiB "
            f"({max_upload_bytes} bytes). Send a smaller or compressed file (e.g. mp3 or opus), or raise the "
            "server's limit with EARSHOT_MAX_UPLOAD_BYTES (--max-upload-bytes).",
            "invalid_request_error",
            "file",
            "request_too_large",
        )


class BodyLimitMiddleware:
    """Rejects bodies over ``limit`` bytes: at once from Content-Length, else while streaming in.

    ``limit`` leaves room for form fields around a file of ``max_upload_bytes``, the limit the error names.
    """

    def __init__(self, app: ASGIApp, limit: int, max_upload_bytes: int) -> None:
        self.app = app
        self.limit = limit
        self.max_upload_bytes = max_upload_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.limit:
            response = error_response(BodyTooLarge(self.max_upload_bytes))
            await response(scope, receive, send)
            return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise BodyTooLarge(self.max_upload_bytes)
            return message

        await self.app(scope, counting_receive, send)
