"""« Trésor public (simulation) »: the development stand-in of the Treasury's payment page.

Served only while ``GATEWAY_PAYMENT_PROVIDER=simulated`` (never in production, see
settings). Billing keeps the operations (docs/saga.md); this page shows one (amount,
reference) with two plain forms, « Payer » and « Refuser ». On a choice it does what the
Treasury would: record the decision, notify billing server to server (``idop`` alone, which
billing verifies by asking for the operation's state), then send the browser back to the
portal's return page. No login is needed, as at the real Treasury: the ``idop`` names the
operation, and the forms carry the CSRF token like every other form of this site.
"""

from __future__ import annotations

import re

import structlog
from aiohttp import web
from servicekit.problems import Problem
from yarl import URL

from ..clients import billing
from ..clients.base import UpstreamProblem
from ..pages import render
from .formats import money
from .forms import read_form, redirect, safe_next

log = structlog.get_logger(__name__)

PATH = "/simulated-treasury/"
UNKNOWN = "Cette opération de paiement n'existe pas ou a expiré."
DECISIONS = {"payer": "pay", "refuser": "refuse"}
_IDOP = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def _idop(value: str | None) -> str:
    if not value or not _IDOP.match(value):
        raise Problem(404, "not_found", UNKNOWN)
    return value


async def _operation(request: web.Request, idop: str) -> dict:
    try:
        return await billing.get_operation(request, idop)
    except UpstreamProblem as problem:
        if problem.status == 404:
            raise Problem(404, "not_found", UNKNOWN) from None
        raise


async def operation_page(request: web.Request) -> web.Response:
    idop = _idop(request.query.get("idop"))
    operation = await _operation(request, idop)
    context = {
        "idop": idop,
        "amount": money(operation, "amount"),
        "reference": str(operation.get("reference") or ""),
        "state": operation.get("state"),
    }
    return render(request, "treasury/operation.html", context)


async def decide(request: web.Request) -> web.Response:
    values = await read_form(request, ("idop", "decision"))
    idop = _idop(values["idop"])
    decision = DECISIONS.get(values["decision"])
    if decision is None:
        raise Problem(400, "bad_request", "Choisissez « Payer » ou « Refuser ».")
    try:
        operation = await billing.decide_operation(request, idop, decision)
    except UpstreamProblem as problem:
        if problem.status == 404:
            raise Problem(404, "not_found", UNKNOWN) from None
        raise
    try:
        await billing.notify_simulated(request, idop)
    except Problem as problem:
        # The real Treasury retries later, and billing also asks for operations whose
        # notification never came; the return page says « en cours de vérification ».
        log.warning("simulated_notification_failed", status=problem.status)
    return redirect(_return_path(request, str(operation.get("return_url") or "")))


def _return_path(request: web.Request, url: str) -> str:
    """Where the portal takes the parent back: a path of this site. Billing makes the
    return URL absolute when it knows the portal's public origin (BILLING_PUBLIC_URL); one
    naming this very site is kept as its path, any other site is refused."""
    parsed = URL(url) if url.startswith(("http://", "https://")) else None
    if parsed is not None and parsed.host and parsed.authority.lower() == request.host.lower():
        url = parsed.raw_path_qs
    return safe_next(url, default="/facturation/historique")


def setup(app: web.Application) -> None:
    r = app.router
    r.add_get(PATH, operation_page)
    r.add_post(PATH, decide)
