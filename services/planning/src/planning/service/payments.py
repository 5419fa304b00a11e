"""billing's answers (``billing.payment.succeeded`` / ``failed``), the expiry job, and the
removals a checkout applies. Each step is idempotent on top of the inbox: the same payment
twice confirms once; a payment planning cannot apply is refused so billing credits it."""

from __future__ import annotations

import uuid
from datetime import datetime
from uuid import UUID

from ..domain import (
    Basket,
    BasketReleased,
    BasketStatus,
    ConfirmOutcome,
    Month,
    PaymentNotApplied,
    ReservationsConfirmed,
)
from ..events import BasketExpired, ConfirmedReservation, ReservationCancelled, ReservationsRefused
from ..events import ReservationsConfirmed as ConfirmedEvent
from ..store import UnitOfWork
from .deps import Planning
from .labels import element_labels
from .rules import booking_rules


async def apply_removals(uow: UnitOfWork, basket: Basket, now: datetime) -> int:
    """Unbook the basket's paid days: place freed, ``planning.reservation.cancelled`` (billing
    credits what was paid). A day already unbooked is skipped, so applying twice is harmless."""
    done = 0
    for cancelled in basket.cancellations():
        ref = cancelled.ref
        row = await uow.reservations.cancel(ref, now)
        if row is None:
            continue
        await uow.places.cancel(ref)
        await uow.publish(
            ReservationCancelled(
                reservation_id=row["id"],
                dossier_id=row["dossier_id"],
                child_id=ref.child_id,
                activity_id=ref.activity_id,
                date=ref.day,
                payment_id=row["payment_id"],
            )
        )
        done += 1
    return done


async def expire_one(uow: UnitOfWork, basket: Basket, now: datetime) -> bool:
    """The hold is over: places freed, ``planning.basket.expired`` (billing abandons the payment)."""
    read_version, checkout_id = basket.version, basket.checkout_id
    released = basket.expire(now)
    if not released:
        return False
    for event in released:
        await uow.places.release(event.days)
    await uow.baskets.save(basket, read_version, release_reason="expired")
    await uow.publish(BasketExpired(basket_id=basket.id, checkout_id=checkout_id, dossier_id=basket.family_id))
    return True


async def expire_baskets(p: Planning, now: datetime | None = None) -> int:
    """The expiry job's round: every basket whose hold is over (skipping those in use)."""
    now = now or p.now()
    async with UnitOfWork(p.pool) as uow:
        expired = 0
        for basket_id in await uow.baskets.expired(now):
            basket = await uow.baskets.get(basket_id, lock=True)
            expired += await expire_one(uow, basket, now)
        await uow.commit()
    return expired


async def _withdraw_closed(uow: UnitOfWork, basket: Basket) -> None:
    """Never confirm a closed day: a closure recorded while this basket was being paid (its
    own transaction withdrew the line already, unless « Valider » raced it) — the line goes,
    its held place is freed, and billing credits that day's share of the payment."""
    if basket.status is not BasketStatus.CHECKING_OUT or not basket.adds:
        return
    days = [ref.day for ref in basket.adds]
    closures = await uow.calendars.closures(min(days), max(days))
    withdrawn = basket.withdraw(closures) if closures else None
    if withdrawn is not None:
        await uow.places.release(withdrawn.held)


def _refusal_reason(event: PaymentNotApplied, release_reason: str | None) -> str:
    if event.reason == "basket_released" and release_reason == "expired":
        return "expired"
    return "released"


async def payment_succeeded(
    uow: UnitOfWork, now: datetime, *, payment_id: UUID, dossier_id: UUID, basket_id: UUID, checkout_id: UUID | None
) -> ConfirmOutcome | None:
    """Confirm the basket still frozen under ``checkout_id``; otherwise refuse the payment."""
    basket = await uow.baskets.get(basket_id, lock=True)
    if basket is None or basket.family_id != dossier_id:
        await _refuse(uow, basket_id, checkout_id, dossier_id, payment_id, "unknown_basket")
        return None
    read_version, current_checkout = basket.version, basket.checkout_id
    await _withdraw_closed(uow, basket)
    result = basket.confirm(payment_id, now, checkout_id)
    release_reason = (await uow.baskets.row(basket.id))["release_reason"]
    for event in result.events:
        if isinstance(event, ReservationsConfirmed):
            await _confirm(uow, basket, event, current_checkout, payment_id)
        elif isinstance(event, BasketReleased):  # paid at or after expires_at, before the job ran
            await uow.places.release(event.days)
            release_reason = "expired"
            await uow.publish(
                BasketExpired(basket_id=basket.id, checkout_id=current_checkout, dossier_id=basket.family_id)
            )
        elif isinstance(event, PaymentNotApplied):
            reason = _refusal_reason(event, release_reason)
            await _refuse(uow, basket.id, checkout_id, basket.family_id, payment_id, reason)
    if basket.version != read_version:
        await uow.baskets.save(basket, read_version, release_reason=release_reason)
    return result.outcome


