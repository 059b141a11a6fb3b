"""The numpy GE2E speaker encoder: front-end, network (against torch reference values), weights check."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from engines.errors import ModelFileError
from engines.speaker_embedding import (
    SAMPLE_RATE,
    SpeakerEncoder,
    mel_filterbank,
    mel_spectrogram,
    normalize_volume,
)
from tests.support.conversations import load

READER_0880 = "librivox/sense_and_sensibility_01_austen_64kb-0880.wav"
# Resemblyzer 0.1.4 + torch 2.13 (VoiceEncoder.forward on wav_to_mel_spectrogram(wav)[:160] of 0880.wav):
# the six largest embedding values, their sum, and the sum of the mel window.
TORCH_TOP = {21: 0.258105, 89: 0.224637, 58: 0.213268, 163: 0.207779, 213: 0.206871, 243: 0.203479}
TORCH_SUM = 7.631904125213623
TORCH_MEL_SUM = 82.57776641845703


@pytest.fixture(scope="module")
def encoder() -> SpeakerEncoder:
    return SpeakerEncoder.load()


def test_mel_front_end_shape_and_band_placement() -> None:
    t = np.arange(SAMPLE_RATE) / SAMPLE_RATE
    tone = (0.5 * np.sin(2 * np.pi * 1000 * t)).astype(np.float32)
    mel = mel_spectrogram(tone)
    assert mel.shape == (1 + SAMPLE_RATE // 160, 40)
    bank = mel_filterbank()
    centre_hz = (bank.argmax(axis=1) * SAMPLE_RATE / 400)[mel[50].argmax()]
    assert abs(centre_hz - 1000) <= 80
    # Power spectrogram: twice the amplitude, four times the value.
    assert np.allclose(mel_spectrogram(2 * tone), 4 * mel, rtol=1e-4)


def test_matches_the_torch_reference(encoder: SpeakerEncoder) -> None:
    mel = mel_spectrogram(load(READER_0880))[:160]
    assert float(mel.sum()) == pytest.approx(TORCH_MEL_SUM, rel=1e-5)
    emb = encoder.embed(mel[None])[0]
    assert float(np.linalg.norm(emb)) == pytest.approx(1.0, abs=1e-5)
    assert float(emb.sum()) == pytest.approx(TORCH_SUM, abs=1e-4)
    for i, value in TORCH_TOP.items():
        assert float(emb[i]) == pytest.approx(value, abs=1e-5)


def test_same_speaker_is_closer_than_another(encoder: SpeakerEncoder) -> None:
    reader = [
        encoder.embed_utterance(load(f"librivox/sense_and_sensibility_01_austen_64kb-{n}.wav"))
        for n in ("0870", "0920")
    ]
    cards = encoder.embed_utterance(load("cards/005.wav"))
    assert float(reader[0] @ reader[1]) > float(reader[0] @ cards) + 0.1


def test_normalize_volume_only_raises() -> None:
    quiet = np.full(1600, 0.001, dtype=np.float32)
    loud = np.full(1600, 0.5, dtype=np.float32)
    assert 20 * np.log10(np.sqrt(np.mean(normalize_volume(quiet) ** 2))) == pytest.approx(-30, abs=0.01)
    assert normalize_volume(loud) is loud


def test_corrupt_or_missing_weights_are_a_model_file_error(tmp_path: Path) -> None:
    bad = tmp_path / "w.npz"
    np.savez(bad, x=np.zeros(3))
    with pytest.raises(ModelFileError, match="sha256"):
        SpeakerEncoder.load(bad)
    with pytest.raises(ModelFileError, match="cannot be read"):
        SpeakerEncoder.load(tmp_path / "missing.npz")
