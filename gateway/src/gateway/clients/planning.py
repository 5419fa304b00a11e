"""The planning service, as the gateway calls it: one function per call of its contract.

The parents' half of docs/saga.md (« Planning »: the month grid, « Valider », the basket,
« Payer »). Each function returns the parsed JSON or raises ``UpstreamProblem`` (4xx) /
``Problem`` (5xx, timeout), like every client of ``clients/``. Ids reach the URL only as
``uuid.UUID`` objects and months only as ``YYYY-MM`` strings checked by the page: nothing
else of the browser's can end up in the path.
"""

from __future__ import annotations

import uuid
from typing import Any

import structlog
from aiohttp import web
from servicekit.problems import Problem

from .base import call

log = structlog.get_logger(__name__)

SERVICE = "planning"
CHILDREN = "/api/planning/children"
BASKET = "/api/planning/basket"


def _month_path(child_id: uuid.UUID, month: str) -> str:
    return f"{CHILDREN}/{uuid.UUID(str(child_id))}/months/{month}"


def _object(doc: Any, call_name: str) -> dict[str, Any]:
    if not isinstance(doc, dict):
        log.warning("upstream_answer_malformed", service=SERVICE, call=call_name)
        raise Problem(502)
    return doc


async def list_children(request: web.Request) -> list[dict[str, Any]]:
    """``[{id, first_name, last_name, activities: [{id, name}]}]``: the family's children."""
    doc = _object(await call(request, SERVICE, "GET", CHILDREN), "children")
    return [c for c in doc.get("children") or [] if isinstance(c, dict) and c.get("id")]


async def get_month(request: web.Request, child_id: uuid.UUID, month: str) -> dict[str, Any]:
    """The grid of one child's month: per activity, per day, its state (404: not the family's child)."""
    return _object(await call(request, SERVICE, "GET", _month_path(child_id, month)), "month")


async def put_month(
    request: web.Request, child_id: uuid.UUID, month: str, booked: dict[str, list[str]]
) -> dict[str, Any]:
    """« Valider »: the wanted days per activity → ``{changes, period_cost_cents, period_cost}``.

    409 ``basket_frozen`` while a payment is under way, 422 ``rules_violated`` with ``days``,
    503 when billing cannot price the days.
    """
    payload = {"activities": [{"activity_id": a, "booked_dates": dates} for a, dates in booked.items()]}
    return _object(await call(request, SERVICE, "PUT", _month_path(child_id, month), payload), "put_month")


async def get_basket(request: web.Request) -> dict[str, Any]:
    """« Validation des modifications »: every pending change of the family's children."""
    return _object(await call(request, SERVICE, "GET", BASKET), "basket")


async def delete_basket(request: web.Request) -> None:
    """« Tout supprimer » (409 while a payment is under way)."""
    await call(request, SERVICE, "DELETE", BASKET)


async def checkout(request: web.Request, idempotency_key: str) -> dict[str, Any]:
    """« Payer »: ``{basket_id, status: payment_pending, payment_url, payment_id}`` or
    ``{basket_id, status: confirmed}``; 409 ``days_full`` / ``basket_empty``, 503.

    The same key twice gives the same payment (a double click pays once).
    """
    doc = await call(request, SERVICE, "POST", BASKET + "/checkout", headers={"Idempotency-Key": idempotency_key})
    return _object(doc, "checkout")
