"""The HTTP shell of accounts: app keys, route-table constants, errors, client address,
Idempotency-Key handling. Handlers stay thin: parse → one use case → response."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Awaitable, Callable

from aiohttp import web
from pydantic import BaseModel, ValidationError
from servicekit.identity import IDENTITY_KEY
from servicekit.openapi import Param, idempotency_key_header
from servicekit.problems import Problem, validation_problem
from servicekit.requests import client_address as client_key
from servicekit.web import read_model

from .domain.errors import (
    AccountsError,
    Conflict,
    Forbidden,
    Gone,
    Invalid,
    NotFound,
    Throttled,
    Unauthenticated,
    not_found,
)
from .service import Accounts
from .service.common import IdempotencyRace, stored_response
from .store import IdempotencyRecord

ACCOUNTS = web.AppKey("accounts", Accounts)
CLOCK = web.AppKey("clock", object)  # a Clock: () -> aware datetime; tests put a controllable one

SESSION_TOKEN_HEADER = "X-Session-Token"
IDEMPOTENCY_HEADER = "Idempotency-Key"

SESSION_TOKEN = Param(SESSION_TOKEN_HEADER, schema={"type": "string", "maxLength": 200}, required=True)
IDEMPOTENCY = idempotency_key_header(max_length=200)

# Who may call a route, as the OpenAPI document words it (``Route.access``). Documentation
# only: the handlers check the identity, the dossier and the roles themselves; routes that
# need an identity leave ``public`` False, dossier routes list their 403.
PUBLIC = "No login needed."
USER = "A logged-in user."
DOSSIER = "A logged-in parent whose account is linked to a family file; only their own is reachable."
STAFF = "Staff only."


# --------------------------------------------------------------------------- errors

_STATUS = {Invalid: 422, NotFound: 404, Gone: 410, Conflict: 409, Unauthenticated: 401, Forbidden: 403, Throttled: 429}

def to_problem(error: AccountsError) -> Problem:
    status = next(s for cls, s in _STATUS.items() if isinstance(error, cls))
    headers = {"Retry-After": str(error.retry_after)} if error.retry_after is not None else None
    extra = dict(error.extra)
    if error.retry_after is not None:
        extra["retry_after"] = error.retry_after
    return Problem(
        status, error.code, error.title, errors=[e.as_dict() for e in error.errors] or None, headers=headers, **extra
    )


@web.middleware
async def accounts_errors(request: web.Request, handler):
    """Use-case errors and validation failures as problem documents (French)."""
    try:
        return await handler(request)
    except AccountsError as error:
        raise to_problem(error) from None
    except ValidationError as exc:
        raise validation_problem(exc) from None


# --------------------------------------------------------------------------- helpers


def accounts(request: web.Request) -> Accounts:
    return request.app[ACCOUNTS]


def path_uuid(request: web.Request, name: str) -> uuid.UUID:
    try:
        return uuid.UUID(request.match_info[name])
    except ValueError:
        raise not_found() from None


def json_model(model: BaseModel, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(
        body=model.model_dump_json().encode(), status=status, content_type="application/json", headers=headers
    )


async def read_json(request: web.Request, model: type[BaseModel]):
    return await read_model(request, model)


async def idempotent(
    request: web.Request, status: int, run: Callable[[IdempotencyRecord | None], Awaitable[BaseModel]]
) -> web.Response:
    """Run a creation once per Idempotency-Key: the same key replays the first answer."""
    key = request.headers.get(IDEMPOTENCY_HEADER)
    if key is None:
        return json_model(await run(None), status)
    if not (1 <= len(key) <= 200) or not all(33 <= ord(c) <= 126 for c in key):
        raise Problem(
            400, "invalid_idempotency_key", "L'en-tête Idempotency-Key doit compter 1 à 200 caractères ASCII visibles."
        )
    identity = request.get(IDENTITY_KEY)
    scope = f"user:{identity.user_id}" if identity is not None else f"client:{client_key(request)}"
    digest = hashlib.sha256()
    for part in (request.method.encode(), request.path_qs.encode(), await request.read()):
        digest.update(len(part).to_bytes(8, "big") + part)
    record = IdempotencyRecord(scope=scope, key=key, request_hash=digest.hexdigest(), status=status)
    acc = accounts(request)
    stored = await stored_response(acc, record)
    if stored is None:
        try:
            return json_model(await run(record), status)
        except IdempotencyRace:
            stored = await stored_response(acc, record)
    return web.json_response(stored.body, status=stored.status, headers={"Idempotent-Replayed": "true"})
