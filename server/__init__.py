"""Earshot's OpenAI-compatible HTTP layer (FastAPI + uvicorn)."""
