"""« Coût de la période » and « Payer »: planning asks over request/reply (docs/saga.md).

Billing prices every line itself, each day with the QF valid that day; nothing here trusts
an amount from planning or a browser. ``create_payment`` spends the family's credits first,
under the family's row lock (two checkouts cannot spend the same credit), and is idempotent
on ``checkout_id``: asked twice, it answers the same payment.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import date
from typing import Literal

import structlog
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from ..domain.errors import BillingError, Conflict, InvalidInput, NotFound
from ..domain.ledger import apply_credits
from ..domain.money import Money, format_cents
from ..domain.payment_rules import PAYFIP_LIMITS
from ..domain.payments import CREDIT_PROVIDER, PaymentState, checkout
from ..domain.pricing import UNIT_PRICING, BookingLine, Quote, quote
from ..domain.tariffs import school_year_of
from ..providers import ProviderUnavailable
from ..store import UnitOfWork
from ..store.payments import PaymentLine, StoredPayment
from . import settlement
from .deps import Billing

log = structlog.get_logger(__name__)

MAX_LINES = 400


class Params(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class SagaLine(Params):
    child_id: uuid.UUID
    activity_id: uuid.UUID
    date: date
    change: Literal["add", "remove"] = "add"
    label: str = Field(min_length=1, max_length=300)


class QuoteParams(Params):
    dossier_id: uuid.UUID
    lines: list[SagaLine] = Field(max_length=MAX_LINES)


class CreatePaymentParams(Params):
    dossier_id: uuid.UUID
    basket_id: uuid.UUID
    checkout_id: uuid.UUID
    expires_at: AwareDatetime
    lines: list[SagaLine] = Field(min_length=1, max_length=MAX_LINES)
    # A path of the portal (never another site: no open redirect through a payment).
    return_url: str = Field("/", max_length=500, pattern=r"^/([^/\\].*)?$")


class UnknownActivity(NotFound):
    code = "unknown_activity"


async def price(uow: UnitOfWork, dossier_id: uuid.UUID, lines: list[SagaLine]) -> Quote:
    """The domain's quote of these days for this family (QF valid each day)."""
    for activity_id in {x.activity_id for x in lines}:
        if await uow.activities.get(activity_id) is None:
            raise UnknownActivity("Cette activité n'a pas encore de tarif. Merci de contacter la mairie.")
    grids = await uow.tariffs.grids((x.activity_id, school_year_of(x.date)) for x in lines)
    history = await uow.qfs.history(dossier_id)
    booking = [BookingLine(x.date, x.child_id, "", x.activity_id, "", given_label=x.label) for x in lines]
    try:
        return quote(booking, grids, history)
    except NotFound as exc:
        raise UnknownActivity(exc.message) from None


async def quote_lines(ctx: Billing, params: QuoteParams) -> dict:
    adds = [x for x in params.lines if x.change == "add"]
    removes = [x for x in params.lines if x.change == "remove"]
    async with ctx.uow() as uow:
        priced = await price(uow, params.dossier_id, adds)
        paid = await uow.booked_days.paid_for(params.dossier_id, [(x.child_id, x.activity_id, x.date) for x in removes])
        credit = (await uow.ledger.of(params.dossier_id)).available_credit
    add_cost = {(q.day, q.child_id, q.activity_id): q.cost for q in priced.lines}
    lines = []
    for x in params.lines:
        if x.change == "add":
            amount = add_cost[(x.date, x.child_id, x.activity_id)]
        else:
            amount = -paid.get((x.child_id, x.activity_id, x.date), Money.zero())
        lines.append(
            {
                "child_id": str(x.child_id),
                "activity_id": str(x.activity_id),
                "date": x.date.isoformat(),
                "change": x.change,
                "label": x.label,
                "pricing": UNIT_PRICING,
                "amount_cents": amount.cents,
                "amount": amount.format_fr(),
            }
        )
    total = Money.total(Money(x["amount_cents"]) for x in lines)
    # Removals credit the family from the next payment on: what this one costs is its additions.
    to_pay = _to_pay(priced.total, credit)
    return {
        "lines": lines,
        "total_cents": total.cents,
        "total": total.format_fr(),
        "credit_available_cents": credit.cents,
        "credit_available": credit.format_fr(),
        "to_pay_cents": to_pay.cents,
        "to_pay": to_pay.format_fr(),
    }


