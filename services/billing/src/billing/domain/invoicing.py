"""Monthly invoices and credit notes: what a month costs a family, and how documents are numbered.

- ``month_lines(...)`` turns a month's attendance (days a child was **present without a
  booking**: booked days were paid in advance) and the charges staff added into
  :class:`InvoiceLine` s, each day priced with the QF valid that very day (the same
  :func:`~billing.domain.pricing.price_day` as a booking), sorted by date then label;
  ``price_families(...)`` is that rule for many families at once, from plain rows (the
  invoicing run's batches: one price per QF history, activity and day, no object per line).
- ``document_number(series, year, seq)``: invoices ``2026-000042``, credit notes
  ``AV-2026-000007`` — two sequences, each continuous per calendar year (the store takes the
  counter under a row lock in the transaction that issues the document).
- ``credit_note_amount(invoice_total, already_credited, amount)``: a credit note never
  credits more than what is left of its invoice.
- ``due_on(issued_on, days)``: the payment deadline printed on the invoice.

Nothing here divides or rounds: a line's amount is its unit price times its quantity.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import groupby
from operator import itemgetter

from billing.domain.errors import BillingError, Conflict, InvalidInput, NotFound
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


# A priced line as plain data (what the run writes, no object per line):
# (day, child_name, label, unit_price_cents, quantity, child_id, activity_id).
LineRow = tuple[date, str, str, int, int, Hashable | None, Hashable | None]
_LINE_ORDER = itemgetter(0, 1, 2)  # date, then child, then label (stable: ties keep their order)
_NO_QF = QfHistory()


def price_families(
    presences: Iterable[tuple[Hashable, Hashable, Hashable, Iterable[date]]],
    charges: Iterable[tuple[Hashable, date, str, int]],
    *,
    grids: Mapping[tuple[Hashable, str], TariffGrid],
    qf_histories: Mapping[Hashable, QfHistory],
    child_names: Mapping[tuple[Hashable, Hashable], str],
    activity_names: Mapping[Hashable, str],
) -> tuple[dict[Hashable, list[LineRow]], dict[Hashable, BillingError]]:
    """Many families' month lines at once, from plain rows: ``presences`` as (family, child,
    activity, days present), ``charges`` as (family, day, label, cents), ``qf_histories`` by
    family (a family missing has no QF: the highest tariff), ``child_names`` by (family, child).
    Each day is priced by :func:`price_day` with the family's QF valid that day — once per (QF
    history, activity, day): families without a QF share one history, so a day costs one lookup
    for all of them. → (family → its :data:`LineRow` s sorted by date then child then label,
    family → why it cannot be invoiced: a day without a tariff). A family that fails gets no lines."""
    lines: dict[Hashable, list[LineRow]] = defaultdict(list)
    failed: dict[Hashable, BillingError] = {}
    units: dict[tuple[int, Hashable, date], int] = {}
    labels: dict[Hashable, str] = {}
    # Presences grouped by family (as the store reads them) cost one history lookup per family;
    # any order is right, only slower.
    for family, groups in groupby(presences, itemgetter(0)):
        history = qf_histories.get(family, _NO_QF)
        of_history = id(history)
        found = lines[family]
        try:
            for _, child, activity, days in groups:
                name = child_names.get((family, child), "")
                label = labels.get(activity)
                if label is None:
                    label = labels[activity] = f"{activity_names.get(activity, 'Activité')} (présence sans réservation)"
                for day in days:
                    unit = units.get((of_history, activity, day))
                    if unit is None:
                        unit = units[(of_history, activity, day)] = _unit_price(grids, history, activity, day,
                                                                                activity_names)  # fmt: skip
                    found.append((day, name, label, unit, 1, child, activity))
        except BillingError as exc:
            failed[family] = exc
    for family, day, label, cents in charges:
        lines[family].append((day, "", label, cents, 1, None, None))
    for family in failed:
        lines.pop(family, None)
    for found in lines.values():
        found.sort(key=_LINE_ORDER)
    return lines, failed


def _unit_price(grids, history: QfHistory, activity: Hashable, day: date, activity_names) -> int:
    grid = grids.get((activity, school_year_of(day)))
    if grid is None:
        name = activity_names.get(activity, "Activité")
        raise NotFound(f"Aucun tarif n'est défini pour « {name} ».", code="tariff_missing")
    return price_day(grid, history, day).unit_price.cents


def invoice_entry_label(number: str) -> str:
    """The label of an invoice's entry in the family's ledger (its « compte »)."""
    return f"Facture n° {number}"


def rows_total(lines: Iterable[LineRow]) -> int:
    """The total of plain lines, in cents."""
    return sum(x[3] * x[4] for x in lines)


def month_lines(
    *,
    presences: Iterable[Presence],
    charges: Iterable[Charge],
    grids: Mapping[tuple[Hashable, str], TariffGrid],
    qf_history: QfHistory,
    child_names: Mapping[Hashable, str],
    activity_names: Mapping[Hashable, str],
) -> list[InvoiceLine]:
    """One family's month lines (:func:`price_families` for a family of one); a day without a
    tariff is refused (:class:`NotFound` ``tariff_missing``)."""
    days: dict[tuple[Hashable, Hashable], list[date]] = defaultdict(list)
    for p in presences:
        days[(p.child_id, p.activity_id)].append(p.day)
    found, failed = price_families(
        ((None, child, activity, on) for (child, activity), on in days.items()),
        ((None, c.day, c.label, c.amount.cents) for c in charges),
        grids=grids,
        qf_histories={None: qf_history},
        child_names={(None, child): name for child, name in child_names.items()},
        activity_names=activity_names,
    )
    if None in failed:
        raise failed[None]
    return [InvoiceLine(day, child, label, Money(unit), quantity, child_id, activity_id)
            for day, child, label, unit, quantity, child_id, activity_id in found.get(None, ())]  # fmt: skip


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
