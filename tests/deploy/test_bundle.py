"""scripts/make_bundle.sh + scripts/install_bundle.sh on a tiny two-wheel project, fully offline.

The full Earshot bundle (~420 MB of wheels) is built and installed by hand (README, "Offline /
air-gapped install"); here the same scripts run on hand-made wheels from a local folder, with pip's
index and config switched off, so the test is fast and proves nothing is fetched from a network.
"""

from __future__ import annotations

import base64
import hashlib
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"


def make_wheel(
    folder: Path, name: str, files: dict[str, str], requires: tuple[str, ...] = (), scripts: str = ""
) -> Path:
    """A minimal valid py3-none-any wheel (METADATA, WHEEL, RECORD with hashes)."""
    dist = f"{name}-1.0.dist-info"
    members = dict(files)
    members[f"{dist}/METADATA"] = f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n" + "".join(
        f"Requires-Dist: {r}\n" for r in requires
    )
    members[f"{dist}/WHEEL"] = (
        "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    )
    if scripts:
        members[f"{dist}/entry_points.txt"] = f"[console_scripts]\n{scripts}\n"
    record = []
    for path, text in members.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(text.encode())}")
    members[f"{dist}/RECORD"] = "\n".join([*record, f"{dist}/RECORD,,"]) + "\n"
    wheel = folder / f"{name}-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        for path, text in members.items():
            zf.writestr(path, text)
    return wheel


@pytest.fixture
def offline_env(tmp_path: Path) -> dict[str, str]:
    """pip with no index and no config: only the local folder of wheels exists."""
    index = tmp_path / "index"
    index.mkdir()
    make_wheel(index, "tiny_dep", {"tiny_dep.py": "GREETING = 'hello from the bundle'\n"})
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "EARSHOT_"))}
    env.update(PIP_CONFIG_FILE=os.devnull, PIP_NO_INDEX="1", PIP_FIND_LINKS=str(index))
    return env


def test_bundle_builds_and_installs_offline(tmp_path: Path, offline_env: dict[str, str]) -> None:
    app = make_wheel(
        tmp_path,
        "tiny_app",
        {"tiny_app.py": "import tiny_dep\n\ndef main():\n    print(tiny_dep.GREETING)\n"},
        requires=("tiny_dep",),
        scripts="tiny-app = tiny_app:main",
    )
    models = tmp_path / "my-models"
    (models / "voice").mkdir(parents=True)
    (models / "manifest.toml").write_text("# imported models\n")
    (models / "voice" / "v.onnx").write_bytes(b"\x00voice")
    bundle = tmp_path / "bundle"
    build = subprocess.run(
        ["bash", str(SCRIPTS / "make_bundle.sh"), "-o", str(bundle), "--models-dir", str(models),
         "--python", sys.executable, "--tar", str(app)],
        env=offline_env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert build.returncode == 0, build.stderr
    assert sorted(p.name for p in (bundle / "wheels").iterdir()) == [
        "tiny_app-1.0-py3-none-any.whl",
        "tiny_dep-1.0-py3-none-any.whl",
    ]
    assert (bundle / "requirements.txt").read_text().split() == ["tiny_app"]
    assert (bundle / "install_bundle.sh").is_file() and (tmp_path / "bundle.tar").is_file()

    # On the "offline machine": a clean environment; the installer switches pip's index off itself.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "EARSHOT_"))}
    prefix, target_models = tmp_path / "venv", tmp_path / "installed-models"
    install = subprocess.run(
        [str(bundle / "install_bundle.sh"), "--prefix", str(prefix), "--models-dir", str(target_models),
         "--python", sys.executable],
        env=env, capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert install.returncode == 0, install.stderr
    run = subprocess.run([str(prefix / "bin" / "tiny-app")], capture_output=True, text=True, timeout=30)
    assert run.stdout.strip() == "hello from the bundle"
    assert (target_models / "voice" / "v.onnx").read_bytes() == b"\x00voice"


def test_tampered_bundle_is_refused(tmp_path: Path, offline_env: dict[str, str]) -> None:
    bundle = tmp_path / "bundle"
    app = make_wheel(tmp_path, "tiny_app", {"tiny_app.py": ""}, requires=("tiny_dep",))
    build = subprocess.run(
        ["bash", str(SCRIPTS / "make_bundle.sh"), "-o", str(bundle), "--python", sys.executable, str(app)],
        env=offline_env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert build.returncode == 0, build.stderr
    with (bundle / "wheels" / "tiny_dep-1.0-py3-none-any.whl").open("ab") as fh:
        fh.write(b"tampered")
    install = subprocess.run(
        [str(bundle / "install_bundle.sh"), "--prefix", str(tmp_path / "venv"), "--python", sys.executable],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert install.returncode != 0 and "FAILED" in install.stdout + install.stderr
    assert not (tmp_path / "venv").exists()


def test_missing_wheel_fails_the_build(tmp_path: Path, offline_env: dict[str, str]) -> None:
    app = make_wheel(tmp_path, "needs_more", {"needs_more.py": ""}, requires=("not_in_the_index",))
    script = str(SCRIPTS / "make_bundle.sh")
    cmd = ["bash", script, "-o", str(tmp_path / "b"), "--python", sys.executable, str(app)]
    build = subprocess.run(cmd, env=offline_env, capture_output=True, text=True, timeout=120)
    assert build.returncode != 0 and "not_in_the_index" in build.stderr