def _to_pay(due: Money, credit: Money) -> Money:
    try:
        return apply_credits(due, credit, PAYFIP_LIMITS).to_pay
    except InvalidInput:  # below the card minimum: checkout will say so; the quote shows the plain difference
        return due - due.min(credit)


async def create_payment(ctx: Billing, params: CreatePaymentParams) -> dict:
    if any(x.change != "add" for x in params.lines):
        raise Conflict("Seuls des jours ajoutés se paient.", code="remove_line_in_payment")
    async with ctx.uow() as uow:
        await uow.families.lock_account(params.dossier_id)
        stored = await uow.payments.by_checkout(params.checkout_id)
        if stored is None:
            stored = await _new_payment(ctx, uow, params)
            await uow.commit()
        elif stored.payment.family_id != params.dossier_id or stored.basket_id != params.basket_id:
            raise Conflict("Ce paiement appartient à un autre panier.", code="checkout_id_reused")
    if stored.payment.state is PaymentState.CREATED:
        stored = await start(ctx, stored)
    return answer(stored)


async def _new_payment(ctx: Billing, uow: UnitOfWork, params: CreatePaymentParams) -> StoredPayment:
    priced = await price(uow, params.dossier_id, list(params.lines))
    ledger = await uow.ledger.of(params.dossier_id)
    payment_id = uuid.uuid4()
    made = checkout(
        payment_id=payment_id,
        family_id=params.dossier_id,
        purpose="basket",
        subject_id=params.basket_id,
        amount_due=priced.total,
        available_credit=ledger.available_credit,
        provider=ctx.provider.name,
        at=ctx.now(),
    )
    lines = [PaymentLine(q.child_id, q.activity_id, q.day, q.label, q.cost) for q in priced.lines]
    await uow.payments.insert(
        made.payment,
        checkout_id=params.checkout_id,
        basket_expires_at=params.expires_at,
        return_url=params.return_url,
        lines=lines,
    )
    stored = StoredPayment(
        made.payment, params.basket_id, params.checkout_id, None, None, params.return_url, params.expires_at
    )
    # Credits set aside now; a covered basket publishes billing.payment.succeeded in this transaction.
    await settlement.write_events(uow, stored, made.events)
    return stored


async def start(ctx: Billing, stored: StoredPayment) -> StoredPayment:
    """Open the provider's operation under the payment's row lock: a concurrent retry of the
    same checkout waits here, then finds the payment started instead of opening a second one."""
    payment = stored.payment
    try:
        async with ctx.uow() as uow:
            stored = await uow.payments.get(payment.id, lock=True)
            if stored.payment.state is not PaymentState.CREATED:
                return stored
            family = await uow.families.get(payment.family_id)
            operation = await ctx.provider.start(
                payment_id=payment.id,
                refdet=payment.refdet,
                amount_cents=payment.amount.cents,
                email=family["contact_email"] if family else None,
                return_url=ctx.public_url + f"/facturation/paiements/{payment.id}",
                notification_url=ctx.public_url + f"/api/billing/payments/notifications/{ctx.provider.name}",
                conn=uow.conn,
            )
            transition = stored.payment.start(operation.idop, ctx.now())
            await settlement.record(uow, stored, transition, payment_url=operation.payment_url)
            await uow.commit()
            return replace(stored, payment=transition.payment, payment_url=operation.payment_url)
    except Exception as exc:
        log.error("payment_provider_start_failed", provider=ctx.provider.name, error=type(exc).__name__)
        async with ctx.uow() as uow:
            stored = await uow.payments.get(payment.id, lock=True)
            await settlement.record(uow, stored, stored.payment.fail(ctx.now(), "not_started"))
            await uow.commit()
        if isinstance(exc, BillingError):
            raise  # the provider's own refusal of this payment (an amount, an e-mail it will not take)
        raise ProviderUnavailable() from exc


def answer(stored: StoredPayment) -> dict:
    p = stored.payment
    common = {
        "payment_id": str(p.id),
        "amount_cents": p.amount.cents,
        "amount": format_cents(p.amount.cents),
        "credit_used_cents": p.credit_used.cents,
        "credit_used": format_cents(p.credit_used.cents),
        "reference": p.refdet,
    }
    if p.provider == CREDIT_PROVIDER:
        return {**common, "status": "covered"}
    if p.state is PaymentState.PENDING:
        return {**common, "status": "pending", "payment_url": stored.payment_url}
    return {**common, "status": p.state.value}
