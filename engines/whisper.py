"""faster-whisper (CTranslate2) wrapper: loading a whisper model directory."""

from __future__ import annotations

import logging
from pathlib import Path

from engines.types import RuntimeOptions

logger = logging.getLogger(__name__)


class WhisperEngine:
    """A loaded faster-whisper model."""

    def __init__(self, model: object, model_dir: Path, english_only: bool, runtime: RuntimeOptions) -> None:
        self.model = model
        self.model_dir = model_dir
        self.english_only = english_only
        self.runtime = runtime

    @classmethod
    def load(cls, model_dir: Path, runtime: RuntimeOptions, english_only: bool = False) -> WhisperEngine:
        """Load a CTranslate2 whisper directory (never a hub name: always a path)."""
        from faster_whisper import WhisperModel

        model = WhisperModel(
            str(model_dir),
            device=runtime.device,
            device_index=runtime.device_index,
            compute_type=runtime.compute_type,
            cpu_threads=runtime.cpu_threads,
            num_workers=1,
            local_files_only=True,
        )
        return cls(model, model_dir, english_only or not model.model.is_multilingual, runtime)

    def close(self) -> None:
        """Drop the CTranslate2 model so its memory can be released."""
        model = getattr(self.model, "model", None)
        if model is not None and hasattr(model, "unload_model"):
            try:
                model.unload_model()
            except Exception:  # noqa: BLE001 - best effort on shutdown paths
                logger.debug("unload_model failed", exc_info=True)
        self.model = None
