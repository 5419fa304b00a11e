"""Pricing days and quoting baskets: each day priced with the QF valid that very day.

- ``price_day(grid, qf_history, day)`` → :class:`DayPrice` (``unit_price``, the ``qf`` used or
  ``None``, the ``bracket``). Refused with :class:`InvalidInput` ``tariff_wrong_school_year``
  when ``day`` is outside the grid's school year.
- ``quote(lines, grids, qf_history)`` → :class:`Quote`: one :class:`QuoteLine` per
  :class:`BookingLine` (date, child, activity) with the element's label
  « Arthur - 2026/2027 - Cantine (11h30 à 13h30) », the tarification « à l'unité » and the cost,
  sorted by date then label, and the ``total``. ``grids`` maps ``(activity_id, school_year)`` to
  the :class:`TariffGrid`; a missing one is :class:`NotFound` ``tariff_missing`` (staff have not
  priced that activity for that year yet). The same (day, child, activity) twice is refused
  (``quote_duplicate_line``): a day is booked once.

One family's lines share one :class:`QfHistory`, so a QF that changes on the 16th prices the
1st–15th with the old value and the 16th onwards with the new one. Everything is integer cents:
a total is a sum of unit prices, nothing is ever divided or rounded.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from billing.domain.errors import InvalidInput, NotFound
from billing.domain.money import Money
from billing.domain.qf import QfHistory, QuotientFamilial
from billing.domain.tariffs import Bracket, TariffGrid, school_year_of

UNIT_PRICING = "à l'unité"


@dataclass(frozen=True)
class DayPrice:
    day: date
    unit_price: Money
    qf: QuotientFamilial | None
    bracket: Bracket

    @property
    def qf_value(self) -> int | None:
        return None if self.qf is None else self.qf.value


def price_day(grid: TariffGrid, qf_history: QfHistory, day: date) -> DayPrice:
    """The price of one day of ``grid``'s activity for a family, with its QF valid that day."""
    if not grid.covers(day):
        raise InvalidInput(
            f"Le tarif de l'année scolaire {grid.school_year} ne s'applique pas au {day:%d/%m/%Y}.",
            code="tariff_wrong_school_year",
        )
    qf = qf_history.value_on(day)
    bracket = grid.bracket_for(None if qf is None else qf.value)
    return DayPrice(day, bracket.unit_price, qf, bracket)


@dataclass(frozen=True)
class BookingLine:
    """A day to price: planning's child and activity, named as planning names them
    (``activity_name`` like ``"2026/2027 - Cantine (11h30 à 13h30)"``), or with the whole
    element label planning already wrote (``given_label``, what the saga's lines carry)."""

    day: date
    child_id: Hashable
    child_first_name: str
    activity_id: Hashable
    activity_name: str
    given_label: str | None = None

    @property
    def label(self) -> str:
        if self.given_label:
            return self.given_label
        return f"{self.child_first_name} - {self.activity_name}"


@dataclass(frozen=True)
class QuoteLine:
    day: date
    child_id: Hashable
    activity_id: Hashable
    label: str
    cost: Money
    qf_value: int | None
    pricing: str = UNIT_PRICING


@dataclass(frozen=True)
class Quote:
    lines: tuple[QuoteLine, ...]
    total: Money

    def as_payload(self) -> dict:
        """The shape planning shows: lines (date, element, tarification, cost) and the total."""
        return {
            "lines": [
                {
                    "date": line.day.isoformat(),
                    "child_id": str(line.child_id),
                    "activity_id": str(line.activity_id),
                    "label": line.label,
                    "pricing": line.pricing,
                    "amount_cents": line.cost.cents,
                    "amount": line.cost.format_fr(),
                }
                for line in self.lines
            ],
            "total_cents": self.total.cents,
            "total": self.total.format_fr(),
        }


def quote(
    lines: Iterable[BookingLine],
    grids: Mapping[tuple[Hashable, str], TariffGrid],
    qf_history: QfHistory,
) -> Quote:
    """Price a family's booking lines; see the module docstring."""
    priced: list[QuoteLine] = []
    seen: set[tuple[date, Hashable, Hashable]] = set()
    for line in lines:
        key = (line.day, line.child_id, line.activity_id)
        if key in seen:
            raise InvalidInput("Le même jour figure deux fois pour le même enfant.", code="quote_duplicate_line")
        seen.add(key)
        grid = grids.get((line.activity_id, school_year_of(line.day)))
        if grid is None:
            raise NotFound(
                f"Aucun tarif n'est encore défini pour « {line.activity_name or line.label} ». Merci de contacter la mairie.",
                code="tariff_missing",
            )
        price = price_day(grid, qf_history, line.day)
        priced.append(
            QuoteLine(line.day, line.child_id, line.activity_id, line.label, price.unit_price, price.qf_value)
        )
    priced.sort(key=lambda q: (q.day, q.label))
    return Quote(tuple(priced), Money.total(q.cost for q in priced))
