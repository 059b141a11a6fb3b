"""``GET /v1/realtime?intent=transcription``: the WebSocket handshake, auth, session limit, GA or beta.

Auth as OpenAI's clients send it: ``Authorization: Bearer <key>`` (SDKs) or, from browsers, the
subprotocols ``realtime`` + ``openai-insecure-api-key.<key>`` (``realtime`` is echoed back). A refused
session (wrong key, wrong intent, too many sessions) is accepted, told why in an ``error`` event and
closed (1008 policy violation; 1013 try again later), so browsers, which cannot read a refused
handshake, see the reason too. No ``session.created`` is sent then.
"""

from __future__ import annotations

import hmac
import logging

from fastapi import APIRouter, WebSocket

from server.realtime.errors import RealtimeError
from server.realtime.session import Session

logger = logging.getLogger(__name__)

router = APIRouter()

KEY_PROTOCOL = "openai-insecure-api-key."
BETA_PROTOCOL = "openai-beta.realtime-v1"
EPHEMERAL_PROTOCOL = "openai-insecure-ephemeral-key."  # never minted here: refused like a wrong key
POLICY_VIOLATION = 1008
TRY_AGAIN_LATER = 1013


class _Counter:
    """Sessions open now, for the per-server limit (on app.state; the event loop is the only writer)."""

    def __init__(self) -> None:
        self.open = 0


def _offered_key(websocket: WebSocket) -> str | None:
    header = websocket.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    for protocol in websocket.scope.get("subprotocols") or []:
        if protocol.startswith(KEY_PROTOCOL):
            return protocol[len(KEY_PROTOCOL) :]
    return None


def _authorized(offered: str | None, keys: list[str]) -> bool:
    if not keys:
        return True
    ok = False
    for key in keys:  # compare with every key, in constant time each
        ok |= offered is not None and hmac.compare_digest(offered.encode(), key.encode())
    return ok


def _refusal(
    websocket: WebSocket, keys: list[str], counter: _Counter, limit: int
) -> tuple[RealtimeError, int] | None:
    offered = _offered_key(websocket)
    if not _authorized(offered, keys):
        message = (
            "Incorrect API key provided."
            if offered
            else "You didn't provide an API key. Send it as "
            "'Authorization: Bearer YOUR_KEY' or, from a browser, as the subprotocol "
            "'openai-insecure-api-key.YOUR_KEY'."
        )
        return RealtimeError(message, "invalid_api_key", None), POLICY_VIOLATION
    intent = websocket.query_params.get("intent")
    if intent not in (None, "transcription"):
        return RealtimeError(
            f"Unsupported intent '{intent}': this server serves transcription sessions only "
            "(connect to /v1/realtime?intent=transcription).",
            "invalid_value",
            "intent",
        ), POLICY_VIOLATION
    if counter.open >= limit:
        return RealtimeError(
            f"This server already has {limit} realtime sessions open (its "
            "realtime_max_sessions setting); try again later.",
            "session_limit_reached",
            None,
            "server_error",
        ), TRY_AGAIN_LATER
    return None


@router.websocket("/v1/realtime")
async def realtime(websocket: WebSocket) -> None:
    """A realtime transcription session (GA shape; beta with ``OpenAI-Beta: realtime=v1``)."""
    state = websocket.app.state
    settings = state.settings
    if not hasattr(state, "realtime_sessions"):
        state.realtime_sessions = _Counter()
    counter: _Counter = state.realtime_sessions
    offered = websocket.scope.get("subprotocols") or []
    await websocket.accept(subprotocol="realtime" if "realtime" in offered else None)
    refusal = _refusal(websocket, state.api_keys, counter, settings.realtime_max_sessions)
    if refusal is not None:
        error, code = refusal
        logger.info("realtime session refused: %s", error.code)
        await websocket.send_json({"type": "error", "event_id": "event_refused", "error": error.body()})
        await websocket.close(code, error.code)
        return
    beta = "realtime=v1" in websocket.headers.get("openai-beta", "") or BETA_PROTOCOL in offered
    counter.open += 1
    state.metrics.realtime_sessions.inc()
    try:
        await Session(websocket, state.services, settings, state.metrics, beta).run()
    finally:
        counter.open -= 1
        state.metrics.realtime_sessions.dec()
