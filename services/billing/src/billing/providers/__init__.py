"""Payment providers behind one interface: the simulated Treasury and PayFiP.

A provider opens an operation for a payment (``start`` → its id, ``idop``, and the page the
parent pays on) and, asked later, tells the operation's real state (``result``). Billing never
trusts what a notification carries: a notification only names an ``idop``, and billing asks
the provider what became of it.

- ``simulated`` (:mod:`.simulated`, the default outside production): operations kept in
  billing's own database; the gateway's « Trésor public (simulation) » page decides them
  through billing's internal endpoints (docs/saga.md), then notifies billing as PayFiP would.
- ``payfip`` (:mod:`.payfip`): the Treasury's PayFiP web service through eopayment's
  ``payfip_ws`` backend.

``provider_from_settings(settings, pool)`` picks one from ``BILLING_PAYMENT_PROVIDER``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Literal, Protocol

import asyncpg

if TYPE_CHECKING:
    from billing.app import BillingSettings

OperationState = Literal["paid", "refused", "pending", "unknown"]


@dataclass(frozen=True)
class StartedOperation:
    idop: str
    payment_url: str


@dataclass(frozen=True)
class OperationResult:
    """What the provider says of an operation. ``unknown``: it never issued that idop (or
    cannot say now) — billing then changes nothing."""

    idop: str
    state: OperationState
    amount_cents: int | None
    refdet: str | None
    transaction_id: str | None = None


class PaymentProvider(Protocol):
    name: str  # "simulated" | "payfip"
    # How long past the operation's lifetime a « pending » answer may still turn into « paid »:
    # the overdue job expires a payment only after it (PayFiP: eopayment's 2-hour wait on P5).
    pending_grace: timedelta

    async def start(
        self,
        *,
        payment_id: uuid.UUID,
        refdet: str,
        amount_cents: int,
        email: str | None,
        return_url: str,
        notification_url: str,
        conn: asyncpg.Connection | None = None,
    ) -> StartedOperation:
        """Open the operation. ``conn`` is the caller's connection, inside the transaction that
        holds the payment's row lock: a provider that keeps its state in billing's database
        (the simulated Treasury) writes with it, never with a second connection of the pool —
        as many checkouts at once as the pool has connections would otherwise each hold one
        and wait for another, for ever. A remote provider ignores it."""
        ...

    async def result(self, idop: str) -> OperationResult:
        """Ask the provider for the operation's real state; never trust a notification's content."""
        ...


class ProviderUnavailable(Exception):
    """The provider could not be reached or refused to open the operation."""


def provider_from_settings(settings: BillingSettings, pool: asyncpg.Pool) -> PaymentProvider:
    if settings.provider_name == "payfip":
        # eopayment and zeep are imported only when PayFiP is used; its BILLING_PAYFIP_* settings
        # are read by its own settings class.
        from .payfip import PENDING_GRACE, PayfipProvider, PayfipSettings

        provider = PayfipProvider(PayfipSettings())
        provider.pending_grace = PENDING_GRACE
        return provider
    from .simulated import SimulatedTreasury

    return SimulatedTreasury(pool)


__all__ = [
    "OperationResult",
    "OperationState",
    "PaymentProvider",
    "ProviderUnavailable",
    "StartedOperation",
    "provider_from_settings",
]
