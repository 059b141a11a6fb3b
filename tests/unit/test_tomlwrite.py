"""Manifest blocks written by the importer read back through tomllib and the manifest parser."""

from __future__ import annotations

import tomllib

from engines.manifest import parse_manifest
from engines.tomlwrite import model_block, toml_str


def test_awkward_strings_round_trip() -> None:
    for text in ['quote " and \\ backslash', "tab\there", "line\nbreak", "del\x7fctl\x01", "ünïcødé 🎙"]:
        assert tomllib.loads(f"v = {toml_str(text)}")["v"] == text


def test_model_block_parses_as_a_user_model() -> None:
    block = model_block(
        "org/model \"x\"", "piper", "dir/v.onnx", aliases=("a",), voices=("v",), description="d\nx",
        files={"v.onnx": ("ab" * 32, 12)},
    )  # fmt: skip
    spec = parse_manifest(tomllib.loads(block), "t").models[0]
    assert spec.id == 'org/model "x"' and spec.aliases == ("a",) and spec.voices == ("v",)
    assert spec.files[0].sha256 == "ab" * 32 and spec.files[0].size == 12
