"""GET /v1/models and GET /v1/models/{model} (ids may contain '/')."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from engines.manifest import ModelSpec
from engines.registry import ModelRegistry
from server.http.deps import get_registry
from server.http.protocol.models import Model, ModelList

router = APIRouter()


def _describe(spec: ModelSpec, name: str, created: int, registry: ModelRegistry) -> Model:
    return Model(
        id=name,
        created=created,
        kind=spec.kind,  # type: ignore[arg-type]
        backend=spec.backend,
        root=spec.id,
        aliases=list(spec.aliases) if name == spec.id else [],
        voices=list(spec.voices),
        english_only=spec.english_only,
        loaded=registry.is_loaded(spec.id),
        description=spec.description if name == spec.id else f"alias of {spec.id}",
    )


@router.get("/v1/models", response_model=ModelList)
def list_models(request: Request, registry: ModelRegistry = Depends(get_registry)) -> ModelList:
    """Every real model, then every alias, each as an OpenAI Model object."""
    created = request.app.state.created
    data = [_describe(m, m.id, created, registry) for m in registry.models()]
    data += [_describe(m, alias, created, registry) for m in registry.models() for alias in m.aliases]
    return ModelList(data=data)


@router.get("/v1/models/{model:path}", response_model=Model)
def retrieve_model(model: str, request: Request, registry: ModelRegistry = Depends(get_registry)) -> Model:
    """One model by id or alias; unknown names are 404 model_not_found."""
    spec = registry.resolve(model)
    return _describe(spec, model, request.app.state.created, registry)
