"""Invoices and credit notes: issuing one family's monthly invoice, staff charges, credit
notes, the PDF rendered once after issue, and what a parent reads and pays.

Numbering: :meth:`~billing.store.invoices.Counters.next` takes the (series, year) counter row
under its lock in the very transaction that inserts the document, so a rollback gives the
number back (no gap) and concurrent issuers wait for each other (no duplicate). Invoices
(``2026-000042``) and credit notes (``AV-2026-000001``) have a sequence each. The unique index
(dossier, month) makes a second run for the same month find the invoice already there.

The PDF is rendered after the issuing transaction (WeasyPrint takes tens of milliseconds; the
counter lock is not held meanwhile), then stored with ``billing.invoice.issued`` in one
transaction: messaging is told only once the PDF exists. An invoice whose PDF is missing (a
crash in between) is rendered again by :func:`render_missing` (each run ends with it).
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import date

import structlog

from .. import events as integration
from ..domain.errors import Conflict, NotFound
from ..domain.events import CreditGranted, CreditReason
from ..domain.invoicing import (
    InvoiceLine,
    credit_note_amount,
    document_number,
    due_on,
    month_lines,
    next_month,
    total,
)
from ..domain.ledger import PARIS, EntryKind, LedgerEntry
from ..domain.money import Money
from ..domain.payments import PaymentState, checkout
from ..domain.tariffs import school_year_of
from ..store import UnitOfWork
from ..store.invoices import Invoices, presences
from ..store.payments import StoredPayment
from . import checkout as checkout_service
from . import invoice_pdf, settlement
from .deps import Billing

log = structlog.get_logger(__name__)


class InvoiceNotFound(NotFound):
    code = "invoice_not_found"
    message = "Cette facture est introuvable."


class UnknownFamily(NotFound):
    code = "unknown_family"
    message = "Ce dossier famille n'est pas encore connu de la facturation."


def _town(ctx: Billing) -> invoice_pdf.Town:
    return invoice_pdf.Town(ctx.town_name, ctx.town_address)


def _family_snapshot(row) -> dict:
    """What the document prints of the family, frozen at issue (the document never changes)."""
    return {"name": row["family_name"], "number": row["dossier_number"], "address": row["address"]}


# --- staff --------------------------------------------------------------------------------------


async def add_charge(ctx: Billing, who, dossier_id: uuid.UUID, day: date, label: str, amount: Money) -> dict:
    async with ctx.uow() as uow:
        if await uow.families.get(dossier_id) is None:
            raise UnknownFamily()
        charge_id = await uow.charges.add(
            dossier_id=dossier_id, day=day, label=label, amount=amount, at=ctx.now(), by=who.user_id
        )
        await uow.commit()
    return {"id": str(charge_id), "dossier_id": str(dossier_id), "date": day.isoformat(), "label": label,
            "amount_cents": amount.cents}  # fmt: skip


async def issue_month(ctx: Billing, dossier_id: uuid.UUID, month: date, run_id: uuid.UUID | None) -> tuple | None:
    """Issue ``dossier_id``'s invoice for ``month`` → (invoice id, total), or None when there is
    nothing to invoice or the invoice exists already (another run issued it)."""
    end = next_month(month)
    async with ctx.uow() as uow:
        family = await uow.families.get(dossier_id)
        if family is None:
            raise UnknownFamily()
        found = await presences(uow.conn, dossier_id, month, end)
        charges = await uow.charges.open_for(dossier_id, end)
        if not found and not charges:
            return None
        activity_ids = {p.activity_id for p in found}
        grids = await uow.tariffs.grids((p.activity_id, school_year_of(p.day)) for p in found)
        names = {a: (await uow.activities.get(a) or {}).get("display_name", "Activité") for a in activity_ids}
        lines = month_lines(
            presences=found,
            charges=charges,
            grids=grids,
            qf_history=await uow.qfs.history(dossier_id),
            child_names=await uow.children.names(dossier_id),
            activity_names=names,
        )
        amount = total(lines)
        if not amount.is_positive:
            return None  # free days only: nothing to ask for
        # The counter's lock first: a concurrent run waits here, then finds the invoice issued.
        year = ctx.now().astimezone(PARIS).year
        seq = await uow.counters.next("invoice", year)
        if await uow.invoices.exists_for_month(dossier_id, month):
            return None  # rolled back: the number is given back
        invoice_id = uuid.uuid4()
        issued_at = ctx.now()
        await uow.invoices.insert(
            invoice_id=invoice_id,
            kind="invoice",
            number=document_number("invoice", year, seq),
            dossier_id=dossier_id,
            issued_at=issued_at,
            total=amount,
            family=_family_snapshot(family),
            lines=lines,
            month=month,
            due_on=due_on(issued_at.astimezone(PARIS).date(), ctx.invoice_due_days),
            run_id=run_id,
        )
        await uow.charges.mark_invoiced([c.id for c in charges], invoice_id)
        await uow.families.lock_account(dossier_id)
        await uow.ledger.add(
            dossier_id,
            LedgerEntry(
                kind=EntryKind.INVOICE,
                amount=amount,
                occurred_at=issued_at,
                label=f"Facture n° {document_number('invoice', year, seq)}",
                reference=document_number("invoice", year, seq),
                invoice_id=invoice_id,
            ),
        )
        await uow.commit()
    return invoice_id, amount


async def credit_note(ctx: Billing, who, invoice_id: uuid.UUID, amount: Money, reason: str) -> dict:
    """A credit note on an issued invoice: its own number (``AV-``), a credit (« avoir ») of its
    amount on the family account (spent first by the next payment, this invoice's included)."""
    async with ctx.uow() as uow:
        invoice = await uow.invoices.get(invoice_id, lock=True)  # two credit notes at once: one after the other
        if invoice is None or invoice["kind"] != "invoice":
            raise InvoiceNotFound()
        dossier_id = invoice["dossier_id"]
        amount = credit_note_amount(Money(invoice["total_cents"]), await uow.invoices.credited(invoice_id), amount)
        now = ctx.now()
        year = now.astimezone(PARIS).year
        number = document_number("credit_note", year, await uow.counters.next("credit_note", year))
        note_id = uuid.uuid4()
        line = InvoiceLine(now.astimezone(PARIS).date(), "", f"Avoir sur la facture n° {invoice['number']} : {reason}",
                           amount)  # fmt: skip
        await uow.invoices.insert(
            invoice_id=note_id,
            kind="credit_note",
            number=number,
            dossier_id=dossier_id,
            issued_at=now,
            total=amount,
            family=invoice["family"],
            lines=[line],
            credited_invoice=invoice_id,
            reason=reason,
        )
        await uow.families.lock_account(dossier_id)
        granted = CreditGranted(
            family_id=dossier_id,
            occurred_at=now,
            amount=amount,
            reason=CreditReason.STAFF,
            label=f"Avoir n° {number} sur la facture n° {invoice['number']}",
            reference=number,
        )
        await settlement.grant(uow, granted, by=who.user_id)
        await uow.commit()
    await render_and_store(ctx, note_id)
    return {"id": str(note_id), "number": number, "invoice_id": str(invoice_id), "amount_cents": amount.cents,
            "reason": reason}  # fmt: skip


# --- the PDF ----------------------------------------------------------------------------------


async def render_and_store(ctx: Billing, invoice_id: uuid.UUID) -> bool:
    """Render the document's PDF and store it (with ``billing.invoice.issued`` for an invoice);
    False when it was stored already."""
    async with ctx.read() as conn:
        docs = Invoices(conn)
        row = await docs.get(invoice_id)
        if row is None or row["has_pdf"]:
            return False
        lines = await docs.lines(invoice_id)
        credited = await docs.get(row["credited_invoice"]) if row["credited_invoice"] else None
    pdf = await invoice_pdf.render_pdf(
        invoice_pdf.context(row, lines, _town(ctx), credited["number"] if credited else None)
    )
    async with ctx.uow() as uow:
        if not await uow.invoices.store_pdf(invoice_id, pdf, hashlib.sha256(pdf).hexdigest()):
            return False
        if row["kind"] == "invoice":
            await uow.publish(
                integration.InvoiceIssued(
                    invoice_id=invoice_id,
                    number=row["number"],
                    dossier_id=row["dossier_id"],
                    month=row["month"].strftime("%Y-%m"),
                    total_cents=row["total_cents"],
                    due_on=row["due_on"],
                    lines=len(lines),
                    issued_at=row["issued_at"],
                )
            )
        await uow.commit()
    return True


async def render_missing(ctx: Billing) -> int:
    async with ctx.read() as conn:
        missing = await Invoices(conn).without_pdf()
    for invoice_id in missing:
        await render_and_store(ctx, invoice_id)
    return len(missing)


# --- parents ------------------------------------------------------------------------------------


async def own(uow: UnitOfWork, invoice_id: uuid.UUID, dossier_id: uuid.UUID | None):
    """The document if it is this family's (``None``: staff, any family); else 404."""
    row = await uow.invoices.get(invoice_id)
    if row is None or (dossier_id is not None and row["dossier_id"] != dossier_id):
        raise InvoiceNotFound()
    return row


async def pay(ctx: Billing, dossier_id: uuid.UUID, invoice_id: uuid.UUID) -> dict:
    """« Payer »: the whole amount still due (never part of it), credits first, then the
    provider's operation for the rest (checkout's ``answer``: ``payment_url`` when pending)."""
    async with ctx.uow() as uow:
        await uow.families.lock_account(dossier_id)
        row = await own(uow, invoice_id, dossier_id)
        if row["kind"] != "invoice":
            raise Conflict("Un avoir ne se paie pas.", code="credit_note_not_payable")
        ledger = await uow.ledger.of(dossier_id)
        due = ledger.outstanding(invoice_id)
        if not due.is_positive:
            raise Conflict("Cette facture est déjà réglée.", code="invoice_already_paid")
        made = checkout(
            payment_id=uuid.uuid4(),
            family_id=dossier_id,
            purpose="invoice",
            subject_id=invoice_id,
            amount_due=due,
            available_credit=ledger.available_credit,
            provider=ctx.provider.name,
            at=ctx.now(),
        )
        return_url = f"/facturation/factures/{invoice_id}"
        await uow.payments.insert(made.payment, checkout_id=None, basket_expires_at=None, return_url=return_url,
                                  lines=[])  # fmt: skip
        stored = StoredPayment(made.payment, None, None, invoice_id, None, return_url, None)
        await settlement.write_events(uow, stored, made.events)
        await uow.commit()
    if stored.payment.state is PaymentState.CREATED:
        stored = await checkout_service.start(ctx, stored)
    return checkout_service.answer(stored)
