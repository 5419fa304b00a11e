"""Pricing days and quoting lines: each day with the QF valid that very day, in whole cents."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from billing.domain.errors import InvalidInput, NotFound
from billing.domain.money import Money
from billing.domain.pricing import UNIT_PRICING, BookingLine, price_day, quote
from billing.domain.qf import QfHistory, QfState, QuotientFamilial
from billing.domain.tariffs import TariffGrid

CANTINE = "cantine"
CANTINE_NAME = "2026/2027 - Cantine (11h30 à 13h30)"
MATIN = "matin"
MATIN_NAME = "2026/2027 - Périscol, Matin (7h à 08h30)"

GRIDS = {
    (CANTINE, "2026/2027"): TariffGrid.from_payload(
        CANTINE,
        "2026/2027",
        [
            {"qf_max": 600, "unit_price_cents": 150},
            {"qf_max": 1200, "unit_price_cents": 280},
            {"qf_max": None, "unit_price_cents": 374},
        ],
    ),
    (MATIN, "2026/2027"): TariffGrid.from_payload(
        MATIN, "2026/2027", [{"qf_max": 800, "unit_price_cents": 95}, {"qf_max": None, "unit_price_cents": 133}]
    ),
}


def validated(value, start, end):
    return QuotientFamilial(value, start, end, "attestation_caf", QfState.VALIDATED)


def cantine(day, child="Arthur"):
    return BookingLine(day, child.lower(), child, CANTINE, CANTINE_NAME)


@pytest.mark.parametrize(
    ("qf_value", "cents"),
    [(600, 150), (601, 280), (1200, 280), (1201, 374), (None, 374)],
)
def test_price_of_a_day_follows_the_qf(qf_value, cents):
    history = QfHistory([] if qf_value is None else [validated(qf_value, date(2026, 2, 1), date(2027, 1, 31))])
    priced = price_day(GRIDS[(CANTINE, "2026/2027")], history, date(2026, 12, 8))
    assert priced.unit_price == Money(cents) and priced.qf_value == qf_value


def test_a_pending_or_expired_qf_pays_the_highest_tariff():
    history = QfHistory(
        [
            validated(550, date(2026, 2, 1), date(2027, 1, 31)),
            QuotientFamilial(300, date(2027, 2, 1), date(2028, 1, 31), "avis_imposition"),  # pending
        ]
    )
    grid = GRIDS[(CANTINE, "2026/2027")]
    assert price_day(grid, history, date(2027, 1, 29)).unit_price == Money(150)
    assert price_day(grid, history, date(2027, 2, 1)).unit_price == Money(374)


def test_a_qf_changing_mid_month_prices_each_day_with_its_own_qf():
    history = QfHistory(
        [validated(550, date(2026, 2, 1), date(2026, 12, 15)), validated(1100, date(2026, 12, 16), date(2027, 12, 31))]
    )
    days = [date(2026, 12, 1) + timedelta(days=i) for i in range(31)]
    q = quote([cantine(d) for d in days], GRIDS, history)
    expected = {d: (150 if d <= date(2026, 12, 15) else 280) for d in days}
    assert {line.day: line.cost.cents for line in q.lines} == expected
    assert {line.day: line.qf_value for line in q.lines}[date(2026, 12, 15)] == 550
    assert {line.day: line.qf_value for line in q.lines}[date(2026, 12, 16)] == 1100
    assert q.total == Money(15 * 150 + 16 * 280)


def test_the_guide_basket():
    """The guide's « Validation des modifications »: three canteen days at 3,74 € → 11,22 €."""
    lines = [cantine(date(2027, 1, 19)), cantine(date(2027, 1, 9)), cantine(date(2027, 1, 16))]
    q = quote(lines, GRIDS, QfHistory())
    assert [line.day for line in q.lines] == [date(2027, 1, 9), date(2027, 1, 16), date(2027, 1, 19)]
    assert {line.label for line in q.lines} == {"Arthur - 2026/2027 - Cantine (11h30 à 13h30)"}
    assert {line.pricing for line in q.lines} == {UNIT_PRICING} == {"à l'unité"}
    assert q.total == Money(1122) and q.total.format_fr() == "11,22\u00a0€"
    payload = q.as_payload()
    assert payload["total_cents"] == 1122 and payload["lines"][0]["amount_cents"] == 374
    assert payload["lines"][0]["date"] == "2027-01-09" and payload["lines"][0]["amount"] == "3,74\u00a0€"


def test_several_children_and_activities_in_one_quote():
    history = QfHistory([validated(700, date(2026, 9, 1), date(2027, 8, 31))])
    lines = [
        cantine(date(2026, 12, 1), "Léa"),
        cantine(date(2026, 12, 1), "Arthur"),
        BookingLine(date(2026, 12, 1), "arthur", "Arthur", MATIN, MATIN_NAME),
    ]
    q = quote(lines, GRIDS, history)
    assert [(line.label, line.cost.cents) for line in q.lines] == [
        ("Arthur - 2026/2027 - Cantine (11h30 à 13h30)", 280),
        ("Arthur - 2026/2027 - Périscol, Matin (7h à 08h30)", 95),
        ("Léa - 2026/2027 - Cantine (11h30 à 13h30)", 280),
    ]
    assert q.total == Money(655)


@pytest.mark.parametrize("days", [1, 7, 31, 366])
def test_rounding_is_never_needed(days):
    """A total is exactly the sum of integer unit prices, whatever the number of days."""
    history = QfHistory([validated(601, date(2026, 8, 1), date(2027, 7, 31))])
    start = date(2026, 8, 1)
    lines = [cantine(start + timedelta(days=i)) for i in range(days) if start + timedelta(days=i) < date(2027, 8, 1)]
    q = quote(lines, GRIDS, history)
    assert q.total == Money(280 * len(lines)) and all(type(line.cost.cents) is int for line in q.lines)


def test_empty_quote():
    q = quote([], GRIDS, QfHistory())
    assert q.lines == () and q.total == Money(0)


@pytest.mark.parametrize(
    ("lines", "error", "code"),
    [
        ([cantine(date(2026, 12, 1)), cantine(date(2026, 12, 1))], InvalidInput, "quote_duplicate_line"),
        ([BookingLine(date(2026, 12, 1), "arthur", "Arthur", "judo", "2026/2027 - Judo")], NotFound, "tariff_missing"),
        ([cantine(date(2027, 9, 6))], NotFound, "tariff_missing"),  # next school year not priced yet
    ],
)
def test_quote_refusals(lines, error, code):
    with pytest.raises(error) as refused:
        quote(lines, GRIDS, QfHistory())
    assert refused.value.code == code


def test_price_day_outside_the_grid_year():
    with pytest.raises(InvalidInput) as refused:
        price_day(GRIDS[(CANTINE, "2026/2027")], QfHistory(), date(2027, 9, 6))
    assert refused.value.code == "tariff_wrong_school_year"


def test_a_line_keeps_the_label_planning_gave_it():
    line = BookingLine(date(2026, 12, 1), "arthur", "", CANTINE, "", given_label="Arthur - 2026/2027 - Cantine")
    assert line.label == "Arthur - 2026/2027 - Cantine"
