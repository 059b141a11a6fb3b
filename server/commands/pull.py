"""``earshot models pull NAME``: Hugging Face Hub download (when there is a network), then import.

Offline, it fails within seconds with a message that says what to do instead (``models import``).
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path

from engines.importer import FoundModel, ImportRejected, find_model

WHISPER_SIZES = {
    "tiny", "tiny.en", "base", "base.en", "small", "small.en", "medium", "medium.en",
    "large-v1", "large-v2", "large-v3",
}  # fmt: skip
PIPER_VOICE = re.compile(
    r"^(?P<lang>[a-z]{2,3})_(?P<region>[A-Z]{2})-(?P<name>[^-/]+)-(?P<quality>x_low|low|medium|high)$"
)
PROBE_TIMEOUT = 5.0


class PullError(Exception):
    """The model cannot be pulled (offline, unknown name, hub library missing)."""


@dataclass(frozen=True)
class Target:
    """Where on the hub a NAME lives."""

    repo_id: str
    allow_patterns: list[str] | None
    subdir: str  # folder of the model inside the download
    suggested_id: str


def resolve(name: str) -> Target:
    """Map a whisper size, a piper voice name or a repo id to a hub target."""
    if name in WHISPER_SIZES:
        return Target(f"Systran/faster-whisper-{name}", None, "", f"whisper-{name}")
    voice = PIPER_VOICE.match(name)
    if voice:
        lang = f"{voice['lang']}_{voice['region']}"
        folder = f"{voice['lang']}/{lang}/{voice['name']}/{voice['quality']}"
        return Target(
            "rhasspy/piper-voices", [f"{folder}/{name}.onnx", f"{folder}/{name}.onnx.json"], folder, name
        )
    if re.fullmatch(r"[\w.-]+/[\w.-]+", name):
        return Target(name, None, "", name)
    raise PullError(
        f"don't know where to find {name!r}: give a repo id (org/name), a whisper size "
        f"({', '.join(sorted(WHISPER_SIZES))}) or a piper voice (like en_GB-alan-medium)"
    )


def offline_recipe(target: Target) -> str:
    """The commands that bring ``target`` in by hand: download on a connected machine, import here.

    ``hf`` is huggingface_hub's command line (>= 1.0 ships only ``hf``, not ``huggingface-cli``); its
    ``--local-dir`` keeps the repo's folders, so the import points at the model's own folder.
    """
    include = f" --include '{target.subdir}/*'" if target.subdir else ""
    folder = f"DIR/{target.subdir}" if target.subdir else "DIR"
    return (
        "On a connected machine run `pip install 'huggingface_hub>=1.0'` and "
        f"`hf download {target.repo_id}{include} --local-dir DIR`, "
        f"copy DIR here and run `earshot models import {folder}`."
    )


def _offline_help(endpoint: str, target: Target, reason: str) -> str:
    return (
        f"cannot reach the Hugging Face Hub at {endpoint} ({reason}): this machine looks offline.\n"
        + offline_recipe(target)
    )


def check_online(target: Target) -> str:
    """The hub endpoint if it answers for this repo; :class:`PullError` otherwise, within seconds."""
    try:
        from huggingface_hub import constants
    except ImportError as exc:
        raise PullError(
            "huggingface_hub is not installed (pip install huggingface_hub), "
            "or download the model elsewhere and use `earshot models import PATH`"
        ) from exc
    endpoint = os.environ.get("HF_ENDPOINT") or constants.ENDPOINT
    if constants.HF_HUB_OFFLINE:
        raise PullError(_offline_help(endpoint, target, "HF_HUB_OFFLINE is set"))
    url = f"{endpoint.rstrip('/')}/api/models/{target.repo_id}"
    try:
        with urllib.request.urlopen(url, timeout=PROBE_TIMEOUT):  # noqa: S310 - the configured hub
            pass
    except urllib.error.HTTPError as exc:
        if exc.code in (401, 404):
            raise PullError(
                f"the hub at {endpoint} has no public model {target.repo_id!r} (HTTP {exc.code})"
            ) from exc
        raise PullError(_offline_help(endpoint, target, f"HTTP {exc.code}")) from exc
    except (urllib.error.URLError, OSError) as exc:
        raise PullError(_offline_help(endpoint, target, str(getattr(exc, "reason", exc)))) from exc
    return endpoint


def download(
    name: str, revision: str | None, models_dir: Path
) -> tuple[FoundModel, AbstractContextManager[None]]:
    """Download NAME into a staging folder under ``models_dir``; returns the model and its cleanup."""
    target = resolve(name)
    check_online(target)
    from huggingface_hub import snapshot_download

    models_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".pull-", dir=models_dir))
    try:
        snapshot_download(
            target.repo_id, revision=revision, allow_patterns=target.allow_patterns, local_dir=staging
        )
        found = find_model(staging / target.subdir if target.subdir else staging)
    except ImportRejected:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    except Exception as exc:  # the hub library's own errors (network dropped, gated repo, ...)
        shutil.rmtree(staging, ignore_errors=True)
        raise PullError(f"downloading {target.repo_id} failed: {type(exc).__name__}: {exc}") from exc
    found = FoundModel(found.backend, found.files, target.suggested_id, found.entry, found.english_only)

    @contextmanager
    def cleanup() -> Iterator[None]:
        try:
            yield None
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    return found, cleanup()
