"""The library internals Earshot replaces at run time still look the way its code was written for.

engines/whisper.py swaps ``WhisperModel.encode`` (engines/encoder_memo.py) and ``WhisperModel.model``
(engines/logprobs.py AlignRecorder) on each loaded model. pyproject.toml caps faster-whisper and
ctranslate2 at the releases this was checked on; when a new release is allowed, these tests say
exactly what changed, naming the library, instead of words changing silently. The encode/model/align
hooks themselves are checked on the real models in test_whisper_tricks.py.
"""

from __future__ import annotations

import inspect
from importlib import metadata

import ctranslate2
import faster_whisper
import pytest
from faster_whisper import transcribe as fw_transcribe

FW = f"faster-whisper {metadata.version('faster-whisper')}"
SOURCE = inspect.getsource(fw_transcribe)


def test_align_is_called_with_encoder_output_start_sequence_and_text_tokens() -> None:
    """AlignRecorder.align reads text_token_probs of the results, zipped with text_tokens."""
    call = SOURCE[SOURCE.index("self.model.align(") :][:400]
    args = [a.strip() for a in call.split("(", 1)[1].split(")", 1)[0].split(",") if a.strip()]
    assert args[:3] == ["encoder_output", "tokenizer.sot_sequence", "text_tokens"], (
        f"{FW}: self.model.align is called with {args[:3]}; see engines/logprobs.py AlignRecorder"
    )
    assert "text_token_probs" in SOURCE, f"{FW}: align results no longer carry text_token_probs"


@pytest.mark.parametrize(
    ("package", "module"), [("faster-whisper", faster_whisper), ("ctranslate2", ctranslate2)]
)
def test_installed_version_is_inside_the_pinned_range(package: str, module: object) -> None:
    """The pins are what makes the checks above hold; an install outside them is a packaging error."""
    from packaging.requirements import Requirement

    requires = metadata.requires("earshot") or []
    spec = next(Requirement(r) for r in requires if Requirement(r).name == package)
    assert spec.specifier.contains(metadata.version(package)), f"{package} {metadata.version(package)} {spec}"
    assert any(s.operator == "<" for s in spec.specifier), f"{package} needs an upper bound in pyproject.toml"
