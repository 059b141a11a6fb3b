"""Workloads 1 and 2: short clips (identical options and each side's defaults) and long audio."""

from __future__ import annotations

from functools import partial
from typing import Any

from benchlib import raw
from benchlib.client import Client
from benchlib.data import Clip, long_clip, short_clips
from benchlib.results import Results, Row, ratio_row
from benchlib.timing import Pairs, alternate, progress
from server.commands.wer import wer as wer_fraction

# "Identical options", expressed on both sides: English forced, Silero VAD with the same parameters
# (the server's defaults, sent explicitly as OpenAI's chunking_strategy), everything else at the
# values both sides share by default (beam 5, temperature fallback 0.0...1.0, no-speech 0.6,
# log-prob -1.0, conditioning on previous text, segment timestamps). json needs no word timings.
VAD = {"threshold": 0.5, "min_silence_duration_ms": 1000, "speech_pad_ms": 400}
IDENTICAL_FIELDS: dict[str, str] = {
    "language": "en",
    "chunking_strategy[type]": "server_vad",
    "chunking_strategy[threshold]": str(VAD["threshold"]),
    "chunking_strategy[silence_duration_ms]": str(VAD["min_silence_duration_ms"]),
    "chunking_strategy[prefix_padding_ms]": str(VAD["speech_pad_ms"]),
}


def identical_raw_options() -> dict[str, Any]:
    """The faster-whisper keyword arguments that match :data:`IDENTICAL_FIELDS`."""
    from faster_whisper.vad import VadOptions

    return {"language": "en", "vad_filter": True, "vad_parameters": VadOptions(**VAD)}


def _pairs(
    name: str,
    model: Any,
    client: Client,
    clip: Clip,
    raw_opts: dict[str, Any],
    fields: dict[str, str],
    model_name: str,
    pairs: int,
    warmup: int = 1,
) -> Pairs:
    wav = clip.wav
    return alternate(
        name,
        partial(raw.transcribe, model, wav, **raw_opts),
        partial(client.transcribe, wav, {**fields, "model": model_name}),
        pairs,
        warmup,
    )


def wer(reference: str, hypothesis: str) -> float:
    """Word error rate in percent (the project's one implementation, server/commands/wer.py)."""
    return 100.0 * wer_fraction(reference, hypothesis)


def _wer_row(name: str, clip: Clip, result: Pairs) -> Row:
    raw_wer = wer(clip.reference, result.raw_out[-1])
    http_wer = wer(clip.reference, result.http_out[-1])
    ok = http_wer <= raw_wer + 0.5
    return Row(f"{name}: WER (%)", f"{raw_wer:.1f}", f"{http_wer:.1f}", None, "≤ raw + 0.5", ok)


def short(results: Results, client: Client, base: Any, pairs: int) -> None:
    """~10 s and ~35 s clips, whisper-base, json; identical options (≤ 1.03×) and defaults (10 s: ≤ 0.75×)."""
    ten, thirty_five = short_clips()
    for clip in (ten, thirty_five):
        label = f"short {clip.seconds:.0f} s, whisper-base"
        same = _pairs(
            f"{label}, identical options",
            base,
            client,
            clip,
            identical_raw_options(),
            IDENTICAL_FIELDS,
            "whisper-base",
            pairs,
        )
        results.rows.append(
            ratio_row(
                f"{label}, identical options",
                same.raw_median,
                same.http_median,
                1.03,
                cpu_ratio=same.cpu_ratio,
            )
        )
        default = _pairs(f"{label}, defaults", base, client, clip, {}, {}, "whisper-base", pairs)
        limit = 0.75 if clip is ten else None
        results.rows.append(
            ratio_row(
                f"{label}, each side's defaults",
                default.raw_median,
                default.http_median,
                limit,
                cpu_ratio=default.cpu_ratio,
            )
        )
        row = _wer_row(label + ", defaults", clip, default)
        if clip is not ten:
            row.target, row.ok = "", None
        results.rows.append(row)


def short_tiny(results: Results, client: Client, tiny: Any, pairs: int) -> None:
    """The ~10 s clip on whisper-tiny.en with identical options (reported, no target)."""
    ten, _ = short_clips()
    label = f"short {ten.seconds:.0f} s, whisper-tiny.en"
    same = _pairs(
        f"{label}, identical options",
        tiny,
        client,
        ten,
        identical_raw_options(),
        IDENTICAL_FIELDS,
        "whisper-tiny.en",
        pairs,
    )
    results.rows.append(
        ratio_row(
            f"{label}, identical options", same.raw_median, same.http_median, None, cpu_ratio=same.cpu_ratio
        )
    )


def long(results: Results, client: Client, base: Any, pairs: int, min_seconds: float) -> None:
    """≥ 3 min of real speech: server default vs raw default ``transcribe`` (≤ 0.45×), WER of both."""
    clip = long_clip(min_seconds)
    label = f"long {clip.seconds:.0f} s, whisper-base, each side's defaults"
    progress(f"{label}: warm-up on the 35 s clip (both sides)")
    _, warm = short_clips()
    raw.transcribe(base, warm.wav)
    client.transcribe(warm.wav, {"model": "whisper-base"})
    result = _pairs(label, base, client, clip, {}, {}, "whisper-base", pairs, warmup=0)
    results.rows.append(
        ratio_row(label, result.raw_median, result.http_median, 0.45, cpu_ratio=result.cpu_ratio)
    )
    results.rows.append(_wer_row(f"long {clip.seconds:.0f} s", clip, result))
