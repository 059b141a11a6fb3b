"""Wire models for /v1/models."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel


class Model(BaseModel):
    """OpenAI's Model object plus what Earshot knows about it."""

    id: str
    object: Literal["model"] = "model"
    created: int
    owned_by: str = "earshot"
    kind: Literal["stt", "tts", "speaker"]
    backend: str
    root: str  # the real model an alias stands for (itself for a real model)
    aliases: list[str] = []
    voices: list[str] = []
    english_only: bool = False
    loaded: bool = False
    description: str = ""


class ModelList(BaseModel):
    """OpenAI's list wrapper."""

    object: Literal["list"] = "list"
    data: list[Model]
