"""`earshot bench` without the bench extra says how to install it (no traceback)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from tests.support.cli import REPO, earshot


def blocking(tmp_path: Path, *modules: str) -> dict[str, str]:
    """Environment whose Python cannot import these modules, as if they were not installed.

    A ``sitecustomize`` on PYTHONPATH puts None in ``sys.modules`` for each: ``import`` then raises
    ModuleNotFoundError and ``importlib.util.find_spec`` returns None, in this process and in children.
    """
    (tmp_path / "sitecustomize.py").write_text(
        "import sys\n" + "".join(f"sys.modules[{m!r}] = None\n" for m in modules)
    )
    return {"PYTHONPATH": str(tmp_path)}


def test_bench_modules_are_the_bench_extra() -> None:
    from server.commands.bench import BENCH_MODULES

    extra = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["optional-dependencies"]["bench"]
    assert sorted(re.split(r"[<>=!~ ;\[]", req, maxsplit=1)[0] for req in extra) == sorted(BENCH_MODULES)


def test_bench_without_the_extra_says_how_to_install_it(tmp_path: Path) -> None:
    env = blocking(tmp_path, "httpx", "matplotlib")
    for args in (["--help"], ["--quick"]):
        result = earshot("bench", *args, env=env)
        assert result.returncode == 2, result.stdout + result.stderr
        assert "pip install 'earshot[bench]'" in result.stderr
        assert "Traceback" not in result.stderr
    helped = earshot("bench", "--help", env=env)
    assert helped.stdout.startswith("usage: earshot bench") and "scripts/bench.py" in helped.stdout


def test_bench_names_the_one_missing_module(tmp_path: Path) -> None:
    result = earshot("bench", "--help", env=blocking(tmp_path, "httpx"))
    assert result.returncode == 2 and re.search(r"\(httpx(, \w+)* not installed\)", result.stderr)
