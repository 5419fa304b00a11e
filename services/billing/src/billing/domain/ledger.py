"""The family ledger: what a family owes, what it holds as credit, and how credits are spent.

A :class:`LedgerEntry` has a positive ``amount`` and a :class:`EntryKind`; the kind (and, for
credits, the reason) fixes its effect on two running totals:

================  ========================  ==================  ==============================
kind              balance (what is owed)    available credit    written when
================  ========================  ==================  ==============================
invoice           + amount                  —                   an invoice is issued
purchase          + amount                  —                   paid days are confirmed
payment           − amount                  —                   a provider confirms a payment
credit            − amount                  + amount            a paid day is cancelled, or
                                                                staff grant one (reasons
                                                                ``cancellation``, ``staff``)
credit (late)     —                         + amount            a payment arrived for nothing
                                                                (reason ``late_payment``: the
                                                                payment entry already lowered
                                                                the balance)
credit_use        —                         − amount            credits are set against a
                                                                basket or an invoice
credit_release    —                         + amount            a payment that had set credits
                                                                aside failed or expired
refund            + amount                  − amount            staff pay a credit back
================  ========================  ==================  ==============================

So ``balance`` < 0 means the town owes the family (API.md: ``balance_cents: -374,
credit_cents: 374``). ``unpaid`` is what is left of invoices after the payments and credit uses
allocated to them (``invoice_id`` on the entry; a release with an ``invoice_id`` takes its
allocation back). :class:`Ledger` replays entries in order and refuses, with :class:`Conflict`,
spending credit the family does not have (``credit_insufficient``), releasing more than a
payment set aside (``credit_release_invalid``) and paying an invoice beyond its amount or one it
does not hold (``invoice_overpaid``).

``apply_credits(amount_due, available_credit, limits)`` spends credits first and says what is left
to pay by card (:class:`CreditApplication`; ``needs_payment`` False when credits cover it all).
It never leaves a card payment below the provider's minimum: 11,22 € due with 11,00 € of credit
uses 10,22 € and sends 1,00 € to the card, the rest of the credit stays for next time; an amount
below the minimum that credits cannot cover is refused (``payment_amount_out_of_limits``).

``entries_for(event)`` turns a domain event into the entries to write; ``cancellation_credit``
builds the :class:`CreditGranted` of an unbooked paid day (the amount paid, never re-priced).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from billing.domain.errors import Conflict, InvalidInput
from billing.domain.events import (
    CreditGranted,
    CreditReason,
    CreditsApplied,
    CreditsReleased,
    DomainEvent,
    PaymentApplied,
    PaymentSucceeded,
    require_aware,
)
from billing.domain.money import Money
from billing.domain.payment_rules import AmountLimits

PARIS = ZoneInfo("Europe/Paris")


class EntryKind(StrEnum):
    INVOICE = "invoice"
    PURCHASE = "purchase"
    PAYMENT = "payment"
    CREDIT = "credit"
    CREDIT_USE = "credit_use"
    CREDIT_RELEASE = "credit_release"
    REFUND = "refund"


# (sign on the balance, sign on the available credit); credits depend on their reason.
_EFFECTS: dict[EntryKind, tuple[int, int]] = {
    EntryKind.INVOICE: (1, 0),
    EntryKind.PURCHASE: (1, 0),
    EntryKind.PAYMENT: (-1, 0),
    EntryKind.CREDIT: (-1, 1),
    EntryKind.CREDIT_USE: (0, -1),
    EntryKind.CREDIT_RELEASE: (0, 1),
    EntryKind.REFUND: (1, -1),
}

LABELS = {
    EntryKind.PURCHASE: "Réservations (paiement immédiat)",
    EntryKind.CREDIT_USE: "Avoir utilisé",
    EntryKind.CREDIT_RELEASE: "Avoir à nouveau disponible (paiement non abouti)",
    EntryKind.REFUND: "Remboursement d'avoir",
}
LATE_PAYMENT_LABEL = "Avoir : paiement reçu après l'expiration de la réservation"


@dataclass(frozen=True, kw_only=True)
class LedgerEntry:
    kind: EntryKind
    amount: Money
    occurred_at: datetime
    label: str
    reference: str | None = None
    credit_reason: CreditReason | None = None
    invoice_id: Hashable | None = None
    payment_id: Hashable | None = None
    id: Hashable | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", EntryKind(self.kind))
        if not isinstance(self.amount, Money):
            raise TypeError("a ledger entry's amount is Money")
        if not self.amount.is_positive:
            raise InvalidInput("Le montant d'une écriture doit être positif.", code="ledger_amount_invalid")
        require_aware(self.occurred_at)
        if (self.kind is EntryKind.CREDIT) != (self.credit_reason is not None):
            raise ValueError("a credit, and only a credit, has a reason")
        if self.credit_reason is not None:
            object.__setattr__(self, "credit_reason", CreditReason(self.credit_reason))

    @property
    def day(self) -> date:
        """The day as the family lived it (Europe/Paris)."""
        return self.occurred_at.astimezone(PARIS).date()

    @property
    def balance_effect(self) -> Money:
        sign = _EFFECTS[self.kind][0]
        if self.credit_reason is CreditReason.LATE_PAYMENT:
            sign = 0
        return self.amount * sign

    @property
    def credit_effect(self) -> Money:
        return self.amount * _EFFECTS[self.kind][1]


@dataclass(frozen=True)
class AccountSummary:
    balance: Money
    credit: Money
    unpaid: Money

    def as_payload(self) -> dict[str, int]:
        """API.md's ``GET /api/billing/account`` body."""
        return {
            "balance_cents": self.balance.cents,
            "credit_cents": self.credit.cents,
            "unpaid_cents": self.unpaid.cents,
        }


