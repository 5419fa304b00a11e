"""What a parent (or staff) reads of invoices: « Payer mes factures » (unpaid first), one
invoice with its lines and what is left to pay, its stored PDF; and the invoice and credit-note
kinds of « Mes documents » (registered with :mod:`.documents`)."""

from __future__ import annotations

import base64
import uuid

from babel.dates import format_date
from pydantic import BaseModel, ConfigDict

from ..domain.errors import InvalidInput
from ..domain.ledger import PARIS
from ..domain.money import Money
from ..store import UnitOfWork
from . import documents
from .deps import Billing
from .invoices import InvoiceNotFound, own


def _summary(row, outstanding: Money) -> dict:
    total = Money(row["total_cents"])
    return {
        "id": str(row["id"]),
        "number": row["number"],
        "month": row["month"].strftime("%Y-%m"),
        "period": format_date(row["month"], "MMMM y", locale="fr_FR"),
        "issued_on": row["issued_at"].astimezone(PARIS).date().isoformat(),
        "due_on": row["due_on"].isoformat(),
        "total_cents": total.cents,
        "paid_cents": (total - outstanding).cents,
        "outstanding_cents": outstanding.cents,
        "status": "unpaid" if outstanding.is_positive else "paid",
        "pdf_url": f"/api/billing/invoices/{row['id']}/pdf",
    }


async def family_invoices(ctx: Billing, dossier_id: uuid.UUID) -> dict:
    async with ctx.uow() as uow:
        rows = await uow.invoices.of_family(dossier_id, ("invoice",))
        ledger = await uow.ledger.of(dossier_id)
    found = [_summary(r, ledger.outstanding(r["id"])) for r in rows]
    found.sort(key=lambda x: x["status"] != "unpaid")  # stable: newest first within each group
    return {"invoices": found, "unpaid_cents": ledger.unpaid.cents}


async def invoice(ctx: Billing, dossier_id: uuid.UUID | None, invoice_id: uuid.UUID) -> dict:
    async with ctx.uow() as uow:
        row = await own(uow, invoice_id, dossier_id)
        if row["kind"] != "invoice":
            raise InvoiceNotFound()
        lines = await uow.invoices.lines(invoice_id)
        ledger = await uow.ledger.of(row["dossier_id"])
        notes = await uow.invoices.credit_notes_of(invoice_id)
    return {
        **_summary(row, ledger.outstanding(invoice_id)),
        "dossier_id": str(row["dossier_id"]),
        "lines": [
            {
                "date": x.day.isoformat(),
                "child": x.child_name,
                "label": x.label,
                "unit_price_cents": x.unit_price.cents,
                "quantity": x.quantity,
                "amount_cents": x.amount.cents,
            }
            for x in lines
        ],  # fmt: skip
        "credit_notes": [{"id": str(n["id"]), "number": n["number"], "amount_cents": n["total_cents"]} for n in notes],
    }


async def invoice_pdf(ctx: Billing, dossier_id: uuid.UUID | None, invoice_id: uuid.UUID) -> tuple[bytes, str]:
    async with ctx.uow() as uow:
        got = await _pdf(uow, dossier_id, invoice_id)
    if got is None:
        raise InvoiceNotFound()
    return got


class PdfParams(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)
    invoice_id: uuid.UUID


async def pdf_for_mail(ctx: Billing, params: dict) -> dict:
    """RPC ``invoice_pdf``: {invoice_id} → the invoice's number, dossier, file name and PDF (base64)."""
    try:
        invoice_id = PdfParams.model_validate(params).invoice_id
    except ValueError:
        raise InvalidInput("Paramètres invalides.", code="validation_error") from None
    async with ctx.uow() as uow:
        row = await uow.invoices.get(invoice_id)
        got = await _pdf(uow, None, invoice_id) if row is not None else None
    if got is None:
        raise InvoiceNotFound()
    pdf, filename = got
    return {"invoice_id": str(invoice_id), "number": row["number"], "dossier_id": str(row["dossier_id"]),
            "filename": filename, "pdf_base64": base64.b64encode(pdf).decode("ascii")}  # fmt: skip


async def _pdf(uow: UnitOfWork, dossier_id: uuid.UUID | None, document_id: uuid.UUID) -> tuple[bytes, str] | None:
    row = await uow.invoices.get(document_id)
    if row is None or (dossier_id is not None and row["dossier_id"] != dossier_id):
        return None
    pdf = await uow.invoices.pdf(document_id)
    if pdf is None:
        return None  # rendered within seconds of the issue (see invoices.render_missing)
    prefix = "avoir" if row["kind"] == "credit_note" else "facture"
    return pdf, f"{prefix}-{row['number']}.pdf"


async def _list(uow: UnitOfWork, dossier_id: uuid.UUID) -> list[documents.Document]:
    rows = await uow.invoices.of_family(dossier_id, ("invoice", "credit_note"))
    found = []
    for r in rows:
        day = r["issued_at"].astimezone(PARIS).date()
        if r["kind"] == "invoice":
            title = f"Facture n° {r['number']} — {format_date(r['month'], 'MMMM y', locale='fr_FR')}"
        else:
            title = f"Avoir n° {r['number']}"
        found.append(documents.Document(r["id"], r["kind"], title, day, r["number"], r["total_cents"]))
    return found


documents.register(
    documents.DocumentKind(
        "invoices",
        lambda ctx, uow, dossier_id: _list(uow, dossier_id),
        lambda ctx, uow, dossier_id, document_id: _pdf(uow, dossier_id, document_id),
    )
)
