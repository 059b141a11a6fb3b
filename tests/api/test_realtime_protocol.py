"""Realtime wire contract with a raw ``websockets`` client: bad input never ends a session, auth as
browsers and SDKs send it, and the per-server limits (sessions, idle time, session length, buffer)."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Callable
from typing import Any

import openai
import pytest
import websockets
from websockets.asyncio.client import connect  # the new client in websockets 13 too

from tests.support.server import RunningServer

KEY = "sk-realtime-test"
LIMITS = {
    "EARSHOT_API_KEYS": KEY,
    "EARSHOT_REALTIME_MAX_SESSIONS": "1",
    "EARSHOT_REALTIME_IDLE_TIMEOUT_SECONDS": "2",
    "EARSHOT_REALTIME_MAX_SESSION_SECONDS": "4",
    "EARSHOT_REALTIME_MAX_BUFFER_SECONDS": "1",
}
MANUAL = {
    "type": "session.update",
    "session": {"type": "transcription", "audio": {"input": {"turn_detection": None}}},
}


def ws_url(base_url: str) -> str:
    return base_url.replace("http", "ws", 1) + "/v1/realtime?intent=transcription"


async def recv(ws: Any) -> dict:
    return json.loads(await asyncio.wait_for(ws.recv(), 20))


def silence(seconds: float) -> str:
    return base64.b64encode(b"\0" * int(48000 * seconds)).decode()


def update(**audio_input: Any) -> dict:
    return {"type": "session.update", "session": {"type": "transcription", "audio": {"input": audio_input}}}


BAD_INPUT: list[tuple[str, Any, str, str | None]] = [  # (case, frame, error code, param)
    ("not json", "{nope", "invalid_json", None),
    ("not an object", "[1, 2]", "invalid_event", None),
    ("no type", {}, "invalid_event", "type"),
    ("unknown type", {"type": "input_audio_buffer.bogus"}, "unknown_event", "type"),
    ("conversation event", {"type": "response.create"}, "invalid_event", "type"),
    ("binary frame", b"\x00\x01", "invalid_event", None),
    ("append without audio", {"type": "input_audio_buffer.append"}, "missing_required_parameter", "audio"),
    ("bad base64", {"type": "input_audio_buffer.append", "audio": "%%%not base64"}, "invalid_value", "audio"),
    ("empty commit", {"type": "input_audio_buffer.commit"}, "input_audio_buffer_commit_empty", None),
    (
        "realtime session",
        {"type": "session.update", "session": {"type": "realtime"}},
        "invalid_value",
        "session.type",
    ),
    (
        "no session type",
        {"type": "session.update", "session": {}},
        "missing_required_parameter",
        "session.type",
    ),
    (
        "pcm at 16 kHz",
        update(format={"type": "audio/pcm", "rate": 16000}),
        "invalid_value",
        "session.audio.input.format.rate",
    ),
    (
        "unknown format",
        update(format={"type": "audio/opus"}),
        "invalid_value",
        "session.audio.input.format.type",
    ),
    ("unknown field", update(volume=3), "unknown_parameter", "session.audio.input.volume"),
    (
        "threshold above 1",
        update(turn_detection={"type": "server_vad", "threshold": 2}),
        "invalid_value",
        "session.audio.input.turn_detection.threshold",
    ),
    (
        "unknown model",
        update(transcription={"model": "no-such-model"}),
        "model_not_found",
        "session.audio.input.transcription.model",
    ),
    (
        "bad include",
        {"type": "session.update", "session": {"type": "transcription", "include": ["x"]}},
        "invalid_value",
        "session.include",
    ),
    (
        "bad beta format",
        {"type": "transcription_session.update", "session": {"input_audio_format": "mp3"}},
        "invalid_value",
        "session.input_audio_format",
    ),
]


def test_bad_input_gets_an_error_event_and_the_session_goes_on(base_url: str) -> None:
    async def run() -> list[tuple[str, dict]]:
        replies = []
        async with connect(ws_url(base_url), max_size=None) as ws:
            assert (await recv(ws))["type"] == "session.created"
            for number, (case, frame, _, _) in enumerate(BAD_INPUT):
                if isinstance(frame, dict):
                    frame = json.dumps({**frame, "event_id": f"evt_{number}"})
                await ws.send(frame)
                replies.append((case, await recv(ws)))
            huge = {"type": "input_audio_buffer.append", "audio": "A" * (16 << 20), "event_id": "evt_huge"}
            await ws.send(json.dumps(huge))  # over OpenAI's 15 MiB: refused, not a closed socket
            replies.append(("huge", await recv(ws)))
            await ws.send(json.dumps({**MANUAL, "event_id": "evt_ok"}))
            replies.append(("still alive", await recv(ws)))
        return replies

    replies = asyncio.run(run())
    for number, ((case, frame, code, param), (_, reply)) in enumerate(zip(BAD_INPUT, replies, strict=False)):
        assert reply["type"] == "error", (case, reply)
        error = reply["error"]
        assert (error["code"], error["param"]) == (code, param), (case, error)
        assert error["type"] == "invalid_request_error" and error["message"], (case, error)
        assert error["event_id"] == (f"evt_{number}" if isinstance(frame, dict) else None), (case, error)
        assert reply["event_id"].startswith("event_")
    huge = replies[-2][1]
    assert (huge["error"]["code"], huge["error"]["param"], huge["error"]["event_id"]) == (
        "invalid_value", "audio", "evt_huge")  # fmt: skip
    alive = replies[-1][1]
    assert alive["type"] == "session.updated" and alive["session"]["audio"]["input"]["turn_detection"] is None


def test_auth_handshake_and_limits(server_factory: Callable[..., RunningServer]) -> None:
    server = server_factory(env=LIMITS)
    url = ws_url(server.base_url)

    async def refused(**kw: Any) -> tuple[dict, int]:
        async with connect(url, **kw) as ws:
            first = await recv(ws)
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await recv(ws)
            assert closed.value.rcvd is not None
            return first, closed.value.rcvd.code

    async def run() -> None:
        # A browser: the key as a subprotocol, "realtime" echoed.
        protocols = ["realtime", f"openai-insecure-api-key.{KEY}"]
        async with connect(url, subprotocols=protocols) as browser:
            assert browser.subprotocol == "realtime"
            assert (await recv(browser))["type"] == "session.created"
            # The second session is past realtime_max_sessions=1: refused, "try again later".
            error, code = await refused(additional_headers={"Authorization": f"Bearer {KEY}"})
            assert (error["error"]["code"], code) == ("session_limit_reached", 1013)
            # Nothing sent for 2 s: idle timeout.
            idle = await recv(browser)
            assert idle["error"]["code"] == "idle_timeout"
        for kw in (
            {"subprotocols": ["realtime", "openai-insecure-api-key.sk-wrong"]},
            {"additional_headers": {"Authorization": "Bearer sk-wrong"}},
            {},
        ):
            error, code = await refused(**kw)
            assert (error["type"], error["error"]["code"], code) == ("error", "invalid_api_key", 1008), kw
        # The SDK's Bearer header; the buffer limit (1 s uncommitted, manual mode); the session length (4 s).
        ws_base = server.base_url.replace("http", "ws", 1) + "/v1"  # SDKs before 2.x dial wss:// without it
        client = openai.AsyncOpenAI(
            base_url=f"{server.base_url}/v1", api_key=KEY, max_retries=0, websocket_base_url=ws_base
        )
        async with client.realtime.connect(extra_query={"intent": "transcription"}) as conn:
            assert (await conn.recv()).type == "session.created"
            await conn.send(MANUAL)
            assert (await conn.recv()).type == "session.updated"
            await conn.send({"type": "input_audio_buffer.append", "audio": silence(0.8)})
            more = {"type": "input_audio_buffer.append", "audio": silence(0.4), "event_id": "evt_full"}
            await conn.send(more)
            full = await conn.recv()
            assert (full.type, full.error.code, full.error.event_id) == (
                "error",
                "input_audio_buffer_full",
                "evt_full",
            )
            codes = []
            while not codes or codes[-1] == "input_audio_buffer.cleared":  # busy until its 4 s are up
                try:
                    event = await asyncio.wait_for(conn.recv(), 0.7)
                except TimeoutError:
                    await conn.send({"type": "input_audio_buffer.clear"})  # not idle
                    continue
                codes.append(event.error.code if event.type == "error" else event.type)
            assert codes[-1] == "session_expired" and "input_audio_buffer.cleared" in codes
        wrong_intent = url.replace("intent=transcription", "intent=conversation")
        async with connect(wrong_intent, additional_headers={"Authorization": f"Bearer {KEY}"}) as ws:
            error = await recv(ws)
            assert (error["error"]["code"], error["error"]["param"]) == ("invalid_value", "intent")

    asyncio.run(run())
