"""The CAM++ speaker encoder: Kaldi fbank front-end, ONNX network against torch's reference, sha256 check,
the encoder factory, and the telephone channel of the development set."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest

from engines.campplus import DEFAULT_MODEL, DEFAULT_SHA256, CamPlusPlusEncoder
from engines.errors import ModelFileError
from engines.fbank import HOP, N_BINS, log_fbank, n_frames, power_fbank
from engines.speaker_encoder import load_speaker_encoder
from tests.support.channels import phone, phone_mu_law
from tests.support.conversations import DATA, load

REFERENCE = DATA / "speaker" / "campplus_reference.npz"


@pytest.fixture(scope="module")
def encoder() -> CamPlusPlusEncoder:
    return CamPlusPlusEncoder.load()


def test_the_shipped_model_matches_its_recorded_sha256() -> None:
    assert hashlib.sha256(DEFAULT_MODEL.read_bytes()).hexdigest() == DEFAULT_SHA256


def test_fbank_shape_and_band_placement() -> None:
    t = np.arange(16000) / 16000
    tone = (0.1 * np.sin(2 * np.pi * 1000 * t)).astype(np.float32)
    power = power_fbank(tone)
    assert power.shape == (n_frames(16000), N_BINS) == (98, 80)
    assert power_fbank(tone[:100]).shape == (1, N_BINS)  # shorter than one frame: padded
    low = power_fbank((0.1 * np.sin(2 * np.pi * 300 * t)).astype(np.float32))
    assert low[50].argmax() < power[50].argmax()  # a lower tone peaks in a lower bin
    # Energies scale with the square of the gain; the normalised log removes any gain above the floor.
    assert np.allclose(power_fbank(2 * tone), 4 * power, rtol=1e-3, atol=1e-6)
    logs = log_fbank(power)
    assert logs.shape == power.shape and np.allclose(logs.mean(axis=0), 0, atol=1e-4)
    noisy = tone + 0.05 * np.random.default_rng(0).standard_normal(len(tone)).astype(np.float32)
    assert np.allclose(log_fbank(power_fbank(noisy), 3.0), log_fbank(power_fbank(noisy)), atol=1e-3)


def test_matches_the_torch_reference(encoder: CamPlusPlusEncoder) -> None:
    ref = np.load(REFERENCE)
    feats = log_fbank(power_fbank(load(str(ref["clip"]).removeprefix("tests/data/"))))
    emb = encoder.embed(feats[None])[0]
    expected = ref["embedding"] / np.linalg.norm(ref["embedding"])
    assert float(np.linalg.norm(emb)) == pytest.approx(1.0, abs=1e-5)
    assert np.abs(emb - expected).max() <= 1e-4


def test_windows_match_whole_clip_features(encoder: CamPlusPlusEncoder) -> None:
    audio = load("librivox/sense_and_sensibility_01_austen_64kb-0880.wav")
    assert n_frames(len(audio)) >= 290
    windows = [(0, 160), (75, 235), (130, 290), (10, 40)]
    got = encoder.embed_windows(audio, windows)
    power = power_fbank(audio)
    for (a, b), emb in zip(windows, got, strict=True):
        rms = np.sqrt(np.mean(np.square(audio[a * HOP : b * HOP], dtype=np.float64)))
        want = encoder.embed(log_fbank(power[a:b], 10 ** (-30 / 20) / rms)[None])[0]
        assert np.abs(emb - want).max() <= 1e-4


def test_same_speaker_is_closer_than_another_even_on_the_phone(encoder: CamPlusPlusEncoder) -> None:
    reader = [load(f"librivox/sense_and_sensibility_01_austen_64kb-{n}.wav") for n in ("0870", "0920")]
    cards = load("cards/005.wav")
    for channel in (lambda x: x, phone, phone_mu_law):
        a, b, c = (encoder.embed_utterance(channel(x)) for x in (*reader, cards))
        assert float(a @ b) > float(a @ c) + 0.3


def test_level_does_not_change_the_embedding(encoder: CamPlusPlusEncoder) -> None:
    audio = load("cards/005.wav")
    assert float(encoder.embed_utterance(audio) @ encoder.embed_utterance(audio * 0.05)) > 0.999


def test_corrupt_or_missing_model_is_a_model_file_error(tmp_path: Path) -> None:
    bad = tmp_path / "m.onnx"
    bad.write_bytes(b"not a model")
    with pytest.raises(ModelFileError, match="sha256"):
        CamPlusPlusEncoder.load(bad)
    with pytest.raises(ModelFileError, match="cannot be read"):
        CamPlusPlusEncoder.load(tmp_path / "missing.onnx")


def test_factory_loads_each_encoder_by_name() -> None:
    assert load_speaker_encoder("campplus").dim == 192
    assert load_speaker_encoder("ge2e").dim == 256
    with pytest.raises(ValueError, match="campplus"):
        load_speaker_encoder("xvector")


def test_telephone_channel_removes_the_high_band() -> None:
    noise = np.random.default_rng(0).standard_normal(16000 * 2).astype(np.float32) * 0.1
    spectrum = np.abs(np.fft.rfft(phone(noise))) ** 2
    freqs = np.fft.rfftfreq(len(noise), 1 / 16000)
    inside = spectrum[(freqs > 500) & (freqs < 3000)].mean()
    assert spectrum[freqs > 4200].mean() < inside * 1e-3
    assert spectrum[freqs < 40].mean() < inside * 1e-1
