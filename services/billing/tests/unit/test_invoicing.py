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
    price_families,
    rows_total,
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


def test_a_batch_is_priced_per_family_with_each_familys_qf_of_each_day_and_a_family_without_tariff_fails_alone():
    nov = [date(2026, 11, d) for d in (3, 17)]
    with_qf = QfHistory([QuotientFamilial(500, date(2026, 11, 16), date(2027, 8, 31), "attestation_caf", "validated")])
    lines, failed = price_families(
        [("f1", "c1", "cantine", nov), ("f2", "c2", "cantine", nov),
         ("f3", "c3", "cantine", [date(2026, 11, 3)]), ("f3", "c3", "piscine", [date(2026, 11, 4)]),
         ("f4", "c4", "cantine", nov[::-1])],
        [("f1", date(2026, 11, 10), "Retard à la sortie", 500)],
        grids={("cantine", "2026/2027"): GRID},
        qf_histories={"f2": with_qf},
        child_names={("f1", "c1"): "Arthur", ("f2", "c2"): "Léa", ("f4", "c2"): "Léa"},
        activity_names={"cantine": "2026/2027 - Cantine"},
    )  # fmt: skip
    assert set(failed) == {"f3"} and failed["f3"].code == "tariff_missing" and "f3" not in lines
    assert [(x[0].day, x[1], x[3]) for x in lines["f1"]] == [(3, "Arthur", 374), (10, "", 500), (17, "Arthur", 374)]
    assert [x[3] for x in lines["f2"]] == [374, 150]  # the QF holds from the 16th only
    assert [(x[0].day, x[1]) for x in lines["f4"]] == [(3, ""), (17, "")]  # sorted; names are per family
    assert lines["f1"][0][2] == "2026/2027 - Cantine (présence sans réservation)"
    assert lines["f1"][0][5:] == ("c1", "cantine") and lines["f1"][1][5:] == (None, None)
    assert rows_total(lines["f1"]) == 374 + 500 + 374 and rows_total(lines["f2"]) == 524
