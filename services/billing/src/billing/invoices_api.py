"""HTTP entry points of invoices and documents: « Payer mes factures », « Mes documents »
(parents, their own family only: another family's id answers 404), and the staff's charges,
credit notes and invoicing runs (API.md's fixed path ``/api/billing/admin/invoicing-runs``)."""

from __future__ import annotations

from datetime import date

from aiohttp import web
from servicekit.openapi import Route
from servicekit.requests import path_uuid, read_json

from . import schemas
from .admin_api import ADMIN, STAFF
from .api import PARENT
from .domain.money import Money
from .service import documents, invoice_queries, invoices, invoicing_run
from .web import STAFF_ROLE, billing, family, json_model, staff


def _pdf_response(pdf: bytes, filename: str) -> web.Response:
    return web.Response(
        body=pdf,
        content_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "private, no-store"},
    )


# --- parents ----------------------------------------------------------------------------------


async def list_invoices(request: web.Request) -> web.Response:
    found = await invoice_queries.family_invoices(billing(request), family(request))
    return json_model(schemas.InvoiceList.model_validate(found))


async def get_invoice(request: web.Request) -> web.Response:
    found = await invoice_queries.invoice(billing(request), family(request), path_uuid(request))
    return json_model(schemas.InvoiceDetail.model_validate(found))


async def get_invoice_pdf(request: web.Request) -> web.Response:
    return _pdf_response(*await invoice_queries.invoice_pdf(billing(request), family(request), path_uuid(request)))


async def pay_invoice(request: web.Request) -> web.Response:
    answer = await invoices.pay(billing(request), family(request), path_uuid(request))
    return json_model(schemas.InvoicePaymentOut.model_validate(answer), status=201)


async def list_documents(request: web.Request) -> web.Response:
    found = await documents.listing(billing(request), family(request))
    return json_model(schemas.DocumentList(documents=found))


async def get_document_pdf(request: web.Request) -> web.Response:
    return _pdf_response(*await documents.pdf(billing(request), family(request), path_uuid(request)))


# --- staff ------------------------------------------------------------------------------------


async def add_charge(request: web.Request) -> web.Response:
    who = staff(request)
    dossier_id = path_uuid(request, "dossier_id")
    cmd = await read_json(request, schemas.ChargeIn)
    made = await invoices.add_charge(billing(request), who, dossier_id, cmd.date, cmd.label, Money(cmd.amount_cents))
    return json_model(schemas.ChargeOut.model_validate(made), status=201)


async def add_credit_note(request: web.Request) -> web.Response:
    who = staff(request)
    invoice_id = path_uuid(request)
    cmd = await read_json(request, schemas.CreditNoteIn)
    made = await invoices.credit_note(billing(request), who, invoice_id, Money(cmd.amount_cents), cmd.reason)
    return json_model(schemas.CreditNoteOut.model_validate(made), status=201)


async def staff_invoice(request: web.Request) -> web.Response:
    staff(request)
    found = await invoice_queries.invoice(billing(request), None, path_uuid(request))
    return json_model(schemas.InvoiceDetail.model_validate(found))


async def staff_invoice_pdf(request: web.Request) -> web.Response:
    staff(request)
    return _pdf_response(*await invoice_queries.invoice_pdf(billing(request), None, path_uuid(request)))


async def start_run(request: web.Request) -> web.Response:
    who = staff(request)
    cmd = await read_json(request, schemas.RunIn)
    ctx = billing(request)
    month = date.fromisoformat(cmd.month + "-01")
    run_id = await invoicing_run.start(ctx, month, by=who.user_id)
    invoicing_run.spawn(ctx, run_id, month)
    return json_model(schemas.RunStarted(id=run_id, status="running"), status=202)


async def get_run(request: web.Request) -> web.Response:
    staff(request)
    found = await invoicing_run.status(billing(request), path_uuid(request))
    if found is None:
        raise invoicing_run.RunNotFound()
    return json_model(schemas.RunOut.model_validate(found))


def _parent(method, path, handler, summary, **kwargs) -> Route:
    return Route(method, path, handler, summary, "Billing", access=PARENT, **kwargs)


def _staff(method, path, handler, summary, **kwargs) -> Route:
    return Route(method, ADMIN + path, handler, summary, "Billing staff", roles=(STAFF_ROLE,), access=STAFF, **kwargs)


ROUTES = (
    _parent("GET", "/api/billing/invoices", list_invoices, "« Payer mes factures »: the family's invoices, unpaid "
            "first", response=schemas.InvoiceList, errors=(403,)),
    _parent("GET", "/api/billing/invoices/{id}", get_invoice, "One invoice of the family, with its lines",
            response=schemas.InvoiceDetail, errors=(403, 404)),
    _parent("GET", "/api/billing/invoices/{id}/pdf", get_invoice_pdf, "The invoice's PDF (stored at issue: the "
            "same bytes at every download)", download=("application/pdf",), errors=(403, 404)),
    _parent("POST", "/api/billing/invoices/{id}/payments", pay_invoice, "Pay what is left of an invoice online "
            "(credits first, never part of it) → the provider's payment_url", response=schemas.InvoicePaymentOut,
            status=201, errors=(403, 404, 409, 422, 503),
            description="409 `invoice_already_paid` when nothing is left to pay, `credit_note_not_payable` for a "
            "credit note. Paid twice (two payments opened and both paid), the second becomes a credit."),
    _parent("GET", "/api/billing/documents", list_documents, "« Mes documents »: invoices, credit notes (and the "
            "other kinds registered), newest first", response=schemas.DocumentList, errors=(403,)),
    _parent("GET", "/api/billing/documents/{id}/pdf", get_document_pdf, "One document's PDF (another family's "
            "id: 404)", download=("application/pdf",), errors=(403, 404)),
    _staff("POST", "/dossiers/{dossier_id}/charges", add_charge, "Add a charge (a fee: late pick-up…) to the "
           "family's next invoice", body=schemas.ChargeIn, response=schemas.ChargeOut, status=201, errors=(404,)),
    _staff("GET", "/invoices/{id}", staff_invoice, "One invoice", response=schemas.InvoiceDetail, errors=(404,)),
    _staff("GET", "/invoices/{id}/pdf", staff_invoice_pdf, "One invoice's or credit note's PDF",
           download=("application/pdf",), errors=(404,)),
    _staff("POST", "/invoices/{id}/credit-notes", add_credit_note, "Issue a credit note on an invoice (its own "
           "yearly sequence AV-YYYY-NNNNNN; its amount becomes a credit on the family account)",
           body=schemas.CreditNoteIn, response=schemas.CreditNoteOut, status=201, errors=(404, 409)),
    _staff("POST", "/invoicing-runs", start_run, "Start the monthly invoicing run of a month (it goes on in the "
           "background)", body=schemas.RunIn, response=schemas.RunStarted, status=202),
    _staff("GET", "/invoicing-runs/{id}", get_run, "An invoicing run's progress and result", response=schemas.RunOut,
           errors=(404,)),
)  # fmt: skip
