"""GET /metrics: Prometheus exposition of the app's Metrics (behind the API key when keys are set)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

router = APIRouter()


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request) -> Response:
    """Scrape: Prometheus text format, or OpenMetrics when the Accept header asks for it."""
    body, content_type = request.app.state.metrics.render(request.headers.get("accept", ""))
    return Response(body, headers={"content-type": content_type, "cache-control": "no-store"})
