"""The speech service without HTTP: AudioChunks (or a pipe's output) per sentence; slots and leases."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from engines.errors import InvalidOptionError
from engines.registry import ModelRegistry
from engines.types import AudioChunk
from server.core import Cancelled, CancelToken
from tests.unit.core.conftest import build, idle

pytestmark = pytest.mark.slow

TEXT = "The first sentence is short. The second one is a little longer than the first. A third ends it."
VOICE_MODEL = "piper-en_US-joe-medium"


def test_chunks_per_sentence_with_progress_and_metrics(registry: ModelRegistry, tmp_path: Path) -> None:
    async def run() -> None:
        services, admission, metrics = build(registry, tmp_path)
        spec, voice = services.speech.resolve("tts-1", "alloy")
        assert spec.id == VOICE_MODEL and voice == "en_US-joe-medium"
        options = services.speech.options(voice)
        async with await services.speech.speak(spec, TEXT, options, endpoint="test") as synthesis:
            chunks = [chunk async for chunk in synthesis]
        assert [c.index for c in chunks] == [0, 1, 2]
        assert all(isinstance(c, AudioChunk) and c.sample_rate == 22050 for c in chunks)
        seconds = sum(len(c.samples) for c in chunks) / 22050
        assert synthesis.progress.sentences == 3
        assert synthesis.progress.audio_seconds == pytest.approx(seconds)
        assert synthesis.progress.input_tokens > 0 and synthesis.progress.output_tokens > 0
        observed = metrics.registry.get_sample_value(
            "earshot_audio_output_seconds_total", {"endpoint": "test", "model": VOICE_MODEL}
        )
        assert observed == pytest.approx(seconds)
        assert idle(registry, admission)

        # Same options, same samples (noise scales 0): twice through the service, once through a pipe.
        async with await services.speech.speak(spec, TEXT, options) as again:
            repeat = [chunk async for chunk in again]
        assert all(np.array_equal(a.samples, b.samples) for a, b in zip(chunks, repeat, strict=True))

        def pcm(items: Iterator[AudioChunk], rate: int, cancelled: threading.Event) -> Iterator[bytes]:
            assert threading.current_thread() is not threading.main_thread() and rate == 22050
            for chunk in items:
                yield (np.clip(chunk.samples, -1, 1) * 32767).astype("<i2").tobytes()

        async with await services.speech.speak(spec, TEXT, options, pipe=pcm) as piped:
            data = b"".join([piece async for piece in piped])
        assert len(data) == 2 * sum(len(c.samples) for c in chunks)
        assert idle(registry, admission)

    asyncio.run(run())


def test_bad_options_raise_before_the_first_chunk(registry: ModelRegistry, tmp_path: Path) -> None:
    async def run() -> None:
        services, admission, _ = build(registry, tmp_path)
        spec, voice = services.speech.resolve(VOICE_MODEL, "en_US-joe-medium")
        with pytest.raises(InvalidOptionError):
            await services.speech.speak(spec, TEXT, services.speech.options(voice, speed=99.0))
        assert idle(registry, admission)

    asyncio.run(run())


def test_closing_or_cancelling_stops_the_synthesis(registry: ModelRegistry, tmp_path: Path) -> None:
    async def run() -> None:
        services, admission, _ = build(registry, tmp_path)
        spec, voice = services.speech.resolve("tts-1", "alloy")
        options = services.speech.options(voice)
        long_text = " ".join([TEXT] * 20)
        synthesis = await services.speech.speak(spec, long_text, options)
        await anext(synthesis)
        await synthesis.aclose()
        assert synthesis.progress.sentences < 60 and idle(registry, admission)

        token = CancelToken()
        synthesis = await services.speech.speak(spec, long_text, options, token)
        token.cancel()
        with pytest.raises(Cancelled):
            async for _ in synthesis:
                pass
        assert synthesis.progress.sentences < 60 and idle(registry, admission)

    asyncio.run(run())
