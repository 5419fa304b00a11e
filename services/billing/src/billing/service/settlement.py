"""What becomes of a payment once created: the provider's verified answer, the payments whose
notification never came, and planning's answers (confirmed, refused, expired, cancelled).

Every change goes through the domain's :class:`~billing.domain.payments.Payment` transitions
under the payment's row lock (``FOR UPDATE``): a repeated notification finds the payment
already settled, the transition changes nothing and nothing is written or published. So five
identical notifications at once make one success, one ``billing.payment.succeeded``.

:func:`record` is the one place a transition's domain events become ledger entries, credits
and integration events.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import structlog

from .. import events as integration
from ..domain.events import CreditGranted, DomainEvent, PaymentExpired, PaymentFailed, PaymentSucceeded
from ..domain.ledger import cancellation_credit, entries_for
from ..domain.money import Money
from ..domain.payment_rules import OPERATION_LIFETIME
from ..domain.payments import CREDIT_PROVIDER, PaymentOutcome, PaymentPurpose, PaymentState, Transition
from ..providers import OperationResult
from ..store import UnitOfWork
from ..store.payments import Payments, StoredPayment
from .deps import Billing, Event

log = structlog.get_logger(__name__)

# How long past the operation's lifetime an operation the provider does not know (or never
# opened) is waited for before its payment expires; a « pending » one waits the provider's own
# ``pending_grace``. Expired payments are still asked about for as long again: paid late → credit.
EXPIRY_GRACE = timedelta(minutes=5)


def payment_label(provider: str) -> str:
    return {"payfip": "Paiement en ligne PayFiP", CREDIT_PROVIDER: "Réservations réglées par avoir"}.get(
        provider, "Paiement en ligne"
    )


async def record(
    uow: UnitOfWork,
    stored: StoredPayment,
    transition: Transition,
    *,
    expiry_reason: str = "expired",
    payment_url: str | None = None,
) -> None:
    """Save the payment's new state and write what its events mean, in the caller's transaction."""
    await uow.payments.save(transition.payment, payment_url=payment_url)
    await write_events(uow, stored, transition.events, expiry_reason=expiry_reason)


async def write_events(
    uow: UnitOfWork, stored: StoredPayment, events: tuple[DomainEvent, ...], *, expiry_reason: str = "expired"
) -> None:
    payment = stored.payment
    for event in events:
        if isinstance(event, CreditGranted):
            await grant(uow, event, payment_id=payment.id)
            continue
        for entry in entries_for(event, payment_label=payment_label(payment.provider)):
            await uow.ledger.add(payment.family_id, entry)
        if isinstance(event, PaymentSucceeded):
            await uow.publish(await _succeeded(uow, stored, event))
        elif isinstance(event, PaymentFailed | PaymentExpired):
            reason = event.reason if isinstance(event, PaymentFailed) else expiry_reason
            await uow.publish(
                integration.PaymentFailed(
                    payment_id=payment.id,
                    dossier_id=payment.family_id,
                    basket_id=stored.basket_id,
                    checkout_id=stored.checkout_id,
                    invoice_id=stored.invoice_id,
                    reason=reason,
                )
            )


async def _succeeded(uow: UnitOfWork, stored: StoredPayment, event: PaymentSucceeded) -> integration.PaymentSucceeded:
    payment = stored.payment
    lines = await uow.payments.lines(payment.id)
    return integration.PaymentSucceeded(
        payment_id=payment.id,
        dossier_id=payment.family_id,
        basket_id=stored.basket_id,
        checkout_id=stored.checkout_id,
        invoice_id=stored.invoice_id,
        amount_cents=event.amount.cents,
        credit_used_cents=event.credit_used.cents,
        total_cents=(event.amount + event.credit_used).cents,
        reference=payment.refdet,
        provider=payment.provider,
        paid_at=event.occurred_at,
        credited=event.subject_released,
        lines=[
            integration.PaidLine(
                date=x.day, child_id=x.child_id, activity_id=x.activity_id, label=x.label, amount_cents=x.amount.cents
            )
            for x in lines
        ],
    )


async def grant(
    uow: UnitOfWork,
    event: CreditGranted,
    *,
    payment_id: uuid.UUID | None = None,
    reservation_id: uuid.UUID | None = None,
    by: uuid.UUID | None = None,
) -> uuid.UUID | None:
    """Write a credit (row, ledger entry, ``billing.credit.granted``); None if it existed already."""
    credit_id = uuid.uuid4()
    created = await uow.credits.insert(
        credit_id=credit_id,
        dossier_id=event.family_id,
        amount=event.amount,
        reason=event.reason.value,
        label=event.label,
        at=event.occurred_at,
        payment_id=payment_id,
        reservation_id=reservation_id,
        by=by,
    )
    if not created:
        return None
    for entry in entries_for(event):
        await uow.ledger.add(event.family_id, entry, credit_id=credit_id, by=by)
    await uow.publish(
        integration.CreditGranted(
            credit_id=credit_id,
            dossier_id=event.family_id,
            amount_cents=event.amount.cents,
            reason=event.reason.value,
            label=event.label,
            payment_id=payment_id,
            granted_at=event.occurred_at,
        )
    )
    return credit_id


# --- the provider's answer -------------------------------------------------------------------


async def notification(ctx: Billing, idop: str) -> None:
    """A provider says « something happened to idop »: ask it what, then settle (or not)."""
    try:
        result = await ctx.provider.result(idop)
    except Exception as exc:  # unreachable now: the overdue job will ask again
        log.warning("payment_provider_result_failed", provider=ctx.provider.name, error=type(exc).__name__)
        return
    if result.state == "unknown":
        log.warning("payment_notification_unknown_operation", provider=ctx.provider.name)
        return
    async with ctx.uow() as uow:
        stored = await uow.payments.by_operation(ctx.provider.name, idop)
        if stored is None:
            log.warning("payment_notification_without_payment", provider=ctx.provider.name)
            return
        if await _apply_result(ctx, uow, stored, result):
            await uow.commit()


async def _apply_result(ctx: Billing, uow: UnitOfWork, stored: StoredPayment, result: OperationResult) -> bool:
    payment = stored.payment
    mismatch = (result.amount_cents is not None and result.amount_cents != payment.amount.cents) or (
        result.refdet is not None and result.refdet != payment.refdet
    )
    if mismatch:
        # The provider's record disagrees with ours: a human must look, nothing is settled.
        log.error("payment_result_mismatch", payment_id=str(payment.id), provider=ctx.provider.name)
        return False
    if result.state == "paid":
        transition = payment.succeed(ctx.now(), subject_available=await _still_payable(uow, stored))
    elif result.state == "refused":
        transition = payment.fail(ctx.now(), "refused")
    else:
        return False
    if transition.changed:
        await record(uow, stored, transition)
        log.info("payment_settled", payment_id=str(payment.id), state=transition.payment.state.value)
    return transition.changed


async def _still_payable(uow: UnitOfWork, stored: StoredPayment) -> bool:
    """An invoice paid twice (two payments opened, both paid): the second finds nothing left to
    pay and becomes a credit, like money arriving for a released basket."""
    payment = stored.payment
    if payment.purpose is not PaymentPurpose.INVOICE or payment.state is PaymentState.SUCCEEDED:
        return True
    await uow.families.lock_account(payment.family_id)
    ledger = await uow.ledger.of(payment.family_id)
    # This payment's own credits are already allocated to the invoice: the card pays the rest.
    return ledger.outstanding(payment.subject_id) >= payment.amount


async def resolve_overdue(ctx: Billing) -> int:
    """The periodic job: payments still open ``resolve_after`` after their creation, and payments
    abandoned with their basket whose operation could still be paid (their money is credited)."""
    now = ctx.now()
    watched = OPERATION_LIFETIME + ctx.provider.pending_grace + EXPIRY_GRACE
    async with ctx.read() as conn:
        overdue = await Payments(conn).to_resolve(open_before=now - ctx.resolve_after, abandoned_since=now - watched)
    for payment_id in overdue:
        try:
            await resolve(ctx, payment_id)
        except Exception as exc:  # one payment the provider cannot answer for does not stop the others
            log.warning("payment_resolve_failed", payment_id=str(payment_id), error=type(exc).__name__)
    return len(overdue)


async def resolve(ctx: Billing, payment_id: uuid.UUID) -> None:
    async with ctx.uow() as uow:
        stored = await uow.payments.get(payment_id)
    if stored is None or stored.payment.state is PaymentState.SUCCEEDED:
        return
    operation = stored.payment.operation_id
    result = await ctx.provider.result(operation) if operation else None
    async with ctx.uow() as uow:
        stored = await uow.payments.get(payment_id, lock=True)
        if result is not None and await _apply_result(ctx, uow, stored, result):
            await uow.commit()
            return
        if result is not None and result.state in ("paid", "refused"):
            return  # the provider decided, yet nothing was settled (a mismatch, logged): never expire it
        payment = stored.payment
        now = ctx.now()
        if payment.state is PaymentState.CREATED:
            transition = payment.fail(now, "not_started")  # the provider never opened an operation
        elif payment.is_overdue(
            now, grace=EXPIRY_GRACE if result is None or result.state == "unknown" else ctx.provider.pending_grace
        ):
            transition = payment.expire(now)
        else:
            return
        if transition.changed:
            await record(uow, stored, transition)
            await uow.commit()


# --- planning's answers (events) --------------------------------------------------------------


async def reservations_confirmed(ctx: Billing, uow: UnitOfWork, event: Event, data) -> None:
    if data.payment_id is None:
        return  # days confirmed without a payment: nothing was paid, nothing to apply
    stored = await uow.payments.get(data.payment_id, lock=True)
    if stored is None or stored.payment.family_id != data.dossier_id:
        log.warning("confirmation_for_unknown_payment")
        return
    await record(uow, stored, stored.payment.mark_applied(ctx.now()))
    paid = {(x.child_id, x.activity_id, x.day): x for x in await uow.payments.lines(stored.payment.id)}
    for r in data.reservations:
        line = paid.pop((r.child_id, r.activity_id, r.date), None)
        if line is None:
            continue  # a day planning confirms but billing did not price: nothing was paid for it
        await uow.booked_days.add(
            reservation_id=r.reservation_id,
            dossier_id=data.dossier_id,
            payment_id=stored.payment.id,
            child_id=r.child_id,
            activity_id=r.activity_id,
            day=r.date,
            label=line.label,
            amount=line.amount,
            at=ctx.now(),
        )
    await _credit_unconfirmed(ctx, uow, stored.payment.id, data.dossier_id, paid.values())


async def _credit_unconfirmed(ctx: Billing, uow: UnitOfWork, payment_id: uuid.UUID, dossier_id, lines) -> None:
    """Paid days planning did not confirm — staff closed them while the family was paying, or
    the day was booked meanwhile — become credits, in full: paid money is never lost. One
    credit per day and payment (its key stands in for the reservation that never was)."""
    for line in lines:
        if line.amount.cents == 0:
            continue
        credit = cancellation_credit(
            family_id=dossier_id,
            amount_paid=line.amount,
            label=f"Avoir : journée du {line.day:%d/%m/%Y} non réservée — {line.label}",
            at=ctx.now(),
        )
        key = uuid.uuid5(payment_id, f"{line.child_id}/{line.activity_id}/{line.day}")
        await grant(uow, credit, payment_id=payment_id, reservation_id=key)


async def reservations_refused(ctx: Billing, uow: UnitOfWork, event: Event, data) -> None:
    stored = await uow.payments.get(data.payment_id, lock=True)
    if stored is None or stored.payment.family_id != data.dossier_id:
        log.warning("refusal_for_unknown_payment")
        return
    if stored.payment.state is not PaymentState.SUCCEEDED or stored.payment.outcome is PaymentOutcome.APPLIED:
        # Planning refuses only a paid basket it has not confirmed; anything else is stale.
        log.warning("refusal_ignored", payment_id=str(stored.payment.id))
        return
    await record(uow, stored, stored.payment.convert_to_credit(ctx.now()))


async def basket_expired(ctx: Billing, uow: UnitOfWork, event: Event, data) -> None:
    stored = await uow.payments.by_checkout(data.checkout_id, lock=True)
    if stored is None or stored.payment.family_id != data.dossier_id:
        return
    # Abandoned: its credits come back now; if the money still comes, it becomes a credit.
    await record(uow, stored, stored.payment.expire(ctx.now()), expiry_reason="abandoned")


async def reservation_cancelled(ctx: Billing, uow: UnitOfWork, event: Event, data) -> None:
    booked = await uow.booked_days.cancel(data.reservation_id, ctx.now())
    if booked is None or booked["dossier_id"] != data.dossier_id or booked["amount_cents"] == 0:
        return
    credit = cancellation_credit(
        family_id=data.dossier_id,
        amount_paid=Money(booked["amount_cents"]),
        label=f"Avoir : annulation du {booked['day']:%d/%m/%Y} — {booked['label']}",
        at=ctx.now(),
    )
    await grant(uow, credit, payment_id=booked["payment_id"], reservation_id=data.reservation_id)
