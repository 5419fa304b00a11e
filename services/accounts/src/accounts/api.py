"""Public HTTP entrypoints of accounts."""

from __future__ import annotations

from aiohttp import web
from servicekit.problems import Problem
from servicekit.service import DB


async def get_terms(request: web.Request) -> web.Response:
    row = await request.app[DB].fetchrow(
        "SELECT version, text FROM terms ORDER BY published_at DESC, version DESC LIMIT 1"
    )
    if row is None:
        raise Problem(404, "no_terms", "Les conditions d'utilisation ne sont pas encore publiées.")
    return web.json_response({"version": row["version"], "text": row["text"]})


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/api/accounts/terms", get_terms)
