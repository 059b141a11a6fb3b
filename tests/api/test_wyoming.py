"""The Wyoming door (Home Assistant's protocol) driven by the ``wyoming`` package's own async client.

One server runs HTTP and ``--wyoming-port`` with piper's noise at 0. Clips are short: every request costs
real CPU. Events are read with a timeout so a server that stops answering fails the test, never hangs it.
"""

from __future__ import annotations

import asyncio
import threading
import wave
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import numpy as np
import openai
import pytest
from wyoming.asr import Transcribe, Transcript
from wyoming.audio import AudioChunk, AudioStart, AudioStop
from wyoming.client import AsyncTcpClient
from wyoming.error import Error
from wyoming.event import Event
from wyoming.info import Describe, Info
from wyoming.tts import Synthesize, SynthesizeChunk, SynthesizeStart, SynthesizeStop, SynthesizeVoice

from engines.languages import LANGUAGES
from tests.support.audio import LIBRIVOX, librivox_transcripts
from tests.support.server import RunningServer, free_port, start_server
from tests.support.wer import wer

pytestmark = pytest.mark.slow

CLIP = LIBRIVOX / "sense_and_sensibility_01_austen_64kb-0880.wav"  # "he was not an ill disposed young man"
VOICE = "en_US-joe-medium"
TIMEOUT = 60.0


@dataclass
class Servers:
    http: RunningServer
    port: int


@pytest.fixture(scope="module")
def servers(models_dir: Path, server_logs: Path) -> Iterator[Servers]:
    port = free_port()
    env = {"EARSHOT_TTS_NOISE_SCALE": "0", "EARSHOT_TTS_NOISE_W_SCALE": "0"}
    server = start_server(server_logs, models_dir, env=env, args=["--wyoming-port", str(port)])
    try:
        yield Servers(server, port)
    finally:
        assert server.stop() == 0
        assert "Traceback" not in server.log()


def run(coro):  # noqa: ANN001, ANN201 - a sync test's way into asyncio
    return asyncio.run(asyncio.wait_for(coro, TIMEOUT))


def client(servers: Servers) -> AsyncTcpClient:
    return AsyncTcpClient("127.0.0.1", servers.port)


async def read_until(c: AsyncTcpClient, *last: str) -> list[Event]:
    """Events up to and including the first of type ``last`` (or an error)."""
    events = []
    while True:
        event = await c.read_event()
        assert event is not None, f"connection closed after {[e.type for e in events]}"
        events.append(event)
        if event.type in last or Error.is_type(event.type):
            return events


def clip_pcm() -> tuple[bytes, int]:
    with wave.open(str(CLIP)) as w:
        assert (w.getsampwidth(), w.getnchannels()) == (2, 1)
        return w.readframes(w.getnframes()), w.getframerate()


def audio_events(pcm: bytes, rate: int, width: int = 2, channels: int = 1, step: int = 3200) -> list[Event]:
    chunks = [AudioChunk(rate=rate, width=width, channels=channels, audio=pcm[i : i + step]).event()
              for i in range(0, len(pcm), step)]  # fmt: skip
    return [AudioStart(rate=rate, width=width, channels=channels).event(), *chunks, AudioStop().event()]


async def transcribe(servers: Servers, pcm: bytes, rate: int, width: int = 2, channels: int = 1,
                     **request: str) -> list[Event]:  # fmt: skip
    async with client(servers) as c:
        await c.write_event(Transcribe(**request).event())
        for event in audio_events(pcm, rate, width, channels):
            await c.write_event(event)
        return await read_until(c, "transcript-stop")


def transcript(events: list[Event]) -> str:
    texts = [Transcript.from_event(e).text for e in events if Transcript.is_type(e.type)]
    assert len(texts) == 1, [e.type for e in events]
    return texts[0]


def heard_clip(events: list[Event]) -> bool:
    return wer(librivox_transcripts()[CLIP.stem], transcript(events)) <= 0.25


async def synthesize(servers: Servers, text: str, voice: SynthesizeVoice | None = None) -> tuple[bytes, int]:
    async with client(servers) as c:
        await c.write_event(Synthesize(text=text, voice=voice).event())
        events = await read_until(c, "audio-stop")
    assert [e.type for e in events][0] == "audio-start", events[0]
    start = AudioStart.from_event(events[0])
    assert (start.width, start.channels) == (2, 1)
    return b"".join(e.payload or b"" for e in events if AudioChunk.is_type(e.type)), start.rate


def test_describe_lists_every_model_and_voice(servers: Servers) -> None:
    async def describe() -> Info:
        async with client(servers) as c:
            await c.write_event(Describe().event())
            return Info.from_event((await read_until(c, "info"))[-1])

    info = run(describe())
    (asr,) = info.asr
    models = {m.name: m for m in asr.models}
    assert set(models) == {"whisper-base", "whisper-tiny.en"}
    assert models["whisper-tiny.en"].languages == ["en"]
    assert sorted(models["whisper-base"].languages) == sorted(LANGUAGES)
    assert asr.installed and all(m.installed and m.version and m.attribution.name for m in asr.models)
    assert asr.supports_transcript_streaming
    (tts,) = info.tts
    voices = {v.name: (v.languages, v.speakers) for v in tts.voices}
    assert voices[VOICE] == (["en_US"], None)
    kokoro = {name: langs for name, (langs, _) in voices.items() if name != VOICE}
    assert kokoro == {v: ["ja"] for v in ("jf_alpha", "jf_gongitsune", "jf_nezumi", "jf_tebukuro", "jm_kumo")}
    assert tts.installed and tts.supports_synthesize_streaming and tts.voices[0].installed


