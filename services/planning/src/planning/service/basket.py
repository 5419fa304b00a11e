"""The family's basket (« Validation des modifications ») and « Payer » (docs/saga.md).

Checkout, in three short transactions around one call to billing:

1. lock the basket (``SELECT ... FOR UPDATE``), take a place per add line with the
   conditional UPDATE (a full day: every hold of this transaction is rolled back, the full
   days are dropped from the basket in a new one, 409 ``days_full``), freeze it under a new
   ``checkout_id`` until ``expires_at``, publish ``planning.basket.checked_out``; commit;
2. ``billing.create_payment`` — billing silent: a compensating transaction reopens the
   basket and gives the places back, 503;
3. record the payment, apply the removals (``planning.reservation.cancelled``), remember the
   Idempotency-Key's answer; commit.

A second « Payer » within the hold finds the basket frozen and answers the same payment
(billing is idempotent on ``checkout_id`` too).
"""

from __future__ import annotations

import uuid
from uuid import UUID

from servicekit.errors import DomainError
from servicekit.idempotency import IdempotencyKey

from ..domain import Basket, BasketStatus, DayRef, RulesViolated
from ..domain import errors as domain_errors
from ..events import BasketCheckedOut, DayLine
from ..money import euros
from ..schemas import parent as s
from ..store import UnitOfWork
from . import billing
from .deps import Planning
from .errors import BasketChanged, BillingUnavailable, DaysFull
from .labels import amounts_by_ref, element_labels, quote_lines
from .payments import apply_removals, expire_one

PRICING = "à l'unité"


async def basket_view(p: Planning, dossier_id: UUID) -> s.BasketOut:
    async with UnitOfWork(p.pool) as uow:
        basket = await uow.baskets.active(dossier_id)
        stored = await uow.baskets.amounts(basket.id) if basket else {}
        labels = await element_labels(uow, basket.lines) if basket else {}
    if basket is None or not basket.lines:
        return _basket_out(basket, [], {}, {}, 0, True)
    lines = basket.sorted_lines()
    priced = True
    try:
        quote = await billing.quote(p, dossier_id, quote_lines([(x.ref, x.change) for x in lines], labels))
        amounts = amounts_by_ref(quote)
        credit = int(quote.get("credit_available_cents") or 0)
    except BillingUnavailable:
        # The page still shows the lines (with the last quote's amounts); « Payer » asks again.
        amounts, credit, priced = {r: a for r, a in stored.items() if a is not None}, 0, False
    return _basket_out(basket, lines, labels, amounts, credit, priced)


def _basket_out(basket: Basket | None, lines, labels, amounts, credit: int, priced: bool) -> s.BasketOut:
    out = [
        s.BasketLineOut(
            date=x.day,
            child_id=x.child_id,
            activity_id=x.activity_id,
            element=labels.get(x.ref, ""),
            pricing=PRICING,
            change=x.change,
            amount_cents=amounts.get(x.ref),
            amount=euros(amounts[x.ref]) if x.ref in amounts else None,
        )
        for x in lines
    ]
    out.sort(key=lambda x: (x.date, x.element))
    total = sum(a for a in (x.amount_cents for x in out) if a is not None)
    applied = max(0, min(credit, total))
    return s.BasketOut(
        id=basket.id if basket else None,
        status="checking_out" if basket and basket.status is BasketStatus.CHECKING_OUT else "open",
        expires_at=basket.expires_at if basket else None,
        lines=out,
        total_cents=total,
        total=euros(total),
        credit_applied_cents=applied,
        credit_applied=euros(applied),
        to_pay_cents=max(total - applied, 0),
        to_pay=euros(max(total - applied, 0)),
        priced=priced,
    )


async def clear_basket(p: Planning, dossier_id: UUID) -> None:
    """« Tout supprimer » (409 while a payment is under way)."""
    async with UnitOfWork(p.pool) as uow:
        basket = await uow.baskets.active(dossier_id, lock=True)
        if basket is None:
            return
        read_version = basket.version
        basket.clear()
        await uow.baskets.save(basket, read_version)
        await uow.commit()


def _payment_answer(row) -> s.CheckoutOut:
    covered = row["payment_status"] == "covered" or row["status"] == "confirmed"
    return s.CheckoutOut(
        basket_id=row["id"],
        status="confirmed" if covered else "payment_pending",
        payment_url=None if covered else row["payment_url"],
        payment_id=row["payment_id"],
        expires_at=None if covered else row["expires_at"],
    )


