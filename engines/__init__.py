"""Engine wrappers: faster-whisper, piper, PyAV audio, the model manifest and registry.

Nothing in this package imports ``server``, FastAPI or openai.
"""
