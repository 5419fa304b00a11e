"""All the routes of accounts, in one table that aiohttp and the OpenAPI document share."""

from __future__ import annotations

from aiohttp import web
from servicekit.openapi import Route, add_routes, openapi_route

from . import admin_api, api, dossier_api, internal_api
from .service import system_clock
from .web import CLOCK, PUBLIC

OPENAPI = openapi_route(
    "/api/accounts/openapi.json",
    title="Portail Famille — accounts",
    description="Parents' accounts, sessions and family files; staff administration under /api/accounts/admin.",
    access=PUBLIC,
    # The extension members of accounts' problem documents (Throttled errors, service.imports).
    problem_properties={
        "retry_after": {"type": "integer", "description": "seconds, with 429 (also in Retry-After)"},
        "report": {
            "type": "array",
            "description": "CSV import: one entry per rejected line",
            "items": {
                "type": "object",
                "properties": {"line": {"type": ["integer", "null"]}, "reason": {"type": "string"}},
            },
        },
    },
)


def all_routes() -> list[Route]:
    return [*api.ROUTES, *dossier_api.ROUTES, *admin_api.ROUTES, OPENAPI, *internal_api.ROUTES]


def setup_routes(app: web.Application) -> None:
    # The clock every use case reads; tests replace it before the app starts.
    app[CLOCK] = system_clock
    add_routes(app, all_routes())
