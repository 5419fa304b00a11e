"""billing's e-mails: the payment receipt and the credit notice."""

from __future__ import annotations

from ..store import UnitOfWork
from .deps import Event, Messaging
from .emails import queue_for_dossier

HISTORY_PAGE = "/facturation/historique"

# billing's credit reasons (billing.domain.events.CreditReason), as a parent reads them.
CREDIT_REASONS = {
    "cancellation": "une journée déjà payée a été annulée",
    "late_payment": "votre paiement est arrivé après l'expiration de vos réservations, qui n'ont pas pu être confirmées",
    "staff": "geste commercial ou correction du service Facturation",
}


async def payment_succeeded(ctx: Messaging, uow: UnitOfWork, event: Event, data) -> None:
    """billing.payment.succeeded: the receipt; the amount is kept for the booking confirmation."""
    await uow.payments.add(
        data.payment_id,
        dossier_id=data.dossier_id,
        amount_cents=data.amount_cents,
        credit_used_cents=data.credit_used_cents,
        reference=data.reference,
        paid_at=event.occurred_at,
    )
    await queue_for_dossier(
        ctx,
        uow,
        "payment_receipt",
        dossier_id=data.dossier_id,
        event_id=event.id,
        context={
            "total_cents": data.amount_cents + data.credit_used_cents,
            "amount_cents": data.amount_cents,
            "credit_used_cents": data.credit_used_cents,
            "reference": data.reference,
            # A payment for an invoice carries no basket (docs/saga.md).
            "for_invoice": data.basket_id is None,
            "paid_at": event.occurred_at,
            "link": ctx.mail.link(f"/facturation/paiements/{data.payment_id}"),
        },
    )


async def credit_granted(ctx: Messaging, uow: UnitOfWork, event: Event, data) -> None:
    """billing.credit.granted: « un avoir a été ajouté à votre compte » (an unknown reason is not printed)."""
    await queue_for_dossier(
        ctx,
        uow,
        "credit_notice",
        dossier_id=data.dossier_id,
        event_id=event.id,
        context={
            "amount_cents": data.amount_cents,
            "reason_text": CREDIT_REASONS.get(data.reason),
            "link": ctx.mail.link(HISTORY_PAGE),
        },
    )