def test_transcribes_real_speech_with_the_same_words_as_http(servers: Servers, client_http: openai.OpenAI
                                                             ) -> None:  # fmt: skip
    pcm, rate = clip_pcm()
    events = run(transcribe(servers, pcm, rate, language="en"))
    types = [e.type for e in events]
    assert types[0] == "transcript-start" and types[-2:] == ["transcript", "transcript-stop"]
    text = transcript(events)
    chunks = "".join(e.data["text"] for e in events if e.type == "transcript-chunk")
    assert chunks == text
    assert wer(librivox_transcripts()[CLIP.stem], text) <= 0.15
    with CLIP.open("rb") as f:
        http = client_http.audio.transcriptions.create(model="whisper-1", file=f, language="en")
    assert http.text == text


def test_any_rate_width_and_channel_count(servers: Servers) -> None:
    pcm, rate = clip_pcm()
    mono = np.frombuffer(pcm, "<i2").astype(np.float32) / 32768
    # 44.1 kHz stereo 32-bit (linear interpolation is enough for a test signal), and 8 kHz 8-bit mono
    t44 = np.arange(int(len(mono) * 44100 / rate)) * rate / 44100
    up = np.interp(t44, np.arange(len(mono)), mono)
    stereo32 = (np.repeat(up[:, None], 2, axis=1) * 2**31 * 0.99).astype("<i4").tobytes()
    t8 = np.arange(int(len(mono) * 8000 / rate)) * rate / 8000
    low8 = (np.interp(t8, np.arange(len(mono)), mono) * 127 + 128).astype(np.uint8).tobytes()
    reference = librivox_transcripts()[CLIP.stem]

    async def both() -> list[list[Event]]:
        tiny = "whisper-tiny.en"
        return [await transcribe(servers, stereo32, 44100, width=4, channels=2, name=tiny),
                await transcribe(servers, low8, 8000, width=1, channels=1, name=tiny)]  # fmt: skip

    for events in run(both()):
        assert wer(reference, transcript(events)) <= 0.25


def test_synthesize_then_transcribe_back(servers: Servers) -> None:
    text = "The birch canoe slid on the smooth planks. Glue the sheet to the dark blue background."
    pcm, rate = run(synthesize(servers, text, SynthesizeVoice(name=VOICE)))
    assert rate == 22050 and 3 < len(pcm) / 2 / rate < 10
    # joe's "canoe slid" is often heard as "can use lid" (HTTP too): 3 of 16 words
    assert wer(text, transcript(run(transcribe(servers, pcm, rate, language="en")))) <= 0.25


def test_kokoro_voice_speaks_japanese_over_wyoming(servers: Servers) -> None:
    """Every TTS engine is a Wyoming voice: Kokoro at its own 24 kHz, transcribed back in Japanese."""
    from server.commands.wer import cer

    text = "今日はいい天気ですね。"
    pcm, rate = run(synthesize(servers, text, SynthesizeVoice(name="jf_alpha")))
    assert rate == 24000 and 0.5 < len(pcm) / 2 / rate < 6
    events = run(transcribe(servers, pcm, rate, language="ja"))
    assert cer(text, transcript(events)) <= 0.35


def test_streaming_synthesis_speaks_each_sentence_as_its_text_arrives(servers: Servers) -> None:
    async def stream() -> tuple[list[str], list[Event], list[Event]]:
        async with client(servers) as c:
            await c.write_event(SynthesizeStart(voice=SynthesizeVoice(name=VOICE)).event())
            for piece in ["The birch can", "oe slid on the smooth planks. Glue the", " sheet"]:
                await c.write_event(SynthesizeChunk(text=piece).event())
            # the first sentence is complete: its audio comes before any stop is sent
            early = await read_until(c, "audio-chunk")
            await c.write_event(SynthesizeChunk(text=" to the dark blue background.").event())
            await c.write_event(Synthesize(text="ignored: the chunks carry the text").event())
            await c.write_event(SynthesizeStop().event())
            rest = await read_until(c, "synthesize-stopped")
            return [e.type for e in early + rest], early, rest

    types, early, rest = run(stream())
    assert types[:2] == ["audio-start", "audio-chunk"]
    assert types[-2:] == ["audio-stop", "synthesize-stopped"]
    assert types.count("audio-start") == 1 and "error" not in types
    pcm = b"".join(e.payload or b"" for e in early + rest if AudioChunk.is_type(e.type))
    heard = transcript(run(transcribe(servers, pcm, 22050, language="en")))
    assert wer("The birch canoe slid on the smooth planks. Glue the sheet to the dark blue background.",
               heard) <= 0.25  # fmt: skip


