"""Staff HTTP entry points (role ``billing_staff``): tariff grids, QFs, payments, credits,
refunds and CSV exports."""

from __future__ import annotations

from aiohttp import web
from servicekit.idempotency import IDEMPOTENCY_PARAM, idempotent
from servicekit.openapi import Route
from servicekit.pagination import parse_limit
from servicekit.requests import path_uuid, read_json, read_query
from servicekit.service import CURSORS

from . import schemas
from .domain.money import Money
from .service import credits, prices, queries
from .web import STAFF_ROLE, billing, json_model, staff

ADMIN = "/api/billing/admin"
STAFF = "Staff with the billing_staff role."


async def put_tariff(request: web.Request) -> web.Response:
    who = staff(request)
    activity_id = path_uuid(request, "activity_id")
    cmd = await read_json(request, schemas.TariffIn)
    ctx = billing(request)
    await prices.set_tariff(ctx, who, activity_id, [b.model_dump() for b in cmd.brackets])
    (grid,) = await queries.tariffs(ctx, activity_id)
    return json_model(grid)


async def list_tariffs(request: web.Request) -> web.Response:
    staff(request)
    return json_model(schemas.TariffList(tariffs=await queries.tariffs(billing(request))))


async def get_tariff(request: web.Request) -> web.Response:
    staff(request)
    found = await queries.tariffs(billing(request), path_uuid(request, "activity_id"))
    if not found:
        raise prices.UNKNOWN_ACTIVITY
    return json_model(found[0])


async def add_qf(request: web.Request) -> web.Response:
    who = staff(request)
    dossier_id = path_uuid(request, "dossier_id")
    cmd = await read_json(request, schemas.QfIn)
    qf = await prices.add_qf(
        billing(request),
        who,
        dossier_id,
        value=cmd.value,
        valid_from=cmd.valid_from,
        valid_to=cmd.valid_to,
        proof=cmd.proof,
        state=cmd.state,
    )
    return json_model(queries.qf_out(qf), status=201)


async def list_qfs(request: web.Request) -> web.Response:
    staff(request)
    found = await prices.qf_history(billing(request), path_uuid(request, "dossier_id"))
    return json_model(schemas.QfList(qfs=[queries.qf_out(qf) for qf in found]))


async def _decide(request: web.Request, *, validate: bool) -> web.Response:
    who = staff(request)
    qf = await prices.decide_qf(
        billing(request), who, path_uuid(request, "dossier_id"), path_uuid(request, "qf_id"), validate=validate
    )
    return json_model(queries.qf_out(qf))


async def validate_qf(request: web.Request) -> web.Response:
    return await _decide(request, validate=True)


async def reject_qf(request: web.Request) -> web.Response:
    return await _decide(request, validate=False)


async def list_payments(request: web.Request) -> web.Response:
    staff(request)
    query = read_query(request, schemas.PaymentsQuery)
    page = await queries.staff_payments(billing(request), request.app[CURSORS], query, limit=parse_limit(query.limit))
    return json_model(page)


async def staff_payment(request: web.Request) -> web.Response:
    staff(request)
    return json_model(await queries.payment(billing(request), path_uuid(request), None))


async def family_account(request: web.Request) -> web.Response:
    staff(request)
    return json_model(await queries.account(billing(request), path_uuid(request, "dossier_id")))


async def grant_credit(request: web.Request) -> web.Response:
    who = staff(request)
    dossier_id = path_uuid(request, "dossier_id")
    cmd = await read_json(request, schemas.MoneyIn)
    ctx = billing(request)
    amount = Money(cmd.amount_cents)
    return await idempotent(
        request, lambda key: credits.grant_credit(ctx, who, dossier_id, amount, cmd.label, key), pool=ctx.pool
    )