class Ledger:
    """One family's entries in the order they happened; see the module docstring."""

    __slots__ = ("entries", "balance", "available_credit", "_invoices")

    def __init__(self, entries: Iterable[LedgerEntry] = ()):
        entries = tuple(entries)
        balance = credit = Money.zero()
        invoices: dict[Hashable, list[Money]] = {}  # invoice id → [amount, allocated]
        set_aside: dict[Hashable, Money] = {}  # payment id → credit it still holds
        for entry in entries:
            balance += entry.balance_effect
            credit += entry.credit_effect
            if credit.is_negative:
                raise Conflict("L'avoir disponible ne suffit pas.", code="credit_insufficient")
            if entry.kind is EntryKind.CREDIT_USE and entry.payment_id is not None:
                set_aside[entry.payment_id] = set_aside.get(entry.payment_id, Money.zero()) + entry.amount
            if entry.kind is EntryKind.CREDIT_RELEASE:
                held = set_aside.get(entry.payment_id, Money.zero())
                if entry.amount > held:
                    raise Conflict("Ce paiement n'a pas mis cet avoir de côté.", code="credit_release_invalid")
                set_aside[entry.payment_id] = held - entry.amount
            if entry.kind is EntryKind.INVOICE:
                invoices[entry.invoice_id] = [entry.amount, Money.zero()]
            elif entry.invoice_id is not None:
                _allocate(invoices, entry)
        self.entries = entries
        self.balance = balance
        self.available_credit = credit
        self._invoices = invoices

    def with_entries(self, *entries: LedgerEntry) -> Ledger:
        return Ledger((*self.entries, *entries))

    @property
    def unpaid(self) -> Money:
        return Money.total(amount - allocated for amount, allocated in self._invoices.values())

    def outstanding(self, invoice_id: Hashable) -> Money:
        amount, allocated = self._invoices.get(invoice_id, (Money.zero(), Money.zero()))
        return amount - allocated

    def summary(self) -> AccountSummary:
        return AccountSummary(self.balance, self.available_credit, self.unpaid)

    def history(self) -> list[LedgerEntry]:
        """Newest first, as « Consulter l'historique de mon compte » lists them."""
        # Entries of the same instant: the one written last comes first.
        order = sorted(enumerate(self.entries), key=lambda pair: (pair[1].occurred_at, pair[0]), reverse=True)
        return [entry for _, entry in order]


