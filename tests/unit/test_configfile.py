"""The optional TOML config file and its precedence: flag > environment > file > default."""

from __future__ import annotations

from pathlib import Path

import pytest

from server.configfile import ConfigFileError
from server.settings import Settings


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for key in list(os.environ):
        if key.startswith("EARSHOT_"):
            monkeypatch.delenv(key)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "earshot.toml"
    path.write_text(text)
    return path


def test_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = write(tmp_path, 'port = 9001\nhost = "0.0.0.0"\nmax_queue = 7\napi_keys = ["from-file"]\n')
    assert Settings(config=cfg).port == 9001  # file > default
    assert Settings(config=cfg).max_concurrency == 1  # default where the file is silent
    monkeypatch.setenv("EARSHOT_PORT", "9002")
    monkeypatch.setenv("EARSHOT_API_KEYS", "a,b")
    s = Settings(config=cfg)
    assert (s.port, s.host, s.max_queue, s.api_keys) == (9002, "0.0.0.0", 7, ["a", "b"])  # env > file
    assert Settings(config=cfg, port=9003).port == 9003  # flag > env


def test_config_named_by_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EARSHOT_CONFIG", str(write(tmp_path, "workers = 3\n")))
    assert Settings().workers == 3


def test_relative_paths_are_relative_to_the_file(tmp_path: Path) -> None:
    (tmp_path / "etc").mkdir()
    cfg = tmp_path / "etc" / "e.toml"
    cfg.write_text('models_dir = "../models"\nextra_manifests = ["extra.toml"]\n')
    s = Settings(config=cfg)
    assert s.models_dir.resolve() == (tmp_path / "models").resolve()
    assert s.extra_manifests == [tmp_path.resolve() / "etc" / "extra.toml"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("prot = 1\n", "unknown setting\\(s\\) prot"),
        ("port = \n", "not valid TOML"),
        ("config = 'x'\n", "config"),
    ],
)
def test_bad_files_are_clear_errors(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigFileError, match=message):
        Settings(config=write(tmp_path, text))


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigFileError, match="does not exist"):
        Settings(config=tmp_path / "absent.toml")
