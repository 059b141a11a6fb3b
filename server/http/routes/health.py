"""Liveness (/health) and readiness (/ready)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

router = APIRouter()


@router.get("/health")
async def health() -> dict:
    """Alive: answers at once, never touches models (async: no thread-pool hop)."""
    return {"status": "ok"}


@router.get("/ready")
async def ready(request: Request) -> JSONResponse:
    """Ready once the manifest is valid and the default models' files are materialised and verified."""
    state = request.app.state.readiness
    registry = request.app.state.registry
    status = registry.status()
    unavailable = {k: v["error"] for k, v in status.items() if v["error"]}
    body = {
        "status": "ready" if state.ready else "starting",
        "models": {k: {"loaded": v["loaded"], "error": v["error"]} for k, v in status.items()},
        "unavailable": unavailable,
        "build": request.app.state.build,
    }
    if state.failed:
        body["status"] = "unavailable"
        body["reason"] = state.failed
    return JSONResponse(body, status_code=200 if state.ready else 503)
