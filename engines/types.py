"""Plain data types shared by the engines and the server."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RuntimeOptions:
    """Where and how models run; built once from the server settings."""

    device: str = "cpu"  # "cpu" or "cuda" (already resolved from "auto")
    compute_type: str = "int8"  # CTranslate2 compute type
    cpu_threads: int = 2  # threads per model instance (CTranslate2 and onnxruntime)
    device_index: int = 0
