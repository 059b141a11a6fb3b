"""piper-tts wrapper: loading a piper voice with a thread-limited onnxruntime session."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from engines.types import RuntimeOptions

logger = logging.getLogger(__name__)


class PiperEngine:
    """A loaded piper voice."""

    def __init__(self, voice: object, onnx_path: Path, runtime: RuntimeOptions) -> None:
        self.voice = voice
        self.onnx_path = onnx_path
        self.runtime = runtime

    @property
    def sample_rate(self) -> int:
        """The voice's native sample rate (Hz)."""
        return int(self.voice.config.sample_rate)  # type: ignore[attr-defined]

    @classmethod
    def load(cls, onnx_path: Path, runtime: RuntimeOptions) -> PiperEngine:
        """Load ``voice.onnx`` + ``voice.onnx.json`` with ``runtime.cpu_threads`` intra-op threads."""
        import onnxruntime
        from piper.config import PiperConfig
        from piper.voice import PiperVoice

        config_path = Path(f"{onnx_path}.json")
        config = PiperConfig.from_dict(json.loads(config_path.read_text(encoding="utf-8")))
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = runtime.cpu_threads
        options.inter_op_num_threads = 1
        providers: list[str] = ["CPUExecutionProvider"]
        if runtime.device == "cuda" and "CUDAExecutionProvider" in onnxruntime.get_available_providers():
            providers.insert(0, "CUDAExecutionProvider")
        session = onnxruntime.InferenceSession(str(onnx_path), sess_options=options, providers=providers)
        return cls(PiperVoice(session=session, config=config), onnx_path, runtime)

    def close(self) -> None:
        """Drop the onnxruntime session."""
        self.voice = None
