"""Pictures staff uploaded (loyalty/pictures.py), served under `/club/media/<name>`.

A picture's name is the hash of its bytes, so what a name serves never changes: browsers
and the reverse proxy may keep it for a year without asking again.
"""

from __future__ import annotations

from aiohttp import web

from handlers.web.app import PAGES, PREFIX

CACHE = "public, max-age=31536000, immutable"


def add_media_routes(pages: web.Application) -> None:
    pages.router.add_get("/media/{name}", picture)


async def picture(request: web.Request) -> web.StreamResponse:
    path = request.app[PAGES].pictures.path(request.match_info["name"])
    if path is None:
        raise web.HTTPNotFound()
    return web.FileResponse(
        path, headers={"Cache-Control": CACHE, "X-Content-Type-Options": "nosniff"}
    )


def media_url(name: str | None) -> str:
    """The address a page shows a stored picture at; empty for none."""
    return f"{PREFIX}/media/{name}" if name else ""