async def refund_credit(request: web.Request) -> web.Response:
    who = staff(request)
    dossier_id = path_uuid(request, "dossier_id")
    cmd = await read_json(request, schemas.MoneyIn)
    ctx = billing(request)
    amount = Money(cmd.amount_cents)
    return await idempotent(
        request, lambda key: credits.refund(ctx, who, dossier_id, amount, cmd.label, key), pool=ctx.pool
    )


def _csv_response(text: str, name: str) -> web.Response:
    return web.Response(
        body=text.encode("utf-8-sig"),  # the BOM makes spreadsheets read UTF-8
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "private, no-store"},
    )


async def export_payments(request: web.Request) -> web.Response:
    staff(request)
    query = read_query(request, schemas.ExportQuery)
    return _csv_response(await queries.export_payments(billing(request), query), "paiements.csv")


async def export_ledger(request: web.Request) -> web.Response:
    staff(request)
    query = read_query(request, schemas.ExportQuery)
    return _csv_response(await queries.export_ledger(billing(request), query), "ecritures.csv")


def _route(method, path, handler, summary, **kwargs) -> Route:
    return Route(method, ADMIN + path, handler, summary, "Billing staff", roles=(STAFF_ROLE,), access=STAFF, **kwargs)


QF = "/dossiers/{dossier_id}/qf"

ROUTES = (
    _route("GET", "/tariffs", list_tariffs, "Every tariff grid", response=schemas.TariffList),
    _route(
        "PUT",
        "/tariffs/{activity_id}",
        put_tariff,
        "Set an activity's tariff grid (QF brackets → unit price) for its school year",
        body=schemas.TariffIn,
        response=schemas.TariffOut,
        errors=(404,),
        description="`qf_max` is inclusive; the last bracket has `qf_max: null` and the highest price (families "
        "without a valid QF). A bad grid answers 422 with one French error per bracket; an activity billing "
        "does not know yet (planning's event not received) answers 404.",
    ),
    _route("GET", "/tariffs/{activity_id}", get_tariff, "One activity's tariff grid", response=schemas.TariffOut,
           errors=(404,)),
    _route("POST", QF, add_qf, "Record a family's QF (value, period, proof)", body=schemas.QfIn,
           response=schemas.QfOut, status=201, errors=(404, 409)),
    _route("GET", QF, list_qfs, "A family's QFs", response=schemas.QfList, errors=(404,)),
    _route("POST", QF + "/{qf_id}/validate", validate_qf, "Validate a pending QF (refused if it overlaps a "
           "validated one)", response=schemas.QfOut, errors=(404, 409)),
    _route("POST", QF + "/{qf_id}/reject", reject_qf, "Reject a pending QF", response=schemas.QfOut,
           errors=(404, 409)),
    _route("GET", "/payments", list_payments, "Payments, newest first (filters: status, dossier)",
           query=schemas.PaymentsQuery, response=schemas.StaffPaymentPage, errors=(422,)),
    _route("GET", "/payments/{id}", staff_payment, "One payment", response=schemas.PaymentOut, errors=(404,)),
    _route("GET", "/dossiers/{dossier_id}/account", family_account, "A family's account",
           response=schemas.Account),
    _route("POST", "/dossiers/{dossier_id}/credits", grant_credit, "Grant a credit (« avoir ») to a family",
           body=schemas.MoneyIn, response=schemas.CreditOut, status=201, errors=(404,), headers=(IDEMPOTENCY_PARAM,)),
    _route("POST", "/dossiers/{dossier_id}/refunds", refund_credit, "Record the refund of part of a family's "
           "credit (409 beyond it)", body=schemas.MoneyIn, response=schemas.RefundOut, status=201,
           errors=(404, 409), headers=(IDEMPOTENCY_PARAM,)),
    _route("GET", "/exports/payments.csv", export_payments, "Payments as CSV (; separated, euros with a comma)",
           query=schemas.ExportQuery, download=("text/csv",), errors=(422,)),
    _route("GET", "/exports/ledger.csv", export_ledger, "Ledger entries as CSV", query=schemas.ExportQuery,
           download=("text/csv",), errors=(422,)),
)  # fmt: skip
