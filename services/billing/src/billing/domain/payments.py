"""The payment aggregate: one online payment of a basket or an invoice, from creation to its end.

States (:class:`PaymentState`)::

    created ──start(idop)──▶ pending ──succeed──▶ succeeded ──mark_applied──▶ (outcome applied)
       │                        │                      └──convert_to_credit──▶ (outcome credited)
       └────────fail / expire───┴──▶ failed | expired ──succeed──▶ succeeded (outcome credited)

Every method returns a :class:`Transition` (the new ``payment`` and the ``events`` it produced);
``transition.changed`` is False, with no event, when the call repeats what already happened
(succeeding twice, failing a failed payment, the same ``idop`` given twice), so five identical
notifications make one payment, one confirmation and one e-mail. Money received is never lost:

- ``succeed`` is accepted from every state: the provider's verified answer is the truth about
  money. From ``failed``/``expired`` (the basket was already released) it also returns
  ``CreditGranted(reason=late_payment)`` and the payment's outcome is ``credited``.
- ``succeed(at, subject_available=False)`` (the basket expired or its places went to another
  family) and ``convert_to_credit(at)`` (planning reports that after the success) turn the card
  amount into a credit and give back the credits the payment had set aside
  (``CreditsReleased``): the family gets the whole basket's value as credit.
- ``fail``/``expire`` never undo a success (they change nothing then) and give back the credits
  the payment set aside.

Refusals are :class:`Conflict`: ``payment_operation_mismatch`` (another ``idop`` for a started
payment), ``payment_not_succeeded`` (applying or crediting an unpaid payment),
``payment_already_credited`` / ``payment_already_applied`` (the two outcomes exclude each other).
``Payment.create`` refuses an amount outside the provider's limits and a bad ``refdet``.

``checkout(...)`` is the domain half of « Payer »: credits first (:func:`apply_credits`), then
either a covered payment (:meth:`Payment.covered`: credits paid it all, 0 by card, succeeded at
once, no provider) or a created :class:`Payment` for the rest.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from uuid import UUID

from billing.domain.errors import Conflict
from billing.domain.events import (
    CreditGranted,
    CreditReason,
    CreditsApplied,
    CreditsReleased,
    DomainEvent,
    PaymentApplied,
    PaymentCreated,
    PaymentExpired,
    PaymentFailed,
    PaymentPending,
    PaymentSucceeded,
    require_aware,
)
from billing.domain.ledger import LATE_PAYMENT_LABEL, PARIS, CreditApplication, apply_credits
from billing.domain.money import Money
from billing.domain.payment_rules import OPERATION_LIFETIME, PAYFIP_LIMITS, AmountLimits, check_refdet, new_refdet


class PaymentState(StrEnum):
    CREATED = "created"
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    EXPIRED = "expired"


class PaymentPurpose(StrEnum):
    BASKET = "basket"
    INVOICE = "invoice"


class PaymentOutcome(StrEnum):
    APPLIED = "applied"  # the basket's days were confirmed / the invoice was paid
    CREDITED = "credited"  # the money became a credit on the family account


_OPEN = (PaymentState.CREATED, PaymentState.PENDING)

# The provider name of a payment that credits covered entirely.
CREDIT_PROVIDER = "credit"


@dataclass(frozen=True)
class Transition:
    payment: Payment
    events: tuple[DomainEvent, ...] = ()

    @property
    def changed(self) -> bool:
        return bool(self.events)


@dataclass(frozen=True, kw_only=True)
class Payment:
    id: Hashable
    family_id: Hashable
    purpose: PaymentPurpose
    subject_id: Hashable
    amount: Money  # what the card pays
    credit_used: Money  # what credits paid of the same subject
    refdet: str
    provider: str
    created_at: datetime
    state: PaymentState = PaymentState.CREATED
    operation_id: str | None = None
    started_at: datetime | None = None
    settled_at: datetime | None = None
    outcome: PaymentOutcome | None = None
    failure_reason: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.amount, Money) or not isinstance(self.credit_used, Money):
            raise TypeError("payment amounts are Money")
        if self.credit_used.is_negative:
            raise ValueError("credit_used is never negative")
        check_refdet(self.refdet)
        require_aware(self.created_at)
        object.__setattr__(self, "purpose", PaymentPurpose(self.purpose))
        object.__setattr__(self, "state", PaymentState(self.state))
        if self.outcome is not None:
            object.__setattr__(self, "outcome", PaymentOutcome(self.outcome))

    @property
    def total(self) -> Money:
        """What the subject cost: card amount plus credits used."""
        return self.amount + self.credit_used

    @classmethod
    def create(
        cls,
        *,
        id: UUID,
        family_id: Hashable,
        purpose: PaymentPurpose | str,
        subject_id: Hashable,
        amount: Money,
        provider: str,
        at: datetime,
        credit_used: Money | None = None,
        refdet: str | None = None,
        limits: AmountLimits = PAYFIP_LIMITS,
    ) -> Transition:
        limits.check(amount)
        credit_used = credit_used if credit_used is not None else Money.zero()
        refdet = refdet if refdet is not None else new_refdet(id, require_aware(at).astimezone(PARIS).date())
        payment = cls(
            id=id,
            family_id=family_id,
            purpose=purpose,
            subject_id=subject_id,
            amount=amount,
            credit_used=credit_used,
            refdet=refdet,
            provider=provider,
            created_at=at,
        )
        events: list[DomainEvent] = [
            PaymentCreated(
                family_id=family_id,
                occurred_at=at,
                payment_id=id,
                amount=amount,
                credit_used=credit_used,
                refdet=refdet,
            )
        ]
        if credit_used.is_positive:
            events.append(payment._credits_applied(at))
        return Transition(payment, tuple(events))

    @classmethod
    def covered(
        cls,
        *,
        id: UUID,
        family_id: Hashable,
        purpose: PaymentPurpose | str,
        subject_id: Hashable,
        credit_used: Money,
        at: datetime,
    ) -> Transition:
        """Credits pay it all: a payment of 0 by card, succeeded at once, no provider involved.

        It keeps an id (the saga names it in ``billing.payment.succeeded`` and planning's
        confirmation) and follows the same outcomes: ``mark_applied`` when the days are
        confirmed, ``convert_to_credit`` (the credits come back) when they are refused."""
        payment = cls(
            id=id,
            family_id=family_id,
            purpose=purpose,
            subject_id=subject_id,
            amount=Money.zero(),
            credit_used=credit_used,
            refdet=new_refdet(id, require_aware(at).astimezone(PARIS).date()),
            provider=CREDIT_PROVIDER,
            created_at=at,
        )
        events: list[DomainEvent] = []
        if credit_used.is_positive:
            events.append(payment._credits_applied(at))
        paid = payment.succeed(at)
        return Transition(paid.payment, (*events, *paid.events))

    # -- provider side --------------------------------------------------------------------
    def start(self, operation_id: str, at: datetime) -> Transition:
        """The provider opened operation ``operation_id`` (PayFiP's ``idOp``) for this payment."""
        if not isinstance(operation_id, str) or not operation_id:
            raise ValueError("an operation id is a non-empty string")
        if self.operation_id == operation_id:
            return Transition(self)
        if self.state is not PaymentState.CREATED:
            raise Conflict(
                "Ce paiement est déjà en cours auprès du Trésor public avec une autre opération.",
                code="payment_operation_mismatch",
            )
        started = replace(self, state=PaymentState.PENDING, operation_id=operation_id, started_at=require_aware(at))
        return Transition(
            started,
            (PaymentPending(family_id=self.family_id, occurred_at=at, payment_id=self.id, operation_id=operation_id),),
        )

    def succeed(self, at: datetime, *, subject_available: bool = True) -> Transition:
        if self.state is PaymentState.SUCCEEDED:
            return Transition(self)
        released_before = self.state not in _OPEN
        released = released_before or not subject_available
        paid = replace(self, state=PaymentState.SUCCEEDED, settled_at=require_aware(at), failure_reason=None)
        events: list[DomainEvent] = [
            self._payment_event(
                PaymentSucceeded,
                at,
                credit_used=self.credit_used,
                operation_id=self.operation_id,
                subject_released=released,
            )
        ]
        if released:
            # Credits set aside were already given back when the payment failed or expired.
            events += paid._to_credit(at, release_credits=not released_before)
            return Transition(replace(paid, outcome=PaymentOutcome.CREDITED), tuple(events))
        if self.purpose is PaymentPurpose.INVOICE:
            events.append(paid._applied(at))
            return Transition(replace(paid, outcome=PaymentOutcome.APPLIED), tuple(events))
        return Transition(paid, tuple(events))

    def fail(self, at: datetime, reason: str) -> Transition:
        if self.state not in _OPEN:
            return Transition(self)
        failed = replace(self, state=PaymentState.FAILED, settled_at=require_aware(at), failure_reason=reason)
        return Transition(failed, (self._payment_event(PaymentFailed, at, reason=reason), *self._release(at)))

    def expire(self, at: datetime) -> Transition:
        if self.state not in _OPEN:
            return Transition(self)
        expired = replace(self, state=PaymentState.EXPIRED, settled_at=require_aware(at))
        return Transition(expired, (self._payment_event(PaymentExpired, at), *self._release(at)))

    def is_overdue(self, now: datetime, *, grace: timedelta = timedelta(0)) -> bool:
        """Still open after the operation's lifetime (+ ``grace``): time to ask the provider."""
        if self.state not in _OPEN:
            return False
        return require_aware(now) >= (self.started_at or self.created_at) + OPERATION_LIFETIME + grace

    # -- subject side ---------------------------------------------------------------------
    def mark_applied(self, at: datetime) -> Transition:
        """Planning confirmed the basket's days: the payment paid what it was for."""
        self._require_succeeded()
        if self.outcome is PaymentOutcome.APPLIED:
            return Transition(self)
        if self.outcome is PaymentOutcome.CREDITED:
            raise Conflict("Ce paiement a déjà été converti en avoir.", code="payment_already_credited")
        return Transition(replace(self, outcome=PaymentOutcome.APPLIED), (self._applied(at),))

    def convert_to_credit(self, at: datetime) -> Transition:
        """The basket expired or its places went elsewhere after the money came: credit it all."""
        self._require_succeeded()
        if self.outcome is PaymentOutcome.CREDITED:
            return Transition(self)
        if self.outcome is PaymentOutcome.APPLIED:
            raise Conflict("Ce paiement a déjà réglé sa réservation.", code="payment_already_applied")
        events = self._to_credit(at, release_credits=True)
        return Transition(replace(self, outcome=PaymentOutcome.CREDITED), tuple(events))

    # -- helpers --------------------------------------------------------------------------
    def _require_succeeded(self) -> None:
        if self.state is not PaymentState.SUCCEEDED:
            raise Conflict("Ce paiement n'a pas abouti.", code="payment_not_succeeded")

    def _about(self, at: datetime) -> dict:
        """The fields every event of this payment shares."""
        return {
            "family_id": self.family_id,
            "occurred_at": at,
            "payment_id": self.id,
            "purpose": self.purpose,
            "subject_id": self.subject_id,
        }

    def _payment_event(self, kind: type[DomainEvent], at: datetime, **fields) -> DomainEvent:
        return kind(**self._about(at), amount=self.amount, refdet=self.refdet, **fields)

    def _applied(self, at: datetime) -> PaymentApplied:
        return PaymentApplied(**self._about(at), total=self.total)

    def _credits_applied(self, at: datetime) -> CreditsApplied:
        return CreditsApplied(**self._about(at), amount=self.credit_used)

    def _release(self, at: datetime) -> list[DomainEvent]:
        if not self.credit_used.is_positive:
            return []
        return [CreditsReleased(**self._about(at), amount=self.credit_used)]

    def _to_credit(self, at: datetime, *, release_credits: bool) -> list[DomainEvent]:
        released = self._release(at) if release_credits else []
        if not self.amount.is_positive:
            return released  # a covered payment: only its credits come back
        granted = CreditGranted(
            family_id=self.family_id,
            occurred_at=at,
            amount=self.amount,
            reason=CreditReason.LATE_PAYMENT,
            label=LATE_PAYMENT_LABEL,
            payment_id=self.id,
            reference=self.refdet,
        )
        return [granted, *released]


@dataclass(frozen=True)
class CheckoutResult:
    application: CreditApplication
    payment: Payment  # covered by credits: already succeeded, amount 0 (see Payment.covered)
    events: tuple[DomainEvent, ...]

    @property
    def covered(self) -> bool:
        return not self.application.needs_payment


def checkout(
    *,
    payment_id: UUID,
    family_id: Hashable,
    purpose: PaymentPurpose | str,
    subject_id: Hashable,
    amount_due: Money,
    available_credit: Money,
    provider: str,
    at: datetime,
    limits: AmountLimits = PAYFIP_LIMITS,
) -> CheckoutResult:
    """Credits first, then a payment for the rest (or a covered one); see the module docstring."""
    application = apply_credits(amount_due, available_credit, limits)
    common = {"id": payment_id, "family_id": family_id, "purpose": purpose, "subject_id": subject_id, "at": at}
    if application.needs_payment:
        made = Payment.create(
            **common, amount=application.to_pay, credit_used=application.credit_used, provider=provider, limits=limits
        )
    else:
        made = Payment.covered(**common, credit_used=application.credit_used)
    return CheckoutResult(application, made.payment, made.events)
