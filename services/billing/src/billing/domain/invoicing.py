"""Monthly invoices and credit notes: what a month costs a family, and how documents are numbered.

- ``month_lines(...)`` turns a month's attendance (days a child was **present without a
  booking**: booked days were paid in advance) and the charges staff added into
  :class:`InvoiceLine` s, each day priced with the QF valid that very day (the same
  :func:`~billing.domain.pricing.price_day` as a booking), sorted by date then label.
- ``document_number(series, year, seq)``: invoices ``2026-000042``, credit notes
  ``AV-2026-000007`` — two sequences, each continuous per calendar year (the store takes the
  counter under a row lock in the transaction that issues the document).
- ``credit_note_amount(invoice_total, already_credited, amount)``: a credit note never
  credits more than what is left of its invoice.
- ``due_on(issued_on, days)``: the payment deadline printed on the invoice.

Nothing here divides or rounds: a line's amount is its unit price times its quantity.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from billing.domain.errors import Conflict, InvalidInput, NotFound
from billing.domain.money import Money
from billing.domain.pricing import price_day
from billing.domain.qf import QfHistory
from billing.domain.tariffs import TariffGrid, school_year_of

SERIES_PREFIX = {"invoice": "", "credit_note": "AV-"}


def document_number(series: str, year: int, seq: int) -> str:
    if seq < 1 or not 2000 <= year <= 9999:
        raise ValueError("a document number has a year and a positive sequence")
    return f"{SERIES_PREFIX[series]}{year}-{seq:06d}"


def month_start(value: date) -> date:
    return value.replace(day=1)


def next_month(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1)


def previous_month(today: date) -> date:
    return (today.replace(day=1) - timedelta(days=1)).replace(day=1)


def due_on(issued_on: date, days: int) -> date:
    return issued_on + timedelta(days=days)


@dataclass(frozen=True)
class Presence:
    """A day planning recorded a child present without a booking."""

    day: date
    child_id: Hashable
    activity_id: Hashable


@dataclass(frozen=True)
class Charge:
    """A fee staff added (a late pick-up…), invoiced with its month."""

    id: Hashable
    day: date
    label: str
    amount: Money


@dataclass(frozen=True)
class InvoiceLine:
    day: date
    child_name: str
    label: str
    unit_price: Money
    quantity: int = 1
    # The child and activity of an attendance line (None on a staff charge or a credit note):
    # the tax attestation counts paid childcare lines per child.
    child_id: Hashable | None = None
    activity_id: Hashable | None = None

    @property
    def amount(self) -> Money:
        return self.unit_price * self.quantity


def month_lines(
    *,
    presences: Iterable[Presence],
    charges: Iterable[Charge],
    grids: Mapping[tuple[Hashable, str], TariffGrid],
    qf_history: QfHistory,
    child_names: Mapping[Hashable, str],
    activity_names: Mapping[Hashable, str],
) -> list[InvoiceLine]:
    lines: list[InvoiceLine] = []
    for p in presences:
        name = activity_names.get(p.activity_id, "Activité")
        grid = grids.get((p.activity_id, school_year_of(p.day)))
        if grid is None:
            raise NotFound(f"Aucun tarif n'est défini pour « {name} ».", code="tariff_missing")
        child = child_names.get(p.child_id, "")
        price = price_day(grid, qf_history, p.day)
        lines.append(
            InvoiceLine(p.day, child, f"{name} (présence sans réservation)", price.unit_price, 1, p.child_id,
                        p.activity_id)
        )  # fmt: skip
    for c in charges:
        lines.append(InvoiceLine(c.day, "", c.label, c.amount))
    lines.sort(key=lambda x: (x.day, x.child_name, x.label))
    return lines


def total(lines: Iterable[InvoiceLine]) -> Money:
    return Money.total(x.amount for x in lines)


def credit_note_amount(invoice_total: Money, already_credited: Money, amount: Money) -> Money:
    if not amount.is_positive:
        raise InvalidInput("Le montant de l'avoir doit être positif.", code="credit_note_amount_invalid")
    if amount > invoice_total - already_credited:
        raise Conflict(
            "Le montant dépasse ce qui reste à créditer sur cette facture.", code="credit_note_exceeds_invoice"
        )
    return amount
