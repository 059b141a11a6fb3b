"""Realtime transcription (/v1/realtime?intent=transcription) through the official SDK's realtime clients.

Real recorded speech streamed in 100 ms chunks then silence, against the real server: server VAD turns
in OpenAI's event order, manual commits, G.711, logprobs, two sessions at once and the beta shape.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import openai
import pytest

from tests.support.audio import DATA, LIBRIVOX, librivox_transcripts
from tests.support.realtime import chunks, collect, g711, pcm16
from tests.support.server import RunningServer
from tests.support.wer import wer

pytestmark = pytest.mark.slow

CARDS = DATA / "cards"
COMPLETED = "conversation.item.input_audio_transcription.completed"
DELTA = "conversation.item.input_audio_transcription.delta"
PCM = {"type": "audio/pcm", "rate": 24000}


def cards_transcript(name: str) -> str:
    for line in (CARDS / "cards.transcription").read_text().splitlines():
        match = re.match(r"<s>(.*)</s>\s*\((.+)\)", line.strip())
        if match and match.group(2) == name:
            return match.group(1).strip()
    raise KeyError(name)


def sdk(base_url: str) -> openai.AsyncOpenAI:
    """The SDK; its beta client says wss:// unless given websocket_base_url (the GA one follows http)."""
    return openai.AsyncOpenAI(
        base_url=f"{base_url}/v1",
        api_key="sk-unused",
        max_retries=0,
        websocket_base_url=base_url.replace("http", "ws", 1) + "/v1",
    )


def manual(fmt: dict, **transcription: object) -> dict:
    return {
        "type": "transcription",
        "audio": {
            "input": {
                "format": fmt,
                "turn_detection": None,
                "transcription": {"model": "whisper-1", "language": "en", **transcription},
            }
        },
    }


async def commit_and_wait(conn, audio: list[str]) -> list:
    for piece in audio:
        await conn.input_audio_buffer.append(audio=piece)
    await conn.input_audio_buffer.commit()
    return await collect(conn, lambda e: e.type in (COMPLETED, "error", f"{COMPLETED[:-9]}failed"))


def test_server_vad_turns_in_openai_order(base_url: str) -> None:
    clips = [
        LIBRIVOX / "sense_and_sensibility_01_austen_64kb-0880.wav",
        LIBRIVOX / "sense_and_sensibility_01_austen_64kb-0930.wav",
    ]
    audio = pcm16(clips[0], silence_before=1.0) + pcm16(clips[1])

    async def run() -> tuple[object, list]:
        async with sdk(base_url).realtime.connect(extra_query={"intent": "transcription"}) as conn:
            created = await conn.recv()
            await conn.session.update(
                session={
                    "type": "transcription",
                    "audio": {
                        "input": {
                            "format": PCM,
                            "transcription": {"model": "whisper-1", "language": "en"},
                            "turn_detection": {"type": "server_vad", "silence_duration_ms": 500},
                        }
                    },
                }
            )
            for piece in chunks(audio, 48000):
                await conn.input_audio_buffer.append(audio=piece)
            done = 0

            def second_done(event) -> bool:
                nonlocal done
                done += event.type == "conversation.item.done"
                return done == 2 or event.type == "error"

            return created, await collect(conn, second_done)

    created, events = asyncio.run(run())
    assert created.type == "session.created"
    session = created.session
    assert session.type == "transcription"
    assert session.audio.input.format.type == "audio/pcm" and session.audio.input.format.rate == 24000
    vad = session.audio.input.turn_detection
    assert (vad.type, vad.threshold, vad.prefix_padding_ms, vad.silence_duration_ms) == (
        "server_vad",
        0.5,
        300,
        500,
    )
    assert events[0].type == "session.updated"
    turns: dict[str, list[str]] = {}
    for event in events[1:]:
        assert event.type != "error", event
        item = getattr(event, "item_id", None) or event.item.id
        turns.setdefault(item, []).append(event.type)
    assert len(turns) == 2
    for kinds in turns.values():
        assert kinds[:4] == [
            "input_audio_buffer.speech_started",
            "input_audio_buffer.speech_stopped",
            "input_audio_buffer.committed",
            "conversation.item.added",
        ]
        assert DELTA in kinds and kinds[-2:] == [COMPLETED, "conversation.item.done"]
    first, second = list(turns)
    committed = [e for e in events if e.type == "input_audio_buffer.committed"]
    assert [c.previous_item_id for c in committed] == [None, first]
    started = next(e for e in events if e.type == "input_audio_buffer.speech_started")
    assert 400 <= started.audio_start_ms <= 1000  # 1 s of silence, minus the 300 ms prefix padding
    stopped = [e for e in events if e.type == "input_audio_buffer.speech_stopped"]
    assert started.audio_start_ms < stopped[0].audio_end_ms < stopped[1].audio_end_ms <= len(audio) // 48
    completed = {e.item_id: e for e in events if e.type == COMPLETED}
    references = librivox_transcripts()
    for item, clip in zip((first, second), clips, strict=True):
        assert wer(references[clip.stem], completed[item].transcript) <= 0.15, completed[item].transcript
        assert completed[item].usage.type == "duration" and completed[item].usage.seconds > 1
        deltas = "".join(e.delta for e in events if e.type == DELTA and e.item_id == item)
        assert deltas.strip() == completed[item].transcript


