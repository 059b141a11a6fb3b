"""The transcription service without HTTP: bytes or samples in, info and segments out; slots and leases."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import numpy as np
import pytest

from engines.errors import AudioDecodeError, AudioTooLongError
from engines.registry import ModelRegistry
from engines.types import TranscriptionOptions
from server.admission import QueueFull
from server.core import Cancelled, CancelToken
from server.errors import APIError
from tests.support.audio import LIBRIVOX, librivox_transcripts, read_samples
from tests.unit.core.conftest import build, idle

pytestmark = pytest.mark.slow

CLIP = LIBRIVOX / "sense_and_sensibility_01_austen_64kb-0870.wav"
MODEL = "whisper-tiny.en"
OPTIONS = TranscriptionOptions(language="en")


def _words(text: str) -> list[str]:
    return "".join(c for c in text.lower() if c.isalpha() or c == " ").split()


def test_bytes_and_samples_give_the_same_words(registry: ModelRegistry, tmp_path: Path) -> None:
    async def run() -> None:
        services, admission, metrics = build(registry, tmp_path)
        info, segments = await services.transcriber.transcribe(MODEL, CLIP.read_bytes(), OPTIONS)
        _, again = await services.transcriber.transcribe(MODEL, read_samples(CLIP), OPTIONS, endpoint="test")
        assert info.language == "en" and 5 < info.duration < 10
        text = "".join(s.text for s in segments)
        assert text == "".join(s.text for s in again)
        reference = librivox_transcripts()[CLIP.stem].split()
        assert len(set(_words(text)) & set(reference)) >= len(reference) * 0.8
        assert idle(registry, admission)
        seconds = metrics.registry.get_sample_value(
            "earshot_audio_input_seconds_total", {"endpoint": "test", "model": MODEL}
        )
        assert seconds == pytest.approx(info.duration, abs=0.05)

    asyncio.run(run())


def test_refusals_come_before_any_work(registry: ModelRegistry, tmp_path: Path) -> None:
    async def run() -> None:
        services, admission, _ = build(registry, tmp_path, max_audio_seconds=2)
        with pytest.raises(APIError) as cannot_translate:
            services.transcriber.resolve(MODEL, "translate")
        assert cannot_translate.value.status == 400 and cannot_translate.value.param == "model"
        with pytest.raises(APIError) as wrong_language:
            await services.transcriber.start(MODEL, CLIP.read_bytes(), TranscriptionOptions(language="de"))
        assert wrong_language.value.param == "language"
        with pytest.raises(AudioDecodeError):
            await services.transcriber.transcribe(MODEL, b"not audio at all", OPTIONS)
        with pytest.raises(AudioTooLongError):
            await services.transcriber.transcribe(MODEL, read_samples(CLIP), OPTIONS)
        with pytest.raises(AudioTooLongError):
            await services.transcriber.transcribe(MODEL, CLIP.read_bytes(), OPTIONS)
        assert idle(registry, admission)

    asyncio.run(run())


def test_streamed_segments_and_early_close_release_all(registry: ModelRegistry, tmp_path: Path) -> None:
    async def run() -> None:
        services, admission, _ = build(registry, tmp_path)
        audio = np.concatenate([read_samples(p) for p in sorted(LIBRIVOX.glob("*.wav"))])
        async with await services.transcriber.start(MODEL, audio, OPTIONS) as running:
            assert running.info.duration == pytest.approx(running.seconds)
            assert admission.snapshot()[MODEL]["running"] == 1 and registry.status()[MODEL]["leases"] == 1
            first = await anext(running)
            assert first.text.strip()
        assert idle(registry, admission)  # left after one segment: the worker stopped, slot and lease back

    asyncio.run(run())


def test_full_queue_is_queue_full(registry: ModelRegistry, tmp_path: Path) -> None:
    async def run() -> None:
        services, admission, _ = build(registry, tmp_path, max_concurrency=1, max_queue=0)
        async with await services.transcriber.start(MODEL, CLIP.read_bytes(), OPTIONS):
            with pytest.raises(QueueFull) as full:
                await services.transcriber.start(MODEL, CLIP.read_bytes(), OPTIONS)
            assert full.value.status == 429
        assert idle(registry, admission)

    asyncio.run(run())


def test_cancel_token_from_another_thread_stops_the_work(registry: ModelRegistry, tmp_path: Path) -> None:
    async def run() -> None:
        services, admission, _ = build(registry, tmp_path, max_concurrency=1, max_queue=1)
        audio = np.concatenate([read_samples(p) for p in sorted(LIBRIVOX.glob("*.wav"))] * 3)
        token = CancelToken()
        running = await services.transcriber.start(MODEL, audio, OPTIONS, token)
        waiting = asyncio.create_task(services.transcriber.start(MODEL, audio, OPTIONS, token))
        await asyncio.sleep(0.1)
        assert admission.snapshot()[MODEL]["waiting"] == 1
        threading.Timer(0.05, token.cancel).start()
        with pytest.raises(Cancelled):
            async for _ in running:
                pass
        with pytest.raises(Cancelled):  # the queued call leaves the queue too
            await waiting
        assert idle(registry, admission)
        with pytest.raises(Cancelled):  # a cancelled token stops new work at once
            await services.transcriber.transcribe(MODEL, audio, OPTIONS, token)
        assert idle(registry, admission)

    asyncio.run(run())


def test_cancelling_the_task_releases_everything(registry: ModelRegistry, tmp_path: Path) -> None:
    async def run() -> None:
        services, admission, _ = build(registry, tmp_path)
        audio = np.concatenate([read_samples(p) for p in sorted(LIBRIVOX.glob("*.wav"))] * 3)
        task = asyncio.create_task(services.transcriber.transcribe(MODEL, audio, OPTIONS))
        while not registry.status()[MODEL]["leases"]:
            await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert idle(registry, admission)

    asyncio.run(run())
