"""Billing's rules, free of I/O: money, quotients familiaux, tariffs, quotes, credits, payments.

Nothing here reads a clock, a database or the network: days and instants are passed in (instants
as aware datetimes; days of the family's life are Europe/Paris calendar days), and every change
returns new values plus the domain events it produced. Refusals are :mod:`.errors`' exceptions,
each with a stable ``code`` and a French message.

Modules, each documented at its top:

- :mod:`.money` — ``Money`` (integer cents, refuses floats), ``format_cents`` (« 11,22 € »),
  Pydantic annotations ``Cents`` / ``NonNegativeCents`` / ``PositiveCents``.
- :mod:`.qf` — ``QuotientFamilial`` (value, inclusive period, proof, state), ``QfHistory``
  (``value_on(day)``; validated periods never overlap).
- :mod:`.tariffs` — ``TariffGrid`` / ``Bracket`` (QF brackets with inclusive ``qf_max`` and one
  last default bracket, the highest price), ``school_year_of``.
- :mod:`.pricing` — ``price_day`` and ``quote`` (lines « Arthur - 2026/2027 - Cantine … »,
  « à l'unité », cost; total).
- :mod:`.ledger` — ``LedgerEntry`` kinds and their effects, ``Ledger`` (balance, available
  credit, unpaid), ``apply_credits``, ``entries_for(event)``, ``cancellation_credit``.
- :mod:`.payments` — the ``Payment`` aggregate (created → pending → succeeded | failed | expired,
  idempotent transitions, late money → credit) and ``checkout``.
- :mod:`.payment_rules` — provider limits (``PAYFIP_LIMITS``), ``OPERATION_LIFETIME``, ``refdet``
  generation and validation.
- :mod:`.events` — the domain events (``PaymentSucceeded``, ``PaymentFailed``, ``CreditGranted`` …).
"""

from billing.domain.errors import BillingError, Conflict, FieldError, InvalidInput, NotFound
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
)
from billing.domain.ledger import (
    AccountSummary,
    CreditApplication,
    EntryKind,
    Ledger,
    LedgerEntry,
    apply_credits,
    cancellation_credit,
    entries_for,
)
from billing.domain.money import Cents, Money, NonNegativeCents, PositiveCents, format_cents
from billing.domain.payment_rules import (
    OPERATION_LIFETIME,
    PAYFIP_LIMITS,
    AmountLimits,
    check_refdet,
    new_refdet,
)
from billing.domain.payments import (
    CheckoutResult,
    Payment,
    PaymentOutcome,
    PaymentPurpose,
    PaymentState,
    Transition,
    checkout,
)
from billing.domain.pricing import UNIT_PRICING, BookingLine, DayPrice, Quote, QuoteLine, price_day, quote
from billing.domain.qf import QfCampaign, QfHistory, QfProof, QfState, QuotientFamilial, campaign_period
from billing.domain.tariffs import Bracket, TariffGrid, school_year_of

__all__ = [
    "OPERATION_LIFETIME",
    "PAYFIP_LIMITS",
    "UNIT_PRICING",
    "AccountSummary",
    "AmountLimits",
    "BillingError",
    "BookingLine",
    "Bracket",
    "Cents",
    "CheckoutResult",
    "Conflict",
    "CreditApplication",
    "CreditGranted",
    "CreditReason",
    "CreditsApplied",
    "CreditsReleased",
    "DayPrice",
    "DomainEvent",
    "EntryKind",
    "FieldError",
    "InvalidInput",
    "Ledger",
    "LedgerEntry",
    "Money",
    "NonNegativeCents",
    "NotFound",
    "Payment",
    "PaymentApplied",
    "PaymentCreated",
    "PaymentExpired",
    "PaymentFailed",
    "PaymentOutcome",
    "PaymentPending",
    "PaymentPurpose",
    "PaymentState",
    "PaymentSucceeded",
    "PositiveCents",
    "QfCampaign",
    "QfHistory",
    "QfProof",
    "QfState",
    "Quote",
    "QuoteLine",
    "QuotientFamilial",
    "TariffGrid",
    "Transition",
    "apply_credits",
    "campaign_period",
    "cancellation_credit",
    "check_refdet",
    "checkout",
    "entries_for",
    "format_cents",
    "new_refdet",
    "price_day",
    "quote",
    "school_year_of",
]
