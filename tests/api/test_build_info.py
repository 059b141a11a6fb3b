"""What a running server says about itself: version, Python, device (in /ready and /metrics)."""

from __future__ import annotations

import platform
import time

import httpx

from server.build import version


def test_ready_and_metrics_show_version_device_and_compute_type(base_url: str) -> None:
    build = httpx.get(f"{base_url}/ready").json()["build"]
    assert build == {
        "version": version(),
        "python": platform.python_version(),
        "device": "cpu",
        "compute_type": "int8",
        "cpu_threads": build["cpu_threads"],
    }
    assert version() != "0+unknown" and int(build["cpu_threads"]) >= 1
    text = httpx.get(f"{base_url}/metrics").text
    line = next(x for x in text.splitlines() if x.startswith("earshot_build_info{"))
    assert f'version="{version()}"' in line and 'device="cpu"' in line and 'compute_type="int8"' in line
    assert line.endswith(" 1.0")


def test_cuda_without_a_gpu_never_reports_ready(server_factory) -> None:
    """Before: /ready said ready, then every transcription was a 503."""
    server = server_factory(args=["--device", "cuda"], wait_ready=False)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        body = httpx.get(f"{server.base_url}/ready").json()
        if body["status"] != "starting":
            break
        time.sleep(0.2)
    ready = httpx.get(f"{server.base_url}/ready")
    assert ready.status_code == 503
    assert ready.json()["status"] == "unavailable"
    assert "no usable CUDA GPU" in ready.json()["reason"] and "--device cpu" in ready.json()["reason"]
    assert ready.json()["build"]["device"] == "cuda"
    assert "not ready: --device cuda was asked for" in server.log()
    assert "ready in" not in server.log()
