"""The tax attestation's amounts: children under 6 on 1 January, meals excluded, paid that year."""

from __future__ import annotations

from datetime import date

import pytest
from billing.domain.attestation import (
    Child,
    InvoicedLine,
    PaidInvoice,
    PaidLine,
    attestation_amounts,
    is_meal,
    under_six_on_first_january,
)

LEA = Child("lea", "Léa", "Le Derf", date(2021, 3, 1))
ARTHUR = Child("arthur", "Arthur", "Le Derf", date(2020, 1, 1))  # 6 on 1 January 2026
ZOE = Child("zoe", "Zoé", "Le Derf", date(2020, 1, 2))  # still 5 on 1 January 2026


@pytest.mark.parametrize(
    ("birth", "expected"),
    [(date(2020, 1, 2), True), (date(2020, 1, 1), False), (date(2019, 12, 31), False), (date(2025, 12, 31), True)],
)
def test_under_six_on_first_january(birth, expected):
    assert under_six_on_first_january(birth, 2026) is expected


@pytest.mark.parametrize(
    ("code", "meal"),
    [("cantine", True), ("cantine_maternelle", True), ("CANTINE", True), ("restauration-scolaire", True),
     ("peri_matin", False), ("alsh_mercredi", False), ("cantinella", False)],
)  # fmt: skip
def test_meals_are_recognised_from_planning_codes(code, meal):
    assert is_meal(code) is meal


def test_only_non_meal_amounts_paid_that_year_for_children_under_six_count():
    lines = [
        PaidLine("lea", "peri_matin", date(2026, 3, 2), 95),
        PaidLine("lea", "alsh_mercredi", date(2026, 12, 31), 1200),
        PaidLine("lea", "cantine", date(2026, 3, 2), 374),  # a meal
        PaidLine("lea", "peri_matin", date(2025, 12, 31), 95),  # paid the year before
        PaidLine("lea", "peri_matin", date(2027, 1, 1), 95),  # paid the year after
        PaidLine("arthur", "peri_matin", date(2026, 3, 2), 95),  # 6 on 1 January
        PaidLine("zoe", "peri_matin", date(2026, 5, 4), 133),
    ]
    amounts = attestation_amounts(2026, [LEA, ARTHUR, ZOE], lines)
    assert [(a.child.id, a.amount_cents) for a in amounts] == [("zoe", 133), ("lea", 1295)]


def test_a_child_with_nothing_paid_is_listed_at_zero_and_other_codes_can_be_meals():
    amounts = attestation_amounts(2026, [LEA], [PaidLine("lea", "repas_alsh", date(2026, 4, 1), 500)], ["repas"])
    assert [(a.child.id, a.amount_cents) for a in amounts] == [("lea", 0)]


def test_invoice_lines_paid_that_year_count_beside_bookings_meals_and_charges_excluded():
    november = PaidInvoice(date(2026, 12, 3), (
        InvoicedLine("lea", "peri_soir", 210), InvoicedLine("lea", "peri_soir", 210),
        InvoicedLine("lea", "cantine", 374),  # a meal
        InvoicedLine(None, None, 500),  # a late pick-up fee: no child, not childcare
        InvoicedLine("arthur", "peri_soir", 210),  # 6 on 1 January
        InvoicedLine("zoe", "alsh_mercredi", 1200),
    ))  # fmt: skip
    december = PaidInvoice(date(2027, 1, 4), (InvoicedLine("lea", "peri_soir", 210),))  # paid the year after
    booked = [PaidLine("lea", "peri_matin", date(2026, 3, 2), 95)]
    amounts = attestation_amounts(2026, [LEA, ARTHUR, ZOE], booked, invoices=[november, december])
    assert [(a.child.id, a.amount_cents) for a in amounts] == [("zoe", 1200), ("lea", 95 + 2 * 210)]
    assert [a.amount_cents for a in attestation_amounts(2027, [LEA], [], invoices=[november, december])] == [210]
