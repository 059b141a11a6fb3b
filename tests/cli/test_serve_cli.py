"""`earshot serve --help` documents every setting; the config file works end to end; `earshot bench`."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import httpx

from server.settings import Settings
from tests.support.cli import earshot


def test_serve_help_documents_every_setting() -> None:
    result = earshot("serve", "--help")
    assert result.returncode == 0
    text = re.sub(r"\s+", " ", result.stdout)
    for name, field in Settings.model_fields.items():
        assert f"EARSHOT_{name.upper()}" in text, name
        assert (field.description or "").split(".")[0][:30] in text, name
    assert "--api-key" in text and "--extra-manifest" in text and "--config PATH" in text


def test_config_file_with_env_and_flag_precedence(server_factory, tmp_path: Path) -> None:
    config = tmp_path / "earshot.toml"
    config.write_text(
        textwrap.dedent(
            """
            port = 1                      # the flag the test harness passes wins
            api_keys = ["file-key"]
            max_upload_bytes = 2000
            """
        )
    )
    server = server_factory(args=["--config", str(config)])
    url = f"{server.base_url}/v1/models"
    assert httpx.get(url).status_code == 401
    assert httpx.get(url, headers={"Authorization": "Bearer file-key"}).status_code == 200
    assert '"max_upload_bytes":2000' in server.log()  # the settings line printed at start

    by_env = server_factory(args=["--config", str(config)], env={"EARSHOT_API_KEYS": "env-key"})
    url = f"{by_env.base_url}/v1/models"
    assert httpx.get(url, headers={"Authorization": "Bearer file-key"}).status_code == 401
    assert httpx.get(url, headers={"Authorization": "Bearer env-key"}).status_code == 200


def test_bad_config_file_is_a_clear_error(tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text("prot = 8000\n")
    result = earshot("serve", "--config", str(config))
    assert result.returncode == 2 and "unknown setting(s) prot" in result.stderr


def test_bench_runs_the_script_with_its_arguments(tmp_path: Path) -> None:
    script = tmp_path / "bench.py"
    script.write_text("import sys\nprint('bench got', sys.argv[1:])\nsys.exit(3)\n")
    result = earshot("bench", "--quick", "--pairs", "1", env={"EARSHOT_BENCH_SCRIPT": str(script)})
    assert result.returncode == 3 and "bench got ['--quick', '--pairs', '1']" in result.stdout
    result = earshot("bench", "--", "--help", env={"EARSHOT_BENCH_SCRIPT": str(script)})
    assert "bench got ['--help']" in result.stdout


def test_bench_without_the_script_fails_clearly(tmp_path: Path) -> None:
    result = earshot("bench", env={"EARSHOT_BENCH_SCRIPT": str(tmp_path / "absent.py")})
    assert result.returncode == 2 and "absent.py is not there" in result.stderr