async def _refuse(uow: UnitOfWork, basket_id, checkout_id, dossier_id, payment_id, reason: str) -> None:
    """``planning.reservations.refused``: billing keeps the payment as a credit, never lost."""
    await uow.publish(
        ReservationsRefused(
            basket_id=basket_id, checkout_id=checkout_id, dossier_id=dossier_id, payment_id=payment_id, reason=reason
        )
    )


async def _confirm(
    uow: UnitOfWork, basket: Basket, event: ReservationsConfirmed, checkout_id: UUID | None, payment_id: UUID
) -> None:
    labels = await element_labels(uow, event.days)
    made = []
    for ref in sorted(event.days, key=lambda r: (r.activity_id, r.day)):
        reservation_id = await uow.reservations.add(basket.family_id, ref, basket.id, payment_id)
        if reservation_id is None:  # already booked some other way: the held place goes back
            await uow.places.release([ref])
            continue
        await uow.places.confirm([ref])
        made.append(
            ConfirmedReservation(
                reservation_id=reservation_id,
                child_id=ref.child_id,
                activity_id=ref.activity_id,
                date=ref.day,
                label=labels.get(ref, ""),
            )
        )
    await uow.publish(
        ConfirmedEvent(
            basket_id=basket.id,
            checkout_id=checkout_id,
            dossier_id=basket.family_id,
            payment_id=payment_id,
            reservations=made,
        )
    )


async def payment_failed(uow: UnitOfWork, *, basket_id: UUID, checkout_id: UUID | None) -> bool:
    """The payment was refused or abandoned: the places are freed at once."""
    basket = await uow.baskets.get(basket_id, lock=True)
    if basket is None:
        return False
    read_version = basket.version
    released = basket.fail(checkout_id)
    for event in released:
        await uow.places.release(event.days)
    if released:
        await uow.baskets.save(basket, read_version, release_reason="payment_failed")
    return bool(released)


async def book_paid_days(
    p: Planning, dossier_id: UUID, child_id: UUID, wanted: dict[Month, dict[UUID, list]], payment_id: UUID
) -> int:
    """Days booked and paid outside the parent's pages (the demo family's history): the
    domain's own checkout and confirmation, places taken by the same conditional update.
    Does nothing for a family that already has bookings; returns how many days were booked."""
    now = p.now()
    async with UnitOfWork(p.pool) as uow:
        if await uow.reservations.of_dossier(dossier_id):
            return 0
        basket = await uow.baskets.open_for(dossier_id, lock=True)
        if basket.lines or basket.status is not BasketStatus.OPEN:
            return 0
        read_version = basket.version
        child = await uow.children.get(child_id, dossier_id)
        activities = await uow.activities.many(sorted(child.enrolments))
        for month, days in wanted.items():
            rules = await booking_rules(uow, month.first_day, month.last_day)
            places = await uow.places.of(sorted(activities), month.first_day, month.last_day)
            basket.request_month(child, month, days, activities=activities, now=now, rules=rules, capacity=places)
        if not basket.adds:
            return 0
        basket.checkout(now, hold_minutes=p.hold_minutes, checkout_id=uuid.uuid4())
        for ref in sorted(basket.adds, key=lambda r: (r.activity_id, r.day)):
            if not await uow.places.hold(ref.activity_id, ref.day):
                raise RuntimeError("no place left for a demo booking")
        checkout_id = basket.checkout_id
        for event in basket.confirm(payment_id, now, checkout_id).events:
            await _confirm(uow, basket, event, checkout_id, payment_id)
        await uow.baskets.save(basket, read_version, payment_status="covered")
        await uow.commit()
        return len(basket.adds)
