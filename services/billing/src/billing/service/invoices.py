"""Invoices and credit notes: issuing the month's invoices of a batch of families, staff
charges, credit notes, the PDF rendered once after issue, and what a parent reads and pays.

Numbering: invoices are numbered by batch (:func:`issue_batch`, store/invoicing_batch.py): the
(series, year) counter row is locked, the families already invoiced are left out, and the
batch's numbers are taken as one block in the very transaction that inserts the invoices, so a
rollback gives the block back (no gap) and concurrent batches wait for each other (no
duplicate). Credit notes take one number at a time (:meth:`~billing.store.invoices.Counters.next`).
Invoices (``2026-000042``) and credit notes (``AV-2026-000001``) have a sequence each. The
unique index (dossier, month) is the last guard against a second invoice for the same month.

The PDF is rendered after the issuing transaction (WeasyPrint takes a fifth of a second a
page; no lock is held meanwhile), then stored with ``billing.invoice.issued`` in one
transaction: messaging is told only once the PDF exists (it attaches it to its e-mail). An
invoice whose PDF is missing is rendered by :func:`render_missing` (each run ends with it).
"""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from dataclasses import dataclass
from datetime import date
from itertools import count

import structlog

from .. import events as integration
from ..domain.errors import BillingError, Conflict, NotFound
from ..domain.events import CreditGranted, CreditReason
from ..domain.invoicing import (
    InvoiceLine,
    credit_note_amount,
    document_number,
    due_on,
    invoice_entry_label,
    next_month,
    price_families,
    rows_total,
)
from ..domain.ledger import PARIS
from ..domain.money import Money
from ..domain.payments import PaymentState, checkout
from ..store import UnitOfWork
from ..store.invoices import Invoices
from ..store.invoicing_batch import InvoicingBatch, NewInvoice
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


@dataclass(frozen=True)
class Batch:
    """What :func:`issue_batch` did: the invoices issued, and the families it could not invoice."""

    issued: list[NewInvoice]
    failed: dict[uuid.UUID, BillingError]


async def issue_batch(ctx: Billing, run_id: uuid.UUID | None, month: date, dossiers: list[uuid.UUID]) -> Batch:
    """Issue the month's invoice of each of ``dossiers`` that has something to pay and none yet,
    in one transaction (the run's progress with it): read in bulk, priced in memory from plain
    rows (:func:`~billing.domain.invoicing.price_families`), numbered as one block under the
    counter's lock, written in two statements."""
    if not dossiers:
        return Batch([], {})
    end = next_month(month)
    issued_at = ctx.now()
    today = issued_at.astimezone(PARIS).date()
    async with ctx.uow() as uow:
        batch = InvoicingBatch(uow.conn)
        data = await batch.read(dossiers, month, end)
        lines, failed = price_families(data.presences, data.charges, grids=data.grids, qf_histories=data.qf_histories,
                                       child_names=data.child_names, activity_names=data.activity_names)  # fmt: skip
        priced: list[tuple[uuid.UUID, list, int]] = []
        for dossier_id in dossiers:
            if dossier_id not in data.families:
                failed[dossier_id] = UnknownFamily()
            elif dossier_id not in failed:
                found = lines.get(dossier_id, ())
                amount = rows_total(found)
                if amount > 0:  # nothing, or free days only: nothing to ask for
                    priced.append((dossier_id, found, amount))
        for dossier_id, exc in failed.items():
            log.warning("invoice_not_issued", dossier_id=str(dossier_id), code=exc.code)
        issued: list[NewInvoice] = []
        if priced:
            # The families' money locks, then the counter's: a batch in flight before this one
            # holds the counter until it commits (this one has read and priced meanwhile); a
            # concurrent run waits here, then finds its invoices issued.
            await batch.lock_accounts([d for d, _, _ in priced])
            await batch.lock_counter("invoice", today.year)
            done = await batch.already_invoiced((d for d, _, _ in priced), month)
            priced = [p for p in priced if p[0] not in done]
        if priced:
            first = await batch.take_numbers("invoice", today.year, len(priced))
            issued = [NewInvoice(data.invoice_ids[dossier_id], document_number("invoice", today.year, seq), dossier_id,
                                 data.families[dossier_id], found, amount)
                      for seq, (dossier_id, found, amount) in zip(count(first), priced)]  # fmt: skip
            await batch.write(issued, month=month, issued_at=issued_at, due_on=due_on(today, ctx.invoice_due_days),
                              run_id=run_id, entry_labels=[invoice_entry_label(x.number) for x in issued],
                              charge_ids=data.charge_ids)  # fmt: skip
        if run_id is not None:
            await uow.runs.progress(run_id, done=len(dossiers), error=len(failed), issued=len(issued),
                                    amount=Money(sum(x.total_cents for x in issued)))  # fmt: skip
        await uow.commit()
    return Batch(issued, failed)


async def issue_month(ctx: Billing, dossier_id: uuid.UUID, month: date, run_id: uuid.UUID | None) -> tuple | None:
    """Issue ``dossier_id``'s invoice for ``month`` → (invoice id, total), or None when there is
    nothing to invoice or the invoice exists already (another run issued it)."""
    done = await issue_batch(ctx, run_id, month, [dossier_id])
    if dossier_id in done.failed:
        raise done.failed[dossier_id]
    return (done.issued[0].id, done.issued[0].total) if done.issued else None


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
    pdf = await ctx.printer(
        invoice_pdf.render_html(invoice_pdf.context(row, lines, _town(ctx), credited["number"] if credited else None))
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


async def render_missing(ctx: Billing, page: int = 200) -> int:
    """Render every document still without its PDF (oldest first, ``page`` ids read at a time,
    as many printing at once as the printer has workers); one that fails is logged and left for
    the next run. → how many were stored."""
    stored, after = 0, None
    slots = asyncio.Semaphore(ctx.printer.concurrency)

    async def one(invoice_id: uuid.UUID) -> None:
        nonlocal stored
        async with slots:
            try:
                done = await render_and_store(ctx, invoice_id)
            except Exception as exc:  # rendered again by the next run
                log.error("invoice_pdf_failed", invoice_id=str(invoice_id), error=type(exc).__name__)
            else:
                stored += done  # after the await: ``stored += await …`` would add to a stale value

    while True:
        async with ctx.read() as conn:
            missing = await Invoices(conn).without_pdf(limit=page, after=after)
        async with asyncio.TaskGroup() as group:
            for invoice_id, _ in missing:
                group.create_task(one(invoice_id))
        if len(missing) < page:
            return stored
        after = missing[-1]


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
