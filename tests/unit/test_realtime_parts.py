"""The realtime door's parts without a server: G.711 and streamed resampling, incremental Silero VAD,
session config updates (partial, atomic, GA and beta), and the input buffer's commits."""

from __future__ import annotations

import numpy as np
import pytest

from engines.stream_audio import ALAW, ULAW, StreamDecoder
from engines.stream_vad import FRAME, StreamingVad
from server.realtime import shapes
from server.realtime.buffer import InputBuffer
from server.realtime.config import SessionConfig
from server.realtime.errors import RealtimeError
from tests.support.audio import LIBRIVOX, read_samples
from tests.support.realtime import _g711_encode

CLIP = LIBRIVOX / "sense_and_sensibility_01_austen_64kb-0880.wav"


def test_g711_tables_match_itu_t_values() -> None:
    assert (ULAW[0x00], ULAW[0x80], ULAW[0xFF], ULAW[0x7F]) == (-32124, 32124, 0, 0)
    assert (ALAW[0xD5], ALAW[0x55], ALAW[0xAA], ALAW[0x2A]) == (8, -8, 32256, -32256)


@pytest.mark.parametrize(("law", "table"), [("pcmu", ULAW), ("pcma", ALAW)])
def test_g711_round_trip_keeps_speech(law: str, table: np.ndarray) -> None:
    t = np.arange(8000) / 8000
    linear = (np.sin(2 * np.pi * 440 * t) * 12000).astype(np.int32)
    decoded = table[np.frombuffer(_g711_encode(linear, law), np.uint8)].astype(np.float64)
    snr = 10 * np.log10(np.sum(linear.astype(np.float64) ** 2) / np.sum((decoded - linear) ** 2))
    assert snr > 30


def test_stream_decoder_output_does_not_depend_on_the_chunking() -> None:
    pcm = (read_samples(CLIP, 24000) * 32767).astype("<i2").tobytes()
    outputs = []
    for size in (4800, 1001, len(pcm)):
        decoder = StreamDecoder("pcm16")
        parts = [decoder.decode(pcm[i : i + size]) for i in range(0, len(pcm), size)] + [decoder.flush()]
        outputs.append(np.concatenate(parts))
    assert abs(outputs[0].shape[0] - len(pcm) // 2 * 2 / 3) <= 2
    assert all(o.shape == outputs[0].shape for o in outputs)
    assert max(np.abs(o - outputs[0]).max() for o in outputs) < 1e-3


def test_streaming_vad_matches_silero_on_the_whole_clip_and_finds_the_turn() -> None:
    from faster_whisper.vad import get_vad_model

    speech = read_samples(CLIP)
    audio = np.concatenate([np.zeros(16000, np.float32), speech, np.zeros(16000, np.float32)])
    audio = audio[: audio.shape[0] // FRAME * FRAME]
    whole = get_vad_model()(audio).reshape(-1)
    vad = StreamingVad(0.5, 500)
    streamed = np.concatenate(
        [vad.probabilities(audio[i : i + 1600]) for i in range(0, audio.shape[0], 1600)]
    )
    np.testing.assert_allclose(streamed, whole[: streamed.shape[0]], atol=1e-4)
    vad = StreamingVad(0.5, 500)
    events = [e for i in range(0, audio.shape[0], 1600) for e in vad.feed(audio[i : i + 1600])]
    assert [e.kind for e in events] == ["start", "stop"]
    assert 0.9 < events[0].sample / 16000 < 1.3
    assert 3.0 < events[1].sample / 16000 <= audio.shape[0] / 16000  # after the words, before the end


def test_ga_update_is_partial_and_atomic() -> None:
    config = shapes.apply_ga(
        SessionConfig(),
        {
            "type": "transcription",
            "audio": {
                "input": {
                    "transcription": {"language": "de"},
                    "turn_detection": {"type": "server_vad", "silence_duration_ms": 800},
                }
            },
        },
    )
    assert (config.model, config.language, config.silence_ms(), config.prefix_ms()) == (
        "whisper-1",
        "de",
        800,
        300,
    )
    with pytest.raises(RealtimeError) as caught:
        shapes.apply_ga(
            config,
            {
                "type": "transcription",
                "audio": {
                    "input": {
                        "transcription": {"language": "fr"},
                        "format": {"type": "audio/pcm", "rate": 8000},
                    }
                },
            },
        )
    assert caught.value.param == "session.audio.input.format.rate"
    assert config.language == "de"  # unchanged: the bad update was refused whole
    manual = shapes.apply_ga(config, {"type": "transcription", "audio": {"input": {"turn_detection": None}}})
    assert manual.turn_detection is None and manual.language == "de"
    rendered = shapes.render_ga(manual, "sess_1", 0)
    assert rendered["audio"]["input"]["turn_detection"] is None
    assert rendered["audio"]["input"]["format"] == {"type": "audio/pcm", "rate": 24000}


def test_semantic_vad_eagerness_is_a_silence_timeout() -> None:
    for eagerness, ms in (("low", 1500), ("medium", 800), ("auto", 800), ("high", 500)):
        td = {"type": "semantic_vad", "eagerness": eagerness}
        config = shapes.apply_ga(
            SessionConfig(), {"type": "transcription", "audio": {"input": {"turn_detection": td}}}
        )
        assert config.silence_ms() == ms


def test_beta_update_and_rendering() -> None:
    config = shapes.apply_beta(
        SessionConfig(),
        {
            "input_audio_format": "g711_alaw",
            "input_audio_transcription": {"model": "whisper-1", "prompt": "Hi"},
        },
    )
    assert (config.encoding, config.prompt) == ("pcma", "Hi")
    rendered = shapes.render_beta(config, "sess_1", 0)
    assert rendered["input_audio_format"] == "g711_alaw"
    assert "create_response" not in rendered["turn_detection"]
    assert shapes.is_flat_beta({"input_audio_format": "pcm16"}) and not shapes.is_flat_beta(
        {"type": "transcription"}
    )


def test_manual_buffer_commits_everything_and_refuses_under_100_ms() -> None:
    buffer = InputBuffer(SessionConfig(turn_detection=None), max_seconds=2)
    buffer.append(b"\0" * 4000)  # 2000 samples at 24 kHz: 83 ms
    with pytest.raises(RealtimeError) as caught:
        buffer.commit()
    assert caught.value.code == "input_audio_buffer_commit_empty"
    buffer.append(b"\0" * 4800)
    assert abs(buffer.commit().shape[0] - 2933) < 40 and buffer.samples == 0
    with pytest.raises(RealtimeError) as caught:
        buffer.append(b"\0" * 48000 * 3)
    assert caught.value.code == "input_audio_buffer_full"