def _allocate(invoices: dict[Hashable, list[Money]], entry: LedgerEntry) -> None:
    if entry.kind not in (EntryKind.PAYMENT, EntryKind.CREDIT_USE, EntryKind.CREDIT_RELEASE):
        raise ValueError(f"a {entry.kind} entry is not allocated to an invoice")
    if entry.invoice_id not in invoices:
        raise Conflict("Cette facture n'appartient pas à ce compte.", code="invoice_overpaid")
    held = invoices[entry.invoice_id]
    held[1] = held[1] - entry.amount if entry.kind is EntryKind.CREDIT_RELEASE else held[1] + entry.amount
    if held[1] > held[0] or held[1].is_negative:
        raise Conflict("Ce paiement dépasse le reste à payer de la facture.", code="invoice_overpaid")


@dataclass(frozen=True)
class CreditApplication:
    amount_due: Money
    credit_used: Money
    to_pay: Money

    @property
    def needs_payment(self) -> bool:
        return self.to_pay.is_positive


def apply_credits(amount_due: Money, available_credit: Money, limits: AmountLimits | None = None) -> CreditApplication:
    """Credits first, the rest by card (within ``limits`` when given); see the module docstring."""
    if not isinstance(amount_due, Money) or not isinstance(available_credit, Money):
        raise TypeError("credits are applied to Money")
    if amount_due.is_negative or available_credit.is_negative:
        raise ValueError("amounts due and credits are never negative")
    used = amount_due.min(available_credit)
    to_pay = amount_due - used
    if limits is not None and to_pay.is_positive:
        if to_pay < limits.minimum:
            if amount_due < limits.minimum:
                limits.check(amount_due)  # raises: the card cannot take so little, credits cannot cover it
            used = amount_due - limits.minimum
            to_pay = limits.minimum
        limits.check(to_pay)
    return CreditApplication(amount_due, used, to_pay)


def cancellation_credit(
    *, family_id: Hashable, amount_paid: Money, label: str, at: datetime, reference: str | None = None
) -> CreditGranted:
    """The credit of a paid day unbooked before the deadline: what was paid for it."""
    return CreditGranted(
        family_id=family_id,
        occurred_at=at,
        amount=amount_paid,
        reason=CreditReason.CANCELLATION,
        label=label,
        reference=reference,
    )


def entries_for(event: DomainEvent, *, payment_label: str = "Paiement en ligne") -> list[LedgerEntry]:
    """The ledger entries an event writes (none for events that move no money)."""
    invoice = _invoice_of(event)

    def entry(kind: EntryKind, amount: Money, label: str, **fields) -> list[LedgerEntry]:
        fields.setdefault("payment_id", getattr(event, "payment_id", None))
        return [LedgerEntry(kind=kind, amount=amount, occurred_at=event.occurred_at, label=label, **fields)]

    if isinstance(event, CreditsApplied):
        return entry(EntryKind.CREDIT_USE, event.amount, LABELS[EntryKind.CREDIT_USE], invoice_id=invoice)
    if isinstance(event, CreditsReleased):
        return entry(EntryKind.CREDIT_RELEASE, event.amount, LABELS[EntryKind.CREDIT_RELEASE], invoice_id=invoice)
    if isinstance(event, PaymentSucceeded) and event.amount.is_positive:
        # An invoice is paid the moment the money comes, unless it was no longer payable.
        allocated = None if event.subject_released else invoice
        return entry(EntryKind.PAYMENT, event.amount, payment_label, reference=event.refdet, invoice_id=allocated)
    if isinstance(event, PaymentApplied) and event.purpose == "basket" and event.total.is_positive:
        return entry(EntryKind.PURCHASE, event.total, LABELS[EntryKind.PURCHASE])
    if isinstance(event, CreditGranted):
        return entry(EntryKind.CREDIT, event.amount, event.label, reference=event.reference, credit_reason=event.reason)
    return []


def _invoice_of(event: DomainEvent) -> Hashable | None:
    if getattr(event, "purpose", None) == "invoice":
        return event.subject_id
    return None
