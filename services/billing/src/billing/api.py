"""Parents' HTTP entry points (« Facturation »), and the providers' notifications."""

from __future__ import annotations

from aiohttp import web
from servicekit.openapi import Param, Route
from servicekit.pagination import parse_limit
from servicekit.problems import Problem
from servicekit.requests import path_uuid, read_query
from servicekit.service import CURSORS

from . import schemas
from .service import queries, settlement
from .web import billing, family, json_model

PARENT = "A parent with a family file; only that family's account is read (another family's payment: 404)."
PROVIDER_PARAM = Param(
    "provider",
    "`simulated` (the simulated Treasury) or `payfip` (PayFiP): the one the portal uses",
    {"type": "string", "enum": ["simulated", "payfip"]},
)


async def billing_account(request: web.Request) -> web.Response:
    return json_model(await queries.account(billing(request), family(request)))


async def billing_history(request: web.Request) -> web.Response:
    dossier_id = family(request)
    query = read_query(request, schemas.HistoryQuery)
    limit = parse_limit(query.limit)
    page = await queries.history(billing(request), request.app[CURSORS], dossier_id, limit=limit, cursor=query.cursor)
    return json_model(page)


async def billing_payment(request: web.Request) -> web.Response:
    dossier_id = family(request)
    return json_model(await queries.payment(billing(request), path_uuid(request), dossier_id))


async def payment_notification(request: web.Request) -> web.Response:
    """Server to server: the provider names an operation; billing asks the provider what became
    of it. Always 200 once read (a forged or unknown idop changes nothing), 400 if malformed."""
    ctx = billing(request)
    if request.match_info["provider"] != ctx.provider.name:
        raise Problem(404, "unknown_provider", "Ce moyen de paiement n'est pas utilisé ici.")
    try:
        posted = await request.post()
    except (ValueError, UnicodeDecodeError):
        posted = {}
    idop = posted.get("idop") if hasattr(posted, "get") else None
    try:
        form = schemas.NotificationForm.model_validate({"idop": idop})
    except ValueError:
        raise Problem(400, "invalid_notification", "La notification de paiement est mal formée.") from None
    await settlement.notification(ctx, form.idop)
    return web.Response(status=200, text="OK")


ROUTES = (
    Route(
        "GET",
        "/api/billing/account",
        billing_account,
        "The family account: balance, available credit, unpaid",
        "Billing",
        response=schemas.Account,
        errors=(403,),
        access=PARENT,
    ),
    Route(
        "GET",
        "/api/billing/history",
        billing_history,
        "« Consulter l'historique de mon compte »: payments, credits, invoices, refunds, newest first",
        "Billing",
        query=schemas.HistoryQuery,
        response=schemas.HistoryPage,
        errors=(403, 422),
        access=PARENT,
    ),
    Route(
        "GET",
        "/api/billing/payments/{id}",
        billing_payment,
        "One payment of the family (the return page after paying)",
        "Billing",
        response=schemas.PaymentOut,
        errors=(403, 404),
        access=PARENT,
    ),
    Route(
        "POST",
        "/api/billing/payments/notifications/{provider}",
        payment_notification,
        "The payment provider's server-to-server notification (form field idop), verified by asking it",
        "Billing",
        raw_body="application/x-www-form-urlencoded",
        path_params=(PROVIDER_PARAM,),
        text="text/plain",
        errors=(400, 404),
        public=True,
        access="The payment provider (no identity); only the idop it names is read, never trusted. "
        "404 unless it is the provider in use.",
        description="Answers 200 `OK` once read, whatever became of the operation (a forged or unknown "
        "idop changes nothing); 400 if the form is malformed.",
        operation_id="notify_payment",
    ),
)
