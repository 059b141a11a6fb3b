"""Token log-probabilities for whisper output, taken from the word-alignment pass.

faster-whisper keeps only per-word means of the token probabilities that CTranslate2's ``align``
computes. :class:`AlignRecorder` wraps the CTranslate2 model and, while a thread is recording,
keeps every (token, probability) pair that ``align`` returns, in decoding order.
"""

from __future__ import annotations

import math
import threading
from collections import deque
from typing import Any

from engines.types import TokenLogprob


def _byte_decoder() -> dict[str, int]:
    """GPT-2's reversible byte <-> unicode table, inverted (whisper's tokenizer uses it)."""
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1))
    printable += list(range(ord("®"), ord("ÿ") + 1))
    chars = printable[:]
    extra = 0
    for b in range(256):
        if b not in printable:
            printable.append(b)
            chars.append(256 + extra)
            extra += 1
    return {chr(c): b for b, c in zip(printable, chars, strict=True)}


_BYTES = _byte_decoder()


class AlignRecorder:
    """A transparent proxy of a CTranslate2 Whisper model that records ``align`` token probabilities."""

    def __init__(self, model: Any) -> None:
        self._model = model
        self._local = threading.local()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._model, name)

    def align(
        self,
        encoder_output: Any,
        start_sequence: Any,
        text_tokens: list[list[int]],
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        """CTranslate2's ``align``; also records (token, probability) pairs when this thread records."""
        results = self._model.align(encoder_output, start_sequence, text_tokens, *args, **kwargs)
        sink: deque[tuple[int, float]] | None = getattr(self._local, "sink", None)
        if sink is not None:
            for tokens, result in zip(text_tokens, results, strict=False):
                sink.extend(zip(tokens, result.text_token_probs, strict=False))
        return results

    def start(self) -> deque[tuple[int, float]]:
        """Begin recording on this thread; returns the queue that fills up."""
        self._local.sink = deque()
        return self._local.sink

    def stop(self) -> None:
        """Stop recording on this thread."""
        self._local.sink = None


def take_logprobs(
    sink: deque[tuple[int, float]], text_tokens: list[int], tokenizer: Any
) -> tuple[TokenLogprob, ...] | None:
    """Pop the recorded pairs for these tokens; None when the record does not match them."""
    taken: list[TokenLogprob] = []
    for token in text_tokens:
        if not sink or sink[0][0] != token:
            return None
        _, probability = sink.popleft()
        raw = bytes(_BYTES.get(ch, 63) for ch in tokenizer.id_to_token(token) or "")
        taken.append(
            TokenLogprob(
                token=raw.decode("utf-8", errors="replace"),
                logprob=math.log(max(float(probability), 1e-12)),
                bytes=tuple(raw),
            )
        )
    return tuple(taken)
