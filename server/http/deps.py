"""Accessors for the objects create_app puts on app.state."""

from __future__ import annotations

from fastapi import Request

from engines.registry import ModelRegistry
from server.core import Services
from server.settings import Settings


def get_registry(request: Request) -> ModelRegistry:
    """The model registry built at start-up."""
    return request.app.state.registry


def get_settings(request: Request) -> Settings:
    """The settings the app was created with."""
    return request.app.state.settings


def get_services(request: Request) -> Services:
    """The serving core's services (transcription, diarization, speech)."""
    return request.app.state.services
