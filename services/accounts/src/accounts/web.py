"""What the HTTP entrypoints of accounts share: app keys, route-table constants, and the
use cases' dependencies. Reading requests, errors, Idempotency-Key and pagination are
servicekit's (``servicekit.requests``, ``.errors``, ``.idempotency``, ``.pagination``)."""

from __future__ import annotations

from aiohttp import web
from pydantic import BaseModel
from servicekit.openapi import Param
from servicekit.web import model_response

from .service import Accounts

ACCOUNTS = web.AppKey("accounts", Accounts)
CLOCK = web.AppKey("clock", object)  # a Clock: () -> aware datetime; tests put a controllable one

SESSION_TOKEN_HEADER = "X-Session-Token"
SESSION_TOKEN = Param(SESSION_TOKEN_HEADER, schema={"type": "string", "maxLength": 200}, required=True)

# Who may call a route, as the OpenAPI document words it (``Route.access``). Documentation
# only: the handlers check the identity, the dossier and the roles themselves; routes that
# need an identity leave ``public`` False, dossier routes list their 403.
PUBLIC = "No login needed."
USER = "A logged-in user."
DOSSIER = "A logged-in parent whose account is linked to a family file; only their own is reachable."
STAFF = "Staff only."


def accounts(request: web.Request) -> Accounts:
    return request.app[ACCOUNTS]


def no_store(model: BaseModel) -> web.Response:
    """An answer that holds a session token or who holds one: never kept by a cache."""
    response = model_response(model)
    response.headers["Cache-Control"] = "no-store"
    return response
