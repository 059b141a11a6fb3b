"""Device and thread selection: CUDA float16 when CTranslate2 sees a GPU, else CPU int8."""

from __future__ import annotations

import logging
import os

logger = logging.getLogger(__name__)


def cuda_device_count() -> int:
    """Number of CUDA devices CTranslate2 can use (0 when there is no GPU or no CUDA runtime)."""
    try:
        import ctranslate2

        return int(ctranslate2.get_cuda_device_count())
    except Exception:  # noqa: BLE001 - a missing CUDA runtime must never stop a CPU server
        logger.debug("CUDA probe failed", exc_info=True)
        return 0


def resolve_device(device: str, compute_type: str, cuda_devices: int | None = None) -> tuple[str, str]:
    """Turn ``auto`` device/compute type into concrete values.

    ``auto`` picks ``cuda`` when a GPU is visible, else ``cpu``; compute type ``auto`` is
    ``float16`` on CUDA and ``int8`` on CPU (float32 is 8-15x slower on CPU).
    """
    if cuda_devices is None:
        cuda_devices = cuda_device_count() if device in ("auto", "cuda") else 0
    if device == "auto":
        device = "cuda" if cuda_devices > 0 else "cpu"
    if compute_type == "auto":
        compute_type = "float16" if device == "cuda" else "int8"
    return device, compute_type


# libgomp (CTranslate2's OpenMP) spins 300,000 rounds at every barrier before it sleeps. When
# anything else wants the cores (piper, decoding, other processes) a spinning worker burns the time
# slice its team is waiting for: one 10 s transcription was measured at 16 s of CPU instead of 2.
# 1,000 is the count libgomp itself falls back to when it knows the cores are oversubscribed.
GOMP_SPINCOUNT = "1000"
# ...but libgomp counts the threads of every OpenMP team in the process, idle ones too: with two whisper
# models loaded (base and tiny.en, say) on 2 cores, it switches to its "throttled" policy, 100 spins by
# default, its threads sleep at almost every barrier and the same transcription takes 1.6-1.9x as long
# (10 s clip, base 1.07-1.12 s vs 0.64-0.67 s; tiny.en 0.61-0.68 s vs 0.33 s). With ACTIVE the throttled
# count is 1,000 too (and GOMP_SPINCOUNT still bounds the normal one), so both cases spin the same
# short while; an idle process stays idle (0.001 CPU-s over 2 s measured).
OMP_WAIT_POLICY = "ACTIVE"


def limit_spin_waits() -> None:
    """Keep OpenMP threads spinning briefly, the same whatever the number of loaded models (call before
    CTranslate2 loads; explicit environment variables win)."""
    os.environ.setdefault("GOMP_SPINCOUNT", GOMP_SPINCOUNT)
    os.environ.setdefault("OMP_WAIT_POLICY", OMP_WAIT_POLICY)


def available_cores() -> int:
    """CPU cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - non-Linux
        return os.cpu_count() or 1


def default_cpu_threads(workers: int, cores: int | None = None) -> int:
    """Threads per model so that threads x workers never exceed the cores."""
    cores = cores or available_cores()
    return max(1, cores // max(1, workers))
