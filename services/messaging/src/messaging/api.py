"""Public HTTP entrypoints of messaging."""

from __future__ import annotations

from aiohttp import web
from servicekit.service import DB


async def list_themes(request: web.Request) -> web.Response:
    rows = await request.app[DB].fetch(
        "SELECT id, code, label FROM themes WHERE active ORDER BY position, label"
    )
    return web.json_response(
        {"themes": [{"id": str(r["id"]), "code": r["code"], "label": r["label"]} for r in rows]}
    )


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/api/messaging/themes", list_themes)
