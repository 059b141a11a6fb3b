"""The diarization service without HTTP; the speaker encoder is a registry model (lease, idle unload)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from engines.diarize import SegmentBuilder
from engines.registry import ModelRegistry
from engines.types import TranscriptionOptions
from tests.support import conversations as cv
from tests.unit.core.conftest import build, idle

pytestmark = pytest.mark.slow

ENCODER = "campplus-cn-en-common"


def test_the_speaker_encoder_is_listed_with_its_kind(registry: ModelRegistry) -> None:
    assert [m.id for m in registry.models("speaker")] == [ENCODER, "ge2e-resemblyzer"]
    assert registry.default("speaker").backend == "campplus"  # GE2E only with EARSHOT_DIARIZE_ENCODER=ge2e


def test_turns_before_segments_named_after_known_speakers(registry: ModelRegistry, tmp_path: Path) -> None:
    conversation = cv.two_speakers_without_references()

    async def run() -> None:
        services, admission, metrics = build(registry, tmp_path)
        registry.unload(ENCODER)
        options = TranscriptionOptions(language="en")
        async with await services.diarization.start(
            "whisper-tiny.en", conversation.audio, options, cv.references(), endpoint="test"
        ) as running:
            assert {t.speaker for t in running.turns} == {"reader", "cards"}
            assert registry.is_loaded(ENCODER) and registry.status()[ENCODER]["leases"] == 0
            builder = SegmentBuilder(running.turns)
            segments = []
            async for segment in running:
                assert segment.words  # the service asks whisper for words
                segments += [s for w in segment.words if (s := builder.add(w)) is not None]
            segments += [s for s in [builder.finish()] if s is not None]
        assert {s.speaker for s in segments} == {"reader", "cards"}
        assert idle(registry, admission)
        assert metrics.registry.get_sample_value(
            "earshot_audio_input_seconds_total", {"endpoint": "test", "model": "whisper-tiny.en"}
        ) == pytest.approx(conversation.duration, abs=0.05)
        assert ENCODER in registry.unload_idle()  # idle_ttl=0: the encoder unloads like any model

    asyncio.run(run())
