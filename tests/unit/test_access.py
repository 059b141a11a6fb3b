"""Route templates for metric labels, also for requests refused before routing (401, 413)."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

from server.access import UNMATCHED, route_table, route_template


def make_app() -> FastAPI:
    router = APIRouter()

    @router.get("/items/{item_id}")
    def item(item_id: int) -> dict:
        return {}

    @router.post("/files/{path:path}")
    def upload(path: str) -> dict:
        return {}

    app = FastAPI()
    app.include_router(router)
    app.include_router(router, prefix="/v2")
    return app


def test_templates_from_included_routers_with_prefixes() -> None:
    table = route_table(make_app())
    assert route_template({"path": "/items/7", "method": "GET"}, table) == "/items/{item_id}"
    assert route_template({"path": "/v2/items/7", "method": "GET"}, table) == "/v2/items/{item_id}"
    assert route_template({"path": "/files/a/b.wav", "method": "POST"}, table) == "/files/{path}"
    assert route_template({"path": "/items/7", "method": "DELETE"}, table) == "/items/{item_id}"  # a 405
    assert route_template({"path": "/nothing/here", "method": "GET"}, table) == UNMATCHED


def test_routed_requests_use_the_router_s_choice() -> None:
    class Route:
        path_format = "/v1/models/{model}"

    assert route_template({"path": "/v1/models/x", "route": Route()}) == "/v1/models/{model}"
    assert route_template({"path": "/v1/models/x"}) == UNMATCHED
