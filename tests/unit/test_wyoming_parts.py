"""The Wyoming door's pure parts: PCM conversion, format checks, streamed sentence completion."""

from __future__ import annotations

import numpy as np
import pytest

from server.errors import APIError
from server.wyoming.pcm import PcmFormat, Resampler, to_float, to_pcm16
from server.wyoming.tts import complete_sentences


def test_widths_and_channels_become_mono_float() -> None:
    assert to_float(bytes([0, 128, 255]), PcmFormat(8000, 1, 1)).tolist() == pytest.approx([-1, 0, 127 / 128])
    pcm16 = np.array([-32768, 16384, 100, 300], "<i2").tobytes()  # two stereo frames
    assert to_float(pcm16, PcmFormat(16000, 2, 2)).tolist() == pytest.approx([-0.25, 200 / 32768])
    pcm32 = np.array([2**30], "<i4").tobytes() + b"\x01"  # a trailing partial frame is dropped
    assert to_float(pcm32, PcmFormat(16000, 4, 1)).tolist() == pytest.approx([0.5])


def test_float_to_pcm16_clips() -> None:
    pcm = to_pcm16(np.array([-2.0, 0.0, 0.5, 2.0]))
    assert np.frombuffer(pcm, "<i2").tolist() == [-32767, 0, 16383, 32767]


def test_resampler_keeps_the_duration() -> None:
    tone = np.sin(np.arange(44100) * 2 * np.pi * 440 / 44100).astype(np.float32)
    resampler = Resampler(44100)
    parts = [p for i in range(0, 44100, 4410) for p in resampler.push(tone[i : i + 4410])]
    out = np.concatenate(parts + resampler.flush())
    assert abs(out.shape[0] - 16000) <= 32
    assert Resampler(16000).push(tone[:10])[0] is not None


@pytest.mark.parametrize(
    "fmt", [PcmFormat(0, 2, 1), PcmFormat(10**7, 2, 1), PcmFormat(16000, 3, 1), PcmFormat(16000, 2, 0)]
)
def test_absurd_formats_are_refused(fmt: PcmFormat) -> None:
    with pytest.raises(APIError) as caught:
        fmt.check()
    assert caught.value.status == 400


def test_complete_sentences_waits_for_the_space_after_the_mark() -> None:
    assert complete_sentences("Hello there. How are") == ("Hello there. ", "How are")
    assert complete_sentences("Wait for it...") == ("", "Wait for it...")
    assert complete_sentences('He said "no." Then\nnext') == ('He said "no." Then\n', "next")
    assert complete_sentences("3.14 is pi") == ("", "3.14 is pi")


def test_wyoming_port_needs_one_worker() -> None:
    import subprocess
    import sys

    command = [sys.executable, "-m", "server", "serve", "--workers", "2", "--wyoming-port", "10300"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "--workers 1" in done.stderr


def test_zeroconf_is_optional() -> None:
    import asyncio
    import importlib.util

    from server.settings import Settings
    from server.wyoming.server import _announce

    if importlib.util.find_spec("zeroconf") is not None:
        pytest.skip("zeroconf is installed: announcing would send multicast traffic")
    assert asyncio.run(_announce(Settings(wyoming_port=10300, wyoming_zeroconf=True))) is None
