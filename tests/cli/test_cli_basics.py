"""What every `earshot` invocation shares: --version, and output into a closed pipe."""

from __future__ import annotations

import tomllib
from importlib import metadata

from tests.support.cli import REPO, earshot


def test_version_prints_the_installed_version() -> None:
    result = earshot("--version")
    assert result.returncode == 0, result.stderr
    expected = metadata.version("earshot")
    assert result.stdout == f"earshot {expected}\n"
    assert expected == tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
