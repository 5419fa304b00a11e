"""The billing service, as the gateway calls it: one function per call of its contract.

The parents' half of docs/saga.md (« Facturation »: the account, its history, a payment's
outcome) and the simulated Treasury's internal endpoints. Each function returns the parsed
JSON or raises ``UpstreamProblem`` (4xx) / ``Problem`` (5xx, timeout), like every client
of ``clients/``.

The simulated Treasury is played by the gateway's page and billing's operations: the page
records the decision at billing (``decide_operation``), then, acting as the Treasury's
server, notifies billing exactly as PayFiP would (``notify_simulated``: the form field
``idop`` alone, no identity; billing asks the operation's real state before believing it).
"""

from __future__ import annotations

import uuid
from typing import Any, Literal
from urllib.parse import quote, urlencode

import structlog
from aiohttp import hdrs, web
from servicekit.logging import REQUEST_ID_HEADER
from servicekit.problems import Problem
from servicekit.web import REQUEST_ID

from ..upstream import open_upstream
from .base import call

log = structlog.get_logger(__name__)

SERVICE = "billing"
OPERATIONS = "/internal/simulated-treasury/operations"
NOTIFICATIONS = "/api/billing/payments/notifications/simulated"

Decision = Literal["pay", "refuse"]


def _object(doc: Any, call_name: str) -> dict[str, Any]:
    if not isinstance(doc, dict):
        log.warning("upstream_answer_malformed", service=SERVICE, call=call_name)
        raise Problem(502)
    return doc


def _operation_path(idop: str, tail: str = "") -> str:
    # The page checked its shape already; quoting keeps anything else out of the path.
    return f"{OPERATIONS}/{quote(idop, safe='')}{tail}"


async def get_account(request: web.Request) -> dict[str, Any]:
    """``{balance_cents, balance, credit_cents, credit, unpaid_cents, unpaid}``."""
    return _object(await call(request, SERVICE, "GET", "/api/billing/account"), "account")


async def get_history(request: web.Request, *, cursor: str | None = None, limit: int = 20) -> dict[str, Any]:
    """``{entries: [{kind, date, label, amount_cents, amount, reference, id}], next_cursor}``, newest first."""
    query = {"limit": str(limit)}
    if cursor:
        query["cursor"] = cursor
    return _object(await call(request, SERVICE, "GET", f"/api/billing/history?{urlencode(query)}"), "history")


async def get_payment(request: web.Request, payment_id: uuid.UUID) -> dict[str, Any]:
    """One of the family's payments (404 for another family's), with its lines."""
    path = f"/api/billing/payments/{uuid.UUID(str(payment_id))}"
    return _object(await call(request, SERVICE, "GET", path), "payment")


async def get_operation(request: web.Request, idop: str) -> dict[str, Any]:
    """The simulated Treasury's operation: ``{idop, amount_cents, amount, reference, state, return_url}``."""
    return _object(await call(request, SERVICE, "GET", _operation_path(idop)), "operation")


async def decide_operation(request: web.Request, idop: str, decision: Decision) -> dict[str, Any]:
    """« Payer » / « Refuser » at the simulated Treasury; deciding twice keeps the first decision."""
    doc = await call(request, SERVICE, "POST", _operation_path(idop, "/decision"), {"decision": decision})
    return _object(doc, "decision")


async def notify_simulated(request: web.Request, idop: str) -> None:
    """What the Treasury's server does after a decision: ``idop`` form-encoded, server to server.

    No identity and nothing of the parent's request but its id: the Treasury is not the
    parent. Billing answers 200 whatever it makes of it.
    """
    headers = {hdrs.CONTENT_TYPE: "application/x-www-form-urlencoded", hdrs.ACCEPT: "application/json"}
    if request_id := request.get(REQUEST_ID):
        headers[REQUEST_ID_HEADER] = request_id
    body = urlencode({"idop": idop}).encode()
    async with open_upstream(request.app, SERVICE, "POST", NOTIFICATIONS, headers=headers, body=body) as response:
        await response.read()
        status = response.status
    if not 200 <= status < 300:
        log.warning("simulated_notification_refused", status=status)
        raise Problem(status if status in (503, 504) else 502)
