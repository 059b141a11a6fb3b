"""The realtime door: OpenAI's Realtime WebSocket API for transcription (``/v1/realtime``).

``router`` (the handshake, auth, limits) -> ``session`` (client events, in OpenAI's order) -> ``buffer``
(16 kHz audio and Silero turn detection) -> ``turns`` (each committed turn through the shared
transcription service). ``config`` / ``shapes`` hold the session config and its GA and beta renderings.
"""
