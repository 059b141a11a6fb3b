"""The Wyoming door: Home Assistant's local voice protocol (JSONL events over TCP) beside the HTTP API.

``earshot serve --wyoming-port 10300`` starts :class:`server.wyoming.server.WyomingServer` in the app's
lifespan, on uvicorn's event loop, with the same :class:`server.core.Services` (registry, leases,
admission slots, metrics) as HTTP. ``describe`` -> ``info`` (server/wyoming/info.py); speech to text in
asr.py, text to speech in tts.py; PCM conversion in pcm.py; one connection's dispatch in handler.py.
Built on the ``wyoming`` package's event types and ``AsyncTcpServer``.
"""