async def checkout(p: Planning, dossier_id: UUID, key: IdempotencyKey | None) -> s.CheckoutOut:
    now = p.now()
    full: list[DayRef] = []
    async with UnitOfWork(p.pool) as uow:
        basket = await uow.baskets.active(dossier_id, lock=True)
        if basket is None:
            raise domain_errors.conflict("basket_empty")
        if basket.status is BasketStatus.CHECKING_OUT:
            if now >= basket.expires_at:
                await expire_one(uow, basket, now)
                await uow.commit()
                raise domain_errors.conflict("basket_expired")
            row = await uow.baskets.row(basket.id)
            if row["payment_id"] is not None:  # a double click: the same payment
                answer = _payment_answer(row)
                await uow.remember(key, answer)
                await uow.commit()
                return answer
            repeated = True  # the first click is still waiting for billing: ask again, same checkout_id
        else:
            repeated = False
            read_version = basket.version
            deadlines = await uow.calendars.deadlines()
            try:
                result = basket.checkout(
                    now, hold_minutes=p.hold_minutes, deadlines=deadlines, checkout_id=uuid.uuid4()
                )
            except RulesViolated as late:
                # Time passed since « Valider »: the late lines leave the basket, the parent is told which.
                basket.drop([x.ref for x in basket.sorted_lines() if not deadlines.can_change(x.day, x.change, now)])
                await uow.baskets.save(basket, read_version)
                await uow.commit()
                raise late from None
            if result.status is BasketStatus.CONFIRMED:  # removals only: nothing to pay
                await apply_removals(uow, basket, now)
                if not await uow.baskets.save(basket, read_version):
                    raise BasketChanged()
                answer = s.CheckoutOut(basket_id=basket.id, status="confirmed")
                await uow.remember(key, answer)
                await uow.commit()
                return answer
            for ref in sorted(basket.adds, key=lambda r: (r.activity_id, r.day)):
                if not await uow.places.hold(ref.activity_id, ref.day):
                    full.append(ref)
            if not full:
                await uow.baskets.save(basket, read_version)
                await uow.publish(
                    BasketCheckedOut(
                        basket_id=basket.id,
                        checkout_id=basket.checkout_id,
                        dossier_id=dossier_id,
                        expires_at=basket.expires_at,
                        lines=[
                            DayLine(child_id=r.child_id, activity_id=r.activity_id, date=r.day) for r in basket.adds
                        ],
                    )
                )
                labels = await element_labels(uow, basket.adds)
                await uow.commit()
        if repeated:
            labels = await element_labels(uow, basket.adds)
    if full:
        await _drop_full_days(p, dossier_id, full)
    return await _ask_payment(p, basket, labels, key, repeated=repeated)


async def _drop_full_days(p: Planning, dossier_id: UUID, full: list[DayRef]) -> None:
    """The checkout's holds were rolled back; the full days leave the basket, 409."""
    async with UnitOfWork(p.pool) as uow:
        basket = await uow.baskets.active(dossier_id, lock=True)
        if basket is not None and basket.status is BasketStatus.OPEN:
            read_version = basket.version
            basket.drop(full)
            await uow.baskets.save(basket, read_version)
        await uow.commit()
    days = [
        {
            "date": r.day.isoformat(),
            "activity_id": str(r.activity_id),
            "child_id": str(r.child_id),
            "code": "day_full",
            "message": domain_errors.DAY_FULL.format(day=domain_errors.french_date(r.day)),
        }
        for r in sorted(full)
    ]
    raise DaysFull(extra={"days": days})


async def _ask_payment(
    p: Planning, basket: Basket, labels: dict[DayRef, str], key: IdempotencyKey | None, *, repeated: bool
) -> s.CheckoutOut:
    lines = quote_lines([(r, "add") for r in basket.adds], labels)
    try:
        payment = await billing.create_payment(
            p, basket.family_id, basket.id, basket.checkout_id, basket.expires_at, lines
        )
    except DomainError:
        if not repeated:  # the first click's call failed: nothing may stay held
            await _reopen(p, basket.id, basket.checkout_id)
        raise
    async with UnitOfWork(p.pool) as uow:
        current = await uow.baskets.get(basket.id, lock=True)
        await uow.baskets.record_payment(
            basket.id,
            payment_id=UUID(str(payment["payment_id"])),
            payment_status=payment["status"],
            payment_url=payment.get("payment_url"),
            amount_cents=payment.get("amount_cents"),
        )
        if current.checkout_id == basket.checkout_id:
            await apply_removals(uow, current, p.now())
        answer = _payment_answer(await uow.baskets.row(basket.id))
        await uow.remember(key, answer)
        await uow.commit()
    return answer


async def _reopen(p: Planning, basket_id: UUID, checkout_id: UUID) -> None:
    """The compensating transaction: the basket open again as before « Payer », places freed."""
    async with UnitOfWork(p.pool) as uow:
        basket = await uow.baskets.get(basket_id, lock=True)
        if basket.status is BasketStatus.CHECKING_OUT and basket.checkout_id == checkout_id:
            read_version = basket.version
            await uow.places.release(basket.reopen())
            await uow.baskets.save(basket, read_version)
        await uow.commit()