BAD = [  # (events, error code)
    ([Event("frobnicate")], "unsupported_event"),
    ([AudioChunk(rate=16000, width=2, channels=1, audio=b"\0" * 320).event()], "audio_not_started"),
    ([AudioStop().event()], "audio_not_started"),
    ([AudioStart(rate=5, width=2, channels=1).event()], "invalid_value"),
    ([AudioStart(rate=10**9, width=2, channels=1).event()], "invalid_value"),
    ([AudioStart(rate=16000, width=3, channels=1).event()], "invalid_value"),
    ([AudioStart(rate=16000, width=2, channels=0).event()], "invalid_value"),
    ([Event("audio-start", {"width": 2})], "invalid_event"),
    ([Transcribe(name="no-such-model").event()], "model_not_found"),
    ([Transcribe(name="whisper-tiny.en", language="de").event()], "unsupported_value"),
    ([Transcribe(language="klingon").event()], "invalid_value"),
    ([Synthesize(text="Hello.", voice=SynthesizeVoice(name="no-such-voice")).event()], "invalid_value"),
    ([Synthesize(text="...").event()], "invalid_value"),
    ([SynthesizeChunk(text="Hello.").event()], "invalid_value"),
    ([SynthesizeStart(voice=SynthesizeVoice(name="nope")).event()], "invalid_value"),
]


@pytest.mark.parametrize(("events", "code"), BAD, ids=[f"{e[0].type}-{i}" for i, (e, _) in enumerate(BAD)])
def test_bad_input_gets_an_error_event_and_the_connection_lives_on(servers: Servers, events: list[Event],
                                                                   code: str) -> None:  # fmt: skip
    async def exchange() -> tuple[Event, Event]:
        async with client(servers) as c:
            for event in events:
                await c.write_event(event)
            error = (await read_until(c, "error"))[-1]
            await c.write_event(Describe().event())
            return error, (await read_until(c, "info"))[-1]

    error, info = run(exchange())
    assert Error.is_type(error.type), error
    assert Error.from_event(error).code == code and len(Error.from_event(error).text) > 20
    assert Info.is_type(info.type)


def test_chunks_after_a_refused_start_are_ignored_until_the_next_start(servers: Servers) -> None:
    pcm, rate = clip_pcm()

    async def exchange() -> list[Event]:
        async with client(servers) as c:
            await c.write_event(AudioStart(rate=1, width=2, channels=1).event())
            for event in audio_events(pcm[:6400], 1)[1:]:  # chunks and stop of the refused stream
                await c.write_event(event)
            for event in audio_events(pcm, rate):
                await c.write_event(event)
            return await read_until(c, "transcript-stop") + await read_until(c, "transcript-stop")

    events = run(exchange())
    assert [e.type for e in events][0] == "error"
    assert [e.type for e in events].count("error") == 1
    assert heard_clip(events)


def test_disconnects_mid_stream_and_garbage_close_cleanly(servers: Servers) -> None:
    pcm, rate = clip_pcm()

    async def rude() -> None:
        async with client(servers) as c:  # gone in the middle of the audio
            for event in audio_events(pcm, rate)[:5]:
                await c.write_event(event)
        async with client(servers) as c:  # gone while a long text is being spoken
            await c.write_event(Synthesize(text=" ".join(["This sentence is spoken again."] * 40)).event())
            await read_until(c, "audio-chunk")
        reader, writer = await asyncio.open_connection("127.0.0.1", servers.port)
        writer.write(b"this is not json\n")  # not Wyoming: the server closes the connection
        assert await asyncio.wait_for(reader.read(), 10) == b""
        writer.close()

    run(rude())
    events = run(transcribe(servers, pcm, rate, name="whisper-tiny.en"))
    assert heard_clip(events)
    assert httpx.get(servers.http.base_url + "/health", timeout=10).status_code == 200


def test_two_wyoming_clients_while_http_transcribes(servers: Servers, client_http: openai.OpenAI) -> None:
    pcm, rate = clip_pcm()
    http_text: list[str] = []

    def http_request() -> None:
        with CLIP.open("rb") as f:
            http_text.append(client_http.audio.transcriptions.create(model="whisper-1", file=f).text)

    thread = threading.Thread(target=http_request)
    thread.start()

    async def both() -> tuple[list[Event], tuple[bytes, int]]:
        return await asyncio.gather(transcribe(servers, pcm, rate, language="en"),
                                    synthesize(servers, "Two clients at once."))  # fmt: skip

    events, (speech, _) = run(both())
    thread.join(TIMEOUT)
    assert heard_clip(events) and len(speech) > 22050
    assert http_text and wer(librivox_transcripts()[CLIP.stem], http_text[0]) <= 0.25
    metrics = httpx.get(servers.http.base_url + "/metrics", timeout=10).text
    assert 'endpoint="wyoming:transcribe"' in metrics and 'endpoint="wyoming:synthesize"' in metrics


@pytest.fixture(scope="module")
def client_http(servers: Servers) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{servers.http.base_url}/v1", api_key="unused", max_retries=0, timeout=120)
