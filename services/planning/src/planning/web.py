"""The HTTP shell of planning: the use cases' dependencies, who is calling, path values,
and the domain's ``PlanningError`` as a problem document. Handlers stay thin: parse → one
use case → answer."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime

import structlog
from aiohttp import web
from servicekit.identity import Identity, require_dossier, require_role
from servicekit.openapi import Param
from servicekit.service import DB, RPC, SETTINGS

from .domain import Month, PlanningError
from .service import Planning
from .service.deps import utc_now
from .service.errors import from_domain
from .service.reads import StaffRules

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

STAFF_ROLE = "planning_staff"
CLOCK = web.AppKey("planning_clock", Callable[[], datetime])
STAFF_RULES = web.AppKey("planning_staff_rules", StaffRules)


def planning_of_app(app: web.Application) -> Planning:
    settings = app[SETTINGS]
    return Planning(
        pool=app[DB],
        rpc=app.get(RPC),
        clock=app.get(CLOCK, utc_now),
        hold_minutes=settings.basket_hold_minutes,
        payment_return_url=settings.payment_return_url,
        staff_rules=app[STAFF_RULES] if STAFF_RULES in app else StaffRules(),
    )


def planning(request: web.Request) -> Planning:
    return planning_of_app(request.app)


def family(request: web.Request) -> uuid.UUID:
    """The caller's dossier id (403 for an account without one)."""
    return require_dossier(request)


def staff(request: web.Request) -> Identity:
    identity = require_role(request, STAFF_ROLE)
    structlog.contextvars.bind_contextvars(user_id=str(identity.user_id))
    return identity


def path_month(request: web.Request, name: str = "month") -> Month:
    return Month.parse(request.match_info[name])


# How the route tables document the month of a path (not a UUID); any other text answers 422.
MONTH_PARAM = Param("month", "YYYY-MM, e.g. 2026-12", {"type": "string", "pattern": "^[0-9]{4}-(0[1-9]|1[0-2])$"})


def csv_response(text: str, filename: str) -> web.Response:
    return web.Response(
        body=text.encode("utf-8"),
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "private, no-store"},
    )


def with_planning_errors(handler: Handler) -> Handler:
    """The domain says what it refuses in French; the problem middleware renders it."""

    @functools.wraps(handler)
    async def wrapped(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except PlanningError as exc:
            raise from_domain(exc) from None

    return wrapped
