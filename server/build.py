"""What this server is: its version, Python, and where its models run (for /ready and /metrics)."""

from __future__ import annotations

import platform
from importlib import metadata

from engines.types import RuntimeOptions


def version() -> str:
    """The installed earshot version (``0+unknown`` when run from a tree that was never installed)."""
    try:
        return metadata.version("earshot")
    except metadata.PackageNotFoundError:
        return "0+unknown"


def build_info(runtime: RuntimeOptions) -> dict[str, str]:
    """Labels of ``earshot_build_info`` and the ``build`` object of ``/ready``."""
    return {
        "version": version(),
        "python": platform.python_version(),
        "device": runtime.device,
        "compute_type": runtime.compute_type,
        "cpu_threads": str(runtime.cpu_threads),
    }