def test_manual_commit_with_logprobs_clear_and_empty_commit(base_url: str) -> None:
    audio = chunks(pcm16(CARDS / "001.wav", silence_after=0.2), 48000)

    async def run() -> tuple[list, list, list]:
        async with sdk(base_url).realtime.connect(extra_query={"intent": "transcription"}) as conn:
            await conn.recv()
            session = manual(PCM) | {"include": ["item.input_audio_transcription.logprobs"]}
            await conn.session.update(session=session)
            await conn.recv()
            await conn.input_audio_buffer.append(audio=audio[0])
            await conn.input_audio_buffer.clear()
            cleared = await collect(conn, lambda e: True)
            await conn.input_audio_buffer.commit(event_id="evt_empty")
            empty = await collect(conn, lambda e: True)
            return cleared, empty, await commit_and_wait(conn, audio)

    cleared, empty, events = asyncio.run(run())
    assert cleared[0].type == "input_audio_buffer.cleared"
    assert empty[0].type == "error" and empty[0].error.code == "input_audio_buffer_commit_empty"
    assert empty[0].error.event_id == "evt_empty"
    assert [e.type for e in events[:2]] == ["input_audio_buffer.committed", "conversation.item.added"]
    completed = events[-1]
    assert completed.type == COMPLETED, completed
    assert wer(cards_transcript("001"), completed.transcript) <= 0.34, completed.transcript
    assert completed.logprobs and all(p.logprob <= 0 for p in completed.logprobs)
    assert all(e.logprobs for e in events if e.type == DELTA)


@pytest.mark.parametrize(("law", "clip"), [("pcmu", "003"), ("pcma", "001")])
def test_g711_at_8_khz(base_url: str, law: str, clip: str) -> None:
    audio = chunks(g711(CARDS / f"{clip}.wav", law, silence_after=0.2), 8000)

    async def run() -> list:
        async with sdk(base_url).realtime.connect(extra_query={"intent": "transcription"}) as conn:
            await conn.recv()
            await conn.session.update(session=manual({"type": f"audio/{law}"}))
            updated = await conn.recv()
            assert updated.session.audio.input.format.type == f"audio/{law}"
            return await commit_and_wait(conn, audio)

    events = asyncio.run(run())
    assert events[-1].type == COMPLETED, events[-1]
    assert wer(cards_transcript(clip), events[-1].transcript) <= 0.34, events[-1].transcript


def test_two_sessions_at_once(base_url: str) -> None:
    clips = {"004": CARDS / "004.wav", "001": CARDS / "001.wav"}

    async def one(path: Path) -> str:
        async with sdk(base_url).realtime.connect(extra_query={"intent": "transcription"}) as conn:
            await conn.recv()
            await conn.session.update(session=manual(PCM))
            await conn.recv()
            events = await commit_and_wait(conn, chunks(pcm16(path, silence_after=0.2), 48000))
            assert events[-1].type == COMPLETED, events[-1]
            return events[-1].transcript

    async def both() -> list[str]:
        return list(await asyncio.gather(*(one(path) for path in clips.values())))

    for name, text in zip(clips, asyncio.run(both()), strict=True):
        assert wer(cards_transcript(name), text) <= 0.34, (name, text)


