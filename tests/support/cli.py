"""Run the ``earshot`` command line in a subprocess, with a clean EARSHOT_ environment."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def earshot(
    *args: str, env: dict[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess:
    """``python -m server ARGS`` (the ``earshot`` entry point); stdout/stderr captured as text."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("EARSHOT_", "HF_"))}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "server", *args],
        cwd=REPO,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
