"""All the routes of accounts, in one table that aiohttp and the OpenAPI document share."""

from __future__ import annotations

from aiohttp import web

from . import admin_api, api, internal_api, openapi
from .service import system_clock
from .web import CLOCK, ROUTES, Route, accounts_errors

OPENAPI_DOC = web.AppKey("accounts_openapi", dict)


async def get_openapi(request: web.Request) -> web.Response:
    return web.json_response(request.app[OPENAPI_DOC])


def all_routes() -> list[Route]:
    return [
        *api.ROUTES,
        *admin_api.ROUTES,
        Route("GET", "/api/accounts/openapi.json", get_openapi, "This document (OpenAPI 3.1)", "Meta"),
        *internal_api.ROUTES,
    ]


def setup_routes(app: web.Application) -> None:
    # The clock every use case reads; tests replace it before the app starts.
    app[CLOCK] = system_clock
    app.middlewares.append(accounts_errors)
    routes = all_routes()
    app[ROUTES] = routes
    for route in routes:
        app.router.add_route(route.method, route.path, route.handler)
    app[OPENAPI_DOC] = openapi.build(routes)