def test_beta_shape(base_url: str) -> None:
    audio = chunks(pcm16(CARDS / "001.wav", silence_after=0.2), 48000)

    async def run() -> tuple[object, object, list]:
        client = sdk(base_url)
        async with client.beta.realtime.connect(
            model="whisper-1", extra_query={"intent": "transcription"}
        ) as conn:
            created = await conn.recv()
            await conn.transcription_session.update(
                session={
                    "input_audio_format": "pcm16",
                    "turn_detection": None,
                    "input_audio_transcription": {"model": "whisper-1", "language": "en"},
                }
            )
            updated = await conn.recv()
            return created, updated, await commit_and_wait(conn, audio)

    created, updated, events = asyncio.run(run())
    assert created.type == "transcription_session.created"
    session = created.model_dump()["session"]  # the beta SDK has no model for this event: loose parsing
    assert (
        session["input_audio_format"] == "pcm16" and session["turn_detection"]["silence_duration_ms"] == 500
    )
    assert updated.type == "transcription_session.updated"
    assert updated.model_dump()["session"]["turn_detection"] is None
    assert [e.type for e in events[:2]] == ["input_audio_buffer.committed", "conversation.item.created"]
    assert events[-1].type == COMPLETED
    assert wer(cards_transcript("001"), events[-1].transcript) <= 0.34


def test_interim_results_while_speaking(base_url: str) -> None:
    clip = LIBRIVOX / "sense_and_sensibility_01_austen_64kb-0870.wav"
    audio = chunks(pcm16(clip, silence_after=1.0), 48000)

    async def run() -> tuple[object, list]:
        async with sdk(base_url).realtime.connect(extra_query={"intent": "transcription"}) as conn:
            await conn.recv()
            transcription = {"model": "whisper-1", "language": "en", "interim_results": True}
            await conn.session.update(
                session={"type": "transcription", "audio": {"input": {"transcription": transcription}}}
            )
            updated = await conn.recv()
            received: list = []
            reader = asyncio.create_task(collect(conn, lambda e: e.type in (COMPLETED, "error"), 120))
            for piece in audio:  # in real time, as a microphone would
                await conn.input_audio_buffer.append(audio=piece)
                await asyncio.sleep(0.1)
            received = await reader
            return updated, received

    updated, events = asyncio.run(run())
    assert updated.session.audio.input.transcription.model_dump()["interim_results"] is True
    kinds = [e.type for e in events]
    assert "error" not in kinds, events
    interim = [e for e in events if e.type == "conversation.item.input_audio_transcription.interim"]
    assert interim, kinds
    stopped = kinds.index("input_audio_buffer.speech_stopped")
    assert all(kinds.index(e.type) < stopped for e in interim)
    final = events[-1].transcript
    assert all(e.item_id == events[-1].item_id for e in interim)
    assert wer(librivox_transcripts()[clip.stem], final) <= 0.15
    first_words = interim[0].model_dump()["transcript"].split()[:2]
    assert first_words and set(w.lower().strip(".,") for w in first_words) & set(final.lower().split())


def test_leaving_mid_turn_stops_its_work(server_factory: Callable[..., RunningServer]) -> None:
    server = server_factory()
    audio = chunks(
        pcm16(LIBRIVOX / "sense_and_sensibility_01_austen_64kb-0870.wav", silence_after=0.2), 48000
    )

    async def leave_after_commit() -> None:
        async with sdk(server.base_url).realtime.connect(extra_query={"intent": "transcription"}) as conn:
            await conn.recv()
            await conn.session.update(session=manual(PCM))
            await conn.recv()
            for piece in audio:
                await conn.input_audio_buffer.append(audio=piece)
            await conn.input_audio_buffer.commit()
            await collect(conn, lambda e: e.type == "input_audio_buffer.committed")

    asyncio.run(leave_after_commit())
    deadline = time.monotonic() + 60
    while "cancelled, the session closed" not in server.log() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert "cancelled, the session closed" in server.log()
    while time.monotonic() < deadline:  # the slot comes back once whisper stopped
        metrics = httpx.get(f"{server.base_url}/metrics").text
        if 'earshot_queue_running{model="whisper-base"} 0.0' in metrics:
            break
        time.sleep(0.2)
    assert 'earshot_queue_running{model="whisper-base"} 0.0' in metrics
    assert "earshot_realtime_sessions 0.0" in metrics
    assert "earshot_realtime_turns_total" not in metrics or 'outcome="completed"' not in metrics
