"""The family ledger (balance, available credit, unpaid) and credits applied first."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from billing.domain.errors import Conflict, InvalidInput
from billing.domain.events import CreditReason
from billing.domain.ledger import EntryKind, Ledger, LedgerEntry, apply_credits, cancellation_credit, entries_for
from billing.domain.money import Money
from billing.domain.payment_rules import PAYFIP_LIMITS

T0 = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)


def entry(kind, cents, *, minutes=0, reason=None, invoice=None, payment=None):
    return LedgerEntry(
        kind=kind,
        amount=Money(cents),
        occurred_at=T0 + timedelta(minutes=minutes),
        label=str(kind),
        credit_reason=reason,
        invoice_id=invoice,
        payment_id=payment,
    )


@pytest.mark.parametrize(
    ("due", "credit", "used", "to_pay"),
    [
        (1122, 0, 0, 1122),  # no credit: all by card
        (1122, 374, 374, 748),  # partly covered
        (1122, 1122, 1122, 0),  # exactly covered: no payment
        (748, 1122, 748, 0),  # more credit than needed: the rest stays
        (0, 374, 0, 0),
        (1122, 1100, 1022, 100),  # never below the card minimum: 1,00 € by card, 0,78 € of credit kept
        (1122, 1022, 1022, 100),  # exactly the minimum left
        (150, 100, 50, 100),
        (80, 80, 80, 0),  # below the minimum but credits cover it
    ],
)
def test_credits_are_applied_first(due, credit, used, to_pay):
    application = apply_credits(Money(due), Money(credit), PAYFIP_LIMITS)
    assert (application.credit_used, application.to_pay) == (Money(used), Money(to_pay))
    assert application.credit_used + application.to_pay == Money(due)
    assert application.needs_payment is (to_pay > 0)


def test_without_limits_credits_go_as_far_as_they_can():
    application = apply_credits(Money(1122), Money(1100))
    assert (application.credit_used, application.to_pay) == (Money(1100), Money(22))


@pytest.mark.parametrize(("due", "credit"), [(80, 0), (80, 50), (10_000_001, 0)])
def test_amounts_the_card_cannot_take(due, credit):
    with pytest.raises(InvalidInput) as refused:
        apply_credits(Money(due), Money(credit), PAYFIP_LIMITS)
    assert refused.value.code == "payment_amount_out_of_limits"
    assert "1,00\u00a0€" in refused.value.message


def test_a_credit_covering_a_large_basket_is_not_limited():
    application = apply_credits(Money(10_000_001), Money(10_000_001), PAYFIP_LIMITS)
    assert not application.needs_payment


@pytest.mark.parametrize(
    ("entries", "balance", "credit", "unpaid"),
    [
        ([], 0, 0, 0),
        # a cancelled paid day: the API.md example
        ([entry(EntryKind.PURCHASE, 374), entry(EntryKind.PAYMENT, 374), entry(EntryKind.CREDIT, 374, reason="cancellation")],
         -374, 374, 0),
        # a basket of 11,22 € paid 3,74 € by credit and 7,48 € by card
        ([entry(EntryKind.CREDIT, 374, reason="cancellation"), entry(EntryKind.CREDIT_USE, 374, payment="p"),
          entry(EntryKind.PAYMENT, 748, payment="p"), entry(EntryKind.PURCHASE, 1122, payment="p")],
         0, 0, 0),
        # the card payment failed: the credit set aside comes back
        ([entry(EntryKind.CREDIT, 374, reason="cancellation"), entry(EntryKind.CREDIT_USE, 374, payment="p"),
          entry(EntryKind.CREDIT_RELEASE, 374, payment="p")],
         -374, 374, 0),
        # a late payment: the money came for nothing and is all credit
        ([entry(EntryKind.PAYMENT, 1122, payment="p"), entry(EntryKind.CREDIT, 1122, reason="late_payment", payment="p")],
         -1122, 1122, 0),
        # an invoice, half paid by credit
        ([entry(EntryKind.CREDIT, 374, reason="staff"), entry(EntryKind.INVOICE, 748, invoice="F1"),
          entry(EntryKind.CREDIT_USE, 374, invoice="F1")],
         374, 0, 374),
        # an invoice paid by card
        ([entry(EntryKind.INVOICE, 748, invoice="F1"), entry(EntryKind.PAYMENT, 748, invoice="F1")], 0, 0, 0),
        # a credit paid back by staff
        ([entry(EntryKind.CREDIT, 374, reason="cancellation"), entry(EntryKind.REFUND, 374)], 0, 0, 0),
    ],
)  # fmt: skip
def test_balance_credit_and_unpaid(entries, balance, credit, unpaid):
    ledger = Ledger(entries)
    summary = ledger.summary()
    assert (summary.balance, summary.credit, summary.unpaid) == (Money(balance), Money(credit), Money(unpaid))
    assert summary.as_payload() == {"balance_cents": balance, "credit_cents": credit, "unpaid_cents": unpaid}


@pytest.mark.parametrize(
    ("entries", "code"),
    [
        ([entry(EntryKind.CREDIT_USE, 1)], "credit_insufficient"),
        ([entry(EntryKind.CREDIT, 374, reason="cancellation"), entry(EntryKind.REFUND, 375)], "credit_insufficient"),
        ([entry(EntryKind.CREDIT, 374, reason="cancellation"), entry(EntryKind.CREDIT_RELEASE, 374, payment="p")],
         "credit_release_invalid"),
        ([entry(EntryKind.INVOICE, 748, invoice="F1"), entry(EntryKind.PAYMENT, 749, invoice="F1")], "invoice_overpaid"),
        ([entry(EntryKind.PAYMENT, 100, invoice="F9")], "invoice_overpaid"),
    ],
)  # fmt: skip
def test_ledger_refusals(entries, code):
    with pytest.raises(Conflict) as refused:
        Ledger(entries)
    assert refused.value.code == code


@pytest.mark.parametrize("cents", [0, -374])
def test_entries_carry_positive_amounts(cents):
    with pytest.raises(InvalidInput):
        entry(EntryKind.PAYMENT, cents)


def test_only_credits_have_a_reason_and_times_are_aware():
    with pytest.raises(ValueError):
        entry(EntryKind.CREDIT, 374)
    with pytest.raises(ValueError):
        entry(EntryKind.PAYMENT, 374, reason="cancellation")
    with pytest.raises(ValueError):
        LedgerEntry(kind="payment", amount=Money(1), occurred_at=datetime(2026, 12, 6), label="x")


def test_history_is_newest_first_and_days_are_paris_days():
    late = LedgerEntry(
        kind="payment", amount=Money(1), occurred_at=datetime(2026, 12, 31, 23, 30, tzinfo=UTC), label="x"
    )
    ledger = Ledger([entry(EntryKind.PURCHASE, 1), late])
    assert ledger.history()[0] is late and late.day == date(2027, 1, 1)


def test_cancellation_credit_gives_back_what_was_paid():
    granted = cancellation_credit(
        family_id="f", amount_paid=Money(150), label="Avoir : Arthur - Cantine du 08/12/2026", at=T0
    )
    (credit,) = entries_for(granted)
    assert credit.kind is EntryKind.CREDIT and credit.credit_reason is CreditReason.CANCELLATION
    ledger = Ledger([entry(EntryKind.PURCHASE, 150), entry(EntryKind.PAYMENT, 150), credit])
    assert ledger.available_credit == Money(150) and ledger.balance == Money(-150)


def test_history_of_one_instant_lists_the_last_written_first():
    first, second = entry(EntryKind.PURCHASE, 748), entry(EntryKind.PAYMENT, 748)
    assert Ledger([first, second]).history() == [second, first]
