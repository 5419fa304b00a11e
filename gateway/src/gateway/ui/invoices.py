"""« Payer mes factures » and « Mes documents »: the family's invoices (unpaid first) with
« Payer », one invoice's lines, and every document billing keeps for the family, each
downloadable as the PDF billing stored when it was issued.

« Payer » posts (CSRF like every form) and answers 303 to the provider's page: the simulated
Treasury on this site, or PayFiP's https page through a link page (the Content-Security-Policy's
« form-action 'self' » would block a redirect to another site, as for the basket). Billing
answers 404 for another family's invoice or document: the page says « introuvable ».
"""

from __future__ import annotations

import uuid
from typing import Any

import aiohttp
import structlog
from aiohttp import hdrs, web
from servicekit.problems import Problem

from ..clients.base import UpstreamProblem, call
from ..pages import render
from ..settings import SETTINGS
from ..upstream import headers_for_call, open_upstream
from .basket import _payment_target
from .formats import long_date, money, short_date
from .forms import UUID_PATTERN, Form, login_required, redirect, without_dossier

log = structlog.get_logger(__name__)

SERVICE = "billing"
INVOICES = "/facturation/factures"
DOCUMENTS = "/mon-dossier/documents"
# A stored invoice is a few dozen kilobytes; anything larger than this is not billing's PDF.
MAX_PDF_BYTES = 10 * 1024 * 1024
ALREADY_PAID = "Cette facture est déjà réglée."
PAYMENT_UNAVAILABLE = "Le paiement en ligne est momentanément indisponible. Merci de réessayer dans quelques minutes."


def _object(doc: Any) -> dict[str, Any]:
    if not isinstance(doc, dict):
        log.warning("upstream_answer_malformed", service=SERVICE)
        raise Problem(502)
    return doc


def _invoice(doc: dict[str, Any]) -> dict[str, Any]:
    invoice_id = str(uuid.UUID(str(doc.get("id"))))
    return {
        "id": invoice_id,
        "number": str(doc.get("number") or ""),
        "period": str(doc.get("period") or ""),
        "issued_on": long_date(doc.get("issued_on")),
        "due_on": long_date(doc.get("due_on")),
        "total": money(doc, "total"),
        "paid": money(doc, "paid"),
        "outstanding": money(doc, "outstanding"),
        "unpaid": doc.get("status") == "unpaid",
        "href": f"{INVOICES}/{invoice_id}",
        "pdf_href": f"{INVOICES}/{invoice_id}/pdf",
        "pay_action": f"{INVOICES}/{invoice_id}/payer",
    }


def _id(request: web.Request, name: str = "invoice_id") -> uuid.UUID:
    return uuid.UUID(request.match_info[name])


async def _list_page(request: web.Request, form: Form | None = None, status: int = 200) -> web.Response:
    doc = _object(await call(request, SERVICE, "GET", "/api/billing/invoices"))
    invoices = [_invoice(x) for x in doc.get("invoices") or [] if isinstance(x, dict)]
    context = {
        "unpaid": [x for x in invoices if x["unpaid"]],
        "paid": [x for x in invoices if not x["unpaid"]],
        "unpaid_total": money(doc, "unpaid"),
        "form": form or Form(),
    }
    response = render(request, "billing/invoices.html", context)
    response.set_status(status)
    return response


@login_required
async def invoices(request: web.Request) -> web.Response:
    if (page := without_dossier(request, "Payer mes factures")) is not None:
        return page
    return await _list_page(request)


@login_required
async def invoice(request: web.Request) -> web.Response:
    doc = _object(await call(request, SERVICE, "GET", f"/api/billing/invoices/{_id(request)}"))
    lines = [
        {"date": short_date(x.get("date")), "child": str(x.get("child") or ""), "label": str(x.get("label") or ""),
         "unit_price": money(x, "unit_price"), "quantity": x.get("quantity") or 1, "amount": money(x, "amount")}
        for x in doc.get("lines") or [] if isinstance(x, dict)
    ]  # fmt: skip
    return render(request, "billing/invoice_detail.html", {"invoice": _invoice(doc), "lines": lines, "form": Form()})


@login_required
async def pay(request: web.Request) -> web.Response:
    invoice_id = _id(request)
    try:
        answer = _object(await call(request, SERVICE, "POST", f"/api/billing/invoices/{invoice_id}/payments"))
    except UpstreamProblem as problem:
        if problem.status != 409:
            raise
        message = ALREADY_PAID if problem.type_name == "invoice_already_paid" else problem.title
        return await _list_page(request, Form(summary_title=message, general=[message]), status=409)
    except Problem as problem:
        if problem.status != 503:
            raise
        form = Form(summary_title=PAYMENT_UNAVAILABLE, general=[PAYMENT_UNAVAILABLE])
        return await _list_page(request, form, status=503)
    if answer.get("status") == "covered":  # credits paid it all: nothing to do at the Treasury
        return redirect(f"/facturation/paiements/{uuid.UUID(str(answer.get('payment_id')))}")
    target = _payment_target(answer.get("payment_url"))
    if target is None:
        log.warning("upstream_answer_malformed", service=SERVICE, call="pay_invoice")
        raise Problem(502)
    if target.startswith("https://"):
        return render(request, "billing/invoices_leaving.html", {"payment_url": target})
    return redirect(target)


async def _pdf(request: web.Request, path: str) -> web.Response:
    """billing's stored PDF, always as a download, never sniffed or cached."""
    headers = headers_for_call(request, request.app[SETTINGS])
    headers[hdrs.ACCEPT] = "application/pdf, application/problem+json"
    async with open_upstream(request.app, SERVICE, "GET", path, headers=headers) as upstream:
        if upstream.status != 200:
            if 400 <= upstream.status < 500:
                raise UpstreamProblem(upstream.status, None)
            raise Problem(upstream.status if upstream.status in (503, 504) else 502)
        try:
            body = await upstream.content.read(MAX_PDF_BYTES + 1)
        except (aiohttp.ClientError, TimeoutError):
            raise Problem(502) from None
        disposition = upstream.headers.get(hdrs.CONTENT_DISPOSITION, "")
    if len(body) > MAX_PDF_BYTES or not body.startswith(b"%PDF-"):
        log.warning("upstream_answer_malformed", service=SERVICE, call="pdf")
        raise Problem(502)
    return web.Response(
        body=body,
        headers={
            hdrs.CONTENT_TYPE: "application/pdf",
            hdrs.CONTENT_DISPOSITION: disposition if disposition.startswith("attachment") else "attachment",
            "X-Content-Type-Options": "nosniff",
            hdrs.CACHE_CONTROL: "private, no-store",
        },
    )


@login_required
async def invoice_pdf(request: web.Request) -> web.Response:
    return await _pdf(request, f"/api/billing/invoices/{_id(request)}/pdf")


@login_required
async def document_pdf(request: web.Request) -> web.Response:
    return await _pdf(request, f"/api/billing/documents/{_id(request, 'document_id')}/pdf")


def setup(app: web.Application) -> None:
    r = app.router
    invoice_path = INVOICES + "/{invoice_id:" + UUID_PATTERN + "}"
    r.add_get(INVOICES, invoices)
    r.add_get(invoice_path, invoice)
    r.add_get(invoice_path + "/pdf", invoice_pdf)
    r.add_post(invoice_path + "/payer", pay)
    r.add_get(DOCUMENTS + "/{document_id:" + UUID_PATTERN + "}/pdf", document_pdf)
