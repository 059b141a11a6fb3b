"""The playground page: ``/`` redirects to ``/playground``; plain HTML/JS/CSS from ``server/http/static``."""

from __future__ import annotations

from importlib.resources import files

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.exceptions import HTTPException

router = APIRouter(include_in_schema=False)

ASSETS = {
    "playground.js": "text/javascript; charset=utf-8",
    "live.js": "text/javascript; charset=utf-8",
    "playground.css": "text/css; charset=utf-8",
}
# Served without an API key: the page itself holds no data; it asks the user for the key.
OPEN_PATHS = ("/", "/playground", *(f"/playground/{name}" for name in ASSETS))


def _read(name: str) -> str:
    return files("server.http").joinpath("static", name).read_text(encoding="utf-8")


@router.get("/")
async def root() -> RedirectResponse:
    """Browsers landing on the server go to the playground."""
    return RedirectResponse("/playground", status_code=307)


@router.get("/playground")
async def playground(request: Request) -> HTMLResponse:
    """The page; tells its script whether requests need an API key."""
    auth = "required" if request.app.state.settings.all_api_keys() else "none"
    html = _read("playground.html").replace("{{AUTH}}", auth)
    return HTMLResponse(html, headers={"cache-control": "no-cache"})


@router.get("/playground/{name}")
async def asset(name: str) -> Response:
    """The page's script and style sheet."""
    if name not in ASSETS:
        raise HTTPException(404, "Not Found")
    return Response(_read(name), media_type=ASSETS[name], headers={"cache-control": "no-cache"})
