"""One way to open an onnxruntime session for the engines (piper, Kokoro, CAM++)."""

from __future__ import annotations

from typing import Any

# The intra-op pool spins between the operators of a run (fast hand-offs), but by default it also keeps
# spinning after the run returns, on the cores the encoder and the event loop need next: measured on
# 2 cores, the first audio bytes reached the event loop 2-3 ms after piper's first sentence with the
# spin and ~1 ms without; synthesis itself was no slower (piper, 10 sentences, alternating A/B).
FORCE_SPINNING_STOP = "session.force_spinning_stop"


def open_session(model: str | bytes, threads: int, device: str = "cpu") -> Any:
    """An ``InferenceSession`` with ``threads`` intra-op threads, one inter-op thread, CUDA when asked
    for and available, and no spinning once a run has returned."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.add_session_config_entry(FORCE_SPINNING_STOP, "1")
    providers: list[str] = ["CPUExecutionProvider"]
    if device == "cuda" and "CUDAExecutionProvider" in onnxruntime.get_available_providers():
        providers.insert(0, "CUDAExecutionProvider")
    return onnxruntime.InferenceSession(model, sess_options=options, providers=providers)
