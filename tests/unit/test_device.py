"""Device auto-selection and thread defaults."""

from __future__ import annotations

from engines.device import cuda_device_count, default_cpu_threads, resolve_device
from server.settings import Settings


def test_auto_on_this_cpu_only_machine_is_cpu_int8() -> None:
    assert cuda_device_count() == 0
    assert resolve_device("auto", "auto") == ("cpu", "int8")
    assert Settings(models_dir="/tmp/x").runtime().device == "cpu"


def test_auto_with_a_gpu_is_cuda_float16() -> None:
    assert resolve_device("auto", "auto", cuda_devices=1) == ("cuda", "float16")
    assert resolve_device("cpu", "auto", cuda_devices=1) == ("cpu", "int8")
    assert resolve_device("cuda", "int8_float16", cuda_devices=1) == ("cuda", "int8_float16")


def test_threads_times_workers_never_exceed_cores() -> None:
    for cores in (1, 2, 8, 16):
        for workers in (1, 2, 3, 4):
            assert default_cpu_threads(workers, cores) * workers <= max(cores, workers)
    assert default_cpu_threads(1, 2) == 2


def test_settings_from_env(monkeypatch) -> None:
    monkeypatch.setenv("EARSHOT_API_KEYS", "a, b")
    monkeypatch.setenv("EARSHOT_PRELOAD", "whisper-1")
    s = Settings()
    assert s.api_keys == ["a", "b"] and s.preload == ["whisper-1"]
    assert s.host == "127.0.0.1"


def test_openmp_spins_briefly_whatever_the_number_of_loaded_models(monkeypatch) -> None:
    from engines.device import limit_spin_waits

    monkeypatch.delenv("GOMP_SPINCOUNT", raising=False)
    monkeypatch.setenv("OMP_WAIT_POLICY", "PASSIVE")  # an operator's explicit choice wins
    limit_spin_waits()
    import os

    assert os.environ["GOMP_SPINCOUNT"] == "1000"
    assert os.environ["OMP_WAIT_POLICY"] == "PASSIVE"
    monkeypatch.delenv("OMP_WAIT_POLICY")
    limit_spin_waits()
    assert os.environ["OMP_WAIT_POLICY"] == "ACTIVE"
