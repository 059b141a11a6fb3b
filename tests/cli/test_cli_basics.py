"""What every `earshot` invocation shares: --version, and output into a closed pipe."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import pytest

from tests.support.cli import REPO, earshot


def test_version_prints_the_installed_version() -> None:
    result = earshot("--version")
    assert result.returncode == 0, result.stderr
    expected = metadata.version("earshot")
    assert result.stdout == f"earshot {expected}\n"
    assert expected == tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]


def many_models_manifest(path: Path, count: int = 2000) -> Path:
    """An extra manifest listing ``count`` (absent) models: output far larger than a pipe's buffer."""
    entries = [
        f'[[models]]\nid = "m{i:04d}"\nkind = "stt"\nbackend = "faster-whisper"\n'
        f'aliases = ["alias-{i}-a", "alias-{i}-b"]\npath = "/nonexistent/earshot-test/m{i:04d}"\n'
        for i in range(count)
    ]
    path.write_text("\n".join(entries))
    return path


@pytest.mark.parametrize("fmt", [[], ["--json"]])
def test_output_into_a_pipe_closed_early_ends_quietly(tmp_path: Path, fmt: list[str]) -> None:
    manifest = many_models_manifest(tmp_path / "many.toml")
    command = shlex.join(
        [sys.executable, "-m", "server", "models", "list", "--extra-manifest", str(manifest), *fmt]
    )
    script = f'{command} 2>"$ERR" | head -n 1; echo "status=${{PIPESTATUS[0]}}"'
    env = {k: v for k, v in os.environ.items() if not k.startswith("EARSHOT_")}
    env["ERR"] = str(tmp_path / "stderr.txt")
    shell = subprocess.run(
        ["bash", "-c", script], cwd=REPO, env=env, capture_output=True, text=True, timeout=120
    )
    first, status = shell.stdout.splitlines()
    assert first == "[" if fmt else first.split()[:2] == ["ID", "KIND"]
    assert (tmp_path / "stderr.txt").read_text() == ""  # no BrokenPipeError traceback
    assert status == "status=141"  # as if killed by SIGPIPE, like any well-behaved filter
