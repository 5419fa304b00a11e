"""The invoicing rules without I/O: numbers, month lines priced with the QF of each day,
credit-note limits, months."""

from __future__ import annotations

from datetime import date

import pytest
from billing.domain.errors import Conflict, InvalidInput, NotFound
from billing.domain.invoicing import (
    Charge,
    Presence,
    credit_note_amount,
    document_number,
    month_lines,
    next_month,
    previous_month,
    total,
)
from billing.domain.money import Money
from billing.domain.qf import QfHistory, QuotientFamilial
from billing.domain.tariffs import TariffGrid

GRID = TariffGrid.from_payload(
    "cantine",
    "2026/2027",
    [{"qf_max": 600, "unit_price_cents": 150}, {"qf_max": 1200, "unit_price_cents": 280},
     {"qf_max": None, "unit_price_cents": 374}],
)  # fmt: skip


def test_numbers_are_per_series_and_year_with_six_digits():
    assert document_number("invoice", 2026, 42) == "2026-000042"
    assert document_number("credit_note", 2027, 1) == "AV-2027-000001"
    with pytest.raises(ValueError):
        document_number("invoice", 2026, 0)


def test_months_turn_over_years():
    assert next_month(date(2026, 12, 1)) == date(2027, 1, 1)
    assert previous_month(date(2027, 1, 1)) == date(2026, 12, 1)
    assert previous_month(date(2026, 3, 31)) == date(2026, 2, 1)


def test_each_day_is_priced_with_the_qf_valid_that_day_and_charges_follow_their_date():
    qfs = QfHistory([QuotientFamilial(500, date(2026, 11, 16), date(2027, 8, 31), "attestation_caf", "validated")])
    lines = month_lines(
        presences=[Presence(date(2026, 11, 17), "c1", "cantine"), Presence(date(2026, 11, 3), "c1", "cantine")],
        charges=[Charge("f1", date(2026, 11, 10), "Retard à la sortie", Money(500))],
        grids={("cantine", "2026/2027"): GRID},
        qf_history=qfs,
        child_names={"c1": "Arthur"},
        activity_names={"cantine": "2026/2027 - Cantine"},
    )
    assert [(x.day.day, x.child_name, x.amount.cents) for x in lines] == [(3, "Arthur", 374), (10, "", 500),
                                                                           (17, "Arthur", 150)]  # fmt: skip
    assert total(lines) == Money(1024)


def test_a_day_without_a_tariff_is_refused():
    with pytest.raises(NotFound):
        month_lines(presences=[Presence(date(2026, 7, 3), "c1", "cantine")], charges=[],
                    grids={("cantine", "2026/2027"): GRID}, qf_history=QfHistory(), child_names={},
                    activity_names={})  # fmt: skip


def test_a_credit_note_never_credits_more_than_is_left_of_its_invoice():
    assert credit_note_amount(Money(748), Money(374), Money(374)) == Money(374)
    with pytest.raises(Conflict):
        credit_note_amount(Money(748), Money(374), Money(375))
    with pytest.raises(InvalidInput):
        credit_note_amount(Money(748), Money(0), Money(0))
