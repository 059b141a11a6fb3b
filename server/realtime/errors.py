"""The realtime door's error: what goes into an ``error`` event (OpenAI's shape, the client's event_id)."""

from __future__ import annotations

from server.errors import APIError, to_api_error


class RealtimeError(Exception):
    """A client event that cannot be honoured; the session goes on."""

    def __init__(
        self,
        message: str,
        code: str = "invalid_value",
        param: str | None = None,
        type: str = "invalid_request_error",
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.param = param
        self.type = type

    @classmethod
    def of(cls, exc: Exception) -> RealtimeError:
        """Any exception as the client should see it (the HTTP door's error table)."""
        if isinstance(exc, RealtimeError):
            return exc
        api: APIError = to_api_error(exc)
        return cls(api.message, api.code or "server_error", api.param, api.type)

    def body(self, event_id: str | None = None) -> dict:
        """The ``error`` object of an ``error`` event (or of a ``...failed`` event without ``event_id``)."""
        return {
            "type": self.type,
            "code": self.code,
            "message": self.message,
            "param": self.param,
            "event_id": event_id,
        }
