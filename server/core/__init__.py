"""The serving core: one service per job, shared by every front door (HTTP today; realtime, Wyoming next).

Nothing here knows a wire protocol (no FastAPI, Starlette, OpenAI wire models or response formats). The
services take plain inputs - audio as encoded bytes or 16 kHz float32 samples, engine option dataclasses
(``engines.types``), an optional :class:`CancelToken` - and give engine results (``TranscriptionInfo``,
``Segment``, ``SpeakerTurn``, ``AudioChunk``). Each owns the model's admission slot (429 ``QueueFull``
when its queue is full), the registry lease, decoding, the worker thread, cancellation and the
processing metrics (``endpoint`` labels them). Errors are ``engines.errors`` / ``server.errors.APIError``
(map them with ``server.errors.to_api_error``); a cancelled token raises :class:`Cancelled`.

A door on the server's event loop gets the :class:`Services` from ``app.state.services`` and calls::

    services.transcriber.resolve(name, task, language) -> ModelSpec            # 404/400 before any work
    await services.transcriber.transcribe(model, audio, options, cancel) -> (info, [Segment])
    async with await services.transcriber.start(model, audio, options, cancel) as run:
        run.info                                                              # language, duration
        async for segment in run: ...                                         # streamed segments

    async with await services.diarization.start(model, audio, options, references, cancel) as run:
        run.info, run.turns                                                   # speaker turns first
        async for segment in run: ...                                         # segments with words

    spec, voice = services.speech.resolve(model_name, voice_name)
    async with await services.speech.speak(spec, text, services.speech.options(voice, speed), cancel) as s:
        async for chunk in s: ...                                             # AudioChunk per sentence
        s.progress                                                            # sentences, seconds, tokens

``start``/``speak`` return once the first result is ready, so every refusal (unknown model, 429, bad
audio, bad options) is raised before a door answers. Leaving the ``async with`` (or ``aclose()``),
exhausting the iterator, cancelling the awaiting task or ``CancelToken.cancel()`` stops the engine and
gives back the slot and the lease. ``speak(..., pipe=f)`` runs ``f(chunks, sample_rate, cancelled)`` in
the worker thread (e.g. an audio encoder) and yields what it yields.
"""

from server.core.cancel import Cancelled, CancelToken
from server.core.diarize import Diarization, DiarizedTranscription
from server.core.services import Services
from server.core.speak import Speech, SpeechProgress, Synthesis
from server.core.transcribe import Transcriber, Transcription

__all__ = [
    "CancelToken",
    "Cancelled",
    "Diarization",
    "DiarizedTranscription",
    "Services",
    "Speech",
    "SpeechProgress",
    "Synthesis",
    "Transcriber",
    "Transcription",
]
