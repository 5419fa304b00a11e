"""The tax attestation for childcare expenses (« attestation fiscale pour frais de garde »).

French tax law (crédit d'impôt pour frais de garde des jeunes enfants, CGI art. 200 quater B)
counts what a family paid in a calendar year for the care of each child **under 6 on
1 January of that year**, **meals excluded** (« les frais de nourriture sont exclus »).
:func:`attestation_amounts` applies exactly that to what billing knows: the children (birth
dates from accounts), and the lines the family paid in the year, each with its activity's
code, a meal when :func:`is_meal` says so (the canteen).

What was paid comes two ways, both counted on the day the payment was settled (Paris time):

- bookings paid in advance (« Payer » at the basket): each :class:`PaidLine` of the payment;
- monthly invoices paid through « Payer mes factures » (a payment is always for the whole
  invoice): each line of the invoice for a child's attended day, as a :class:`PaidInvoice`
  (:func:`invoice_paid_lines`). Staff charges on the invoice (a late pick-up fee) name no
  child and are left out; the canteen's lines are meals, left out like any other.

Meals are recognised from planning's activity code (billing's copy keeps it): a code equal to
one of ``meal_codes`` or starting with one followed by ``_`` or ``-`` (``cantine``,
``cantine_maternelle``). Deriving it from the code, rather than a flag staff must remember to
set on every new activity, keeps each school year's canteen excluded with no staff action;
``BILLING_MEAL_ACTIVITY_CODES`` lets a town whose planning names it otherwise say so.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from datetime import date

DEFAULT_MEAL_CODES = ("cantine", "restauration", "repas")


def is_meal(code: str, meal_codes: Iterable[str] = DEFAULT_MEAL_CODES) -> bool:
    code = code.lower()
    return any(code == m or code.startswith((m + "_", m + "-")) for m in meal_codes)


def under_six_on_first_january(birth_date: date, year: int) -> bool:
    """True when the child has not turned 6 by 1 January ``year`` (born after 1 January year-6)."""
    return birth_date > date(year - 6, 1, 1)


@dataclass(frozen=True)
class Child:
    id: Hashable
    first_name: str
    last_name: str
    birth_date: date


@dataclass(frozen=True)
class PaidLine:
    child_id: Hashable
    activity_code: str
    paid_on: date
    amount_cents: int


@dataclass(frozen=True)
class InvoicedLine:
    """One line of an invoice: the child and activity code of an attended day, or ``None``
    for both on a staff charge."""

    child_id: Hashable | None
    activity_code: str | None
    amount_cents: int


@dataclass(frozen=True)
class PaidInvoice:
    """An invoice whose (whole) payment was settled on ``paid_on``."""

    paid_on: date
    lines: tuple[InvoicedLine, ...]


def invoice_paid_lines(invoices: Iterable[PaidInvoice]) -> list[PaidLine]:
    """The paid invoices' lines for a child's day, dated on their payment's day (charges,
    which name no child, are not childcare)."""
    return [
        PaidLine(line.child_id, line.activity_code, invoice.paid_on, line.amount_cents)
        for invoice in invoices
        for line in invoice.lines
        if line.child_id is not None and line.activity_code is not None
    ]


@dataclass(frozen=True)
class ChildAmount:
    child: Child
    amount_cents: int


def attestation_amounts(
    year: int,
    children: Iterable[Child],
    lines: Iterable[PaidLine],
    meal_codes: Iterable[str] = DEFAULT_MEAL_CODES,
    invoices: Iterable[PaidInvoice] = (),
) -> list[ChildAmount]:
    """Per child under 6 on 1 January ``year``: the non-meal amounts paid during ``year``, for
    bookings (``lines``) and invoices (``invoices``) alike.

    Children are listed by birth date (the eldest first) even when nothing was paid for them,
    so the family sees who the attestation covers."""
    meal_codes = tuple(meal_codes)
    eligible = sorted(
        (c for c in children if under_six_on_first_january(c.birth_date, year)),
        key=lambda c: (c.birth_date, c.first_name),
    )
    totals = {c.id: 0 for c in eligible}
    for line in [*lines, *invoice_paid_lines(invoices)]:
        if line.child_id in totals and line.paid_on.year == year and not is_meal(line.activity_code, meal_codes):
            totals[line.child_id] += line.amount_cents
    return [ChildAmount(c, totals[c.id]) for c in eligible]
