"""Domain events: facts the billing rules return, for the service layer to persist and publish.

They are frozen keyword-only dataclasses; every one carries ``occurred_at`` (an aware
datetime) and the ``family_id`` it concerns. They are not the integration events of
``billing.events`` (versioned Pydantic envelopes): the service layer maps the ones other services
need (``PaymentSucceeded`` → ``billing.payment.succeeded`` ...) and turns each into ledger entries
with :func:`billing.domain.ledger.entries_for`.

A method that changes nothing (a payment succeeding a second time) returns no event; that is
how the 5-notifications-at-once case stays one payment, one confirmation, one e-mail.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, fields
from datetime import datetime
from enum import StrEnum

from billing.domain.money import Money


class CreditReason(StrEnum):
    """Why a family holds a credit (« avoir »)."""

    CANCELLATION = "cancellation"  # a paid day unbooked before the deadline
    LATE_PAYMENT = "late_payment"  # a payment that arrived after its basket expired or its places went
    STAFF = "staff"  # granted by staff (a goodwill gesture, a correction)


def require_aware(at: datetime) -> datetime:
    """Instants in billing are aware: a naive one would be read in the server's zone."""
    if not isinstance(at, datetime) or at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("billing's instants are aware datetimes")
    return at


@dataclass(frozen=True, kw_only=True)
class DomainEvent:
    family_id: Hashable
    occurred_at: datetime

    def __post_init__(self) -> None:
        require_aware(self.occurred_at)
        for field in fields(self):
            # Annotations are strings here (postponed evaluation): "Money" names every amount.
            if field.type == "Money" and not isinstance(getattr(self, field.name), Money):
                raise TypeError(f"{type(self).__name__}.{field.name} is Money, not {type(getattr(self, field.name))}")


@dataclass(frozen=True, kw_only=True)
class PaymentCreated(DomainEvent):
    payment_id: Hashable
    amount: Money
    credit_used: Money
    refdet: str


@dataclass(frozen=True, kw_only=True)
class PaymentPending(DomainEvent):
    """The provider gave an operation id: the parent is on its page."""

    payment_id: Hashable
    operation_id: str


@dataclass(frozen=True, kw_only=True)
class PaymentSucceeded(DomainEvent):
    payment_id: Hashable
    purpose: str
    subject_id: Hashable
    amount: Money
    credit_used: Money
    refdet: str
    operation_id: str | None
    # True when the subject was already released (payment failed/expired before the money came):
    # the service must not confirm anything and a CreditGranted follows in the same result.
    subject_released: bool = False


@dataclass(frozen=True, kw_only=True)
class PaymentFailed(DomainEvent):
    payment_id: Hashable
    purpose: str
    subject_id: Hashable
    amount: Money
    refdet: str
    reason: str


@dataclass(frozen=True, kw_only=True)
class PaymentExpired(DomainEvent):
    payment_id: Hashable
    purpose: str
    subject_id: Hashable
    amount: Money
    refdet: str


@dataclass(frozen=True, kw_only=True)
class PaymentApplied(DomainEvent):
    """The subject is settled: the basket's days are confirmed (or the invoice paid);
    ``payment_id`` is None when credits alone paid it."""

    payment_id: Hashable | None
    purpose: str
    subject_id: Hashable
    total: Money


@dataclass(frozen=True, kw_only=True)
class CreditsApplied(DomainEvent):
    """Credits set against an amount to pay (``payment_id`` None when they covered it all)."""

    amount: Money
    payment_id: Hashable | None
    purpose: str
    subject_id: Hashable


@dataclass(frozen=True, kw_only=True)
class CreditsReleased(DomainEvent):
    """Credits a payment had set aside, available again because it did not settle its subject."""

    amount: Money
    payment_id: Hashable
    purpose: str
    subject_id: Hashable


@dataclass(frozen=True, kw_only=True)
class CreditGranted(DomainEvent):
    amount: Money
    reason: CreditReason
    label: str
    payment_id: Hashable | None = None
    reference: str | None = None
