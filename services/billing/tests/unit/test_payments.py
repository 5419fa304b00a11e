"""The payment aggregate: states, idempotent transitions, late money → credit, provider rules."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from billing.domain.errors import Conflict, InvalidInput
from billing.domain.events import (
    CreditGranted,
    CreditReason,
    CreditsApplied,
    CreditsReleased,
    PaymentApplied,
    PaymentCreated,
    PaymentExpired,
    PaymentFailed,
    PaymentPending,
    PaymentSucceeded,
)
from billing.domain.ledger import Ledger, LedgerEntry, apply_credits, entries_for
from billing.domain.money import Money
from billing.domain.payment_rules import OPERATION_LIFETIME, PAYFIP_LIMITS, check_refdet, new_refdet
from billing.domain.payments import Payment, PaymentOutcome, PaymentState, checkout
from billing.domain.tariffs import Bracket

T0 = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
PID = uuid.UUID("3f2a1b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b")


def created(amount=748, credit_used=374, purpose="basket"):
    return Payment.create(
        id=PID,
        family_id="f",
        purpose=purpose,
        subject_id="basket-1",
        amount=Money(amount),
        credit_used=Money(credit_used),
        provider="payfip",
        at=T0,
    )


def pending(**kwargs):
    return created(**kwargs).payment.start("IDOP123", T0 + timedelta(seconds=5)).payment


def kinds(transition):
    return [type(e) for e in transition.events]


def test_creation():
    t = created()
    assert t.payment.state is PaymentState.CREATED and t.payment.total == Money(1122)
    assert kinds(t) == [PaymentCreated, CreditsApplied]
    assert t.payment.refdet == "202612063F2A1B4C5D6E4F708A9B" and check_refdet(t.payment.refdet)


@pytest.mark.parametrize(("amount", "ok"), [(99, False), (100, True), (10_000_000, True), (10_000_001, False)])
def test_payfip_amount_limits(amount, ok):
    if ok:
        assert created(amount=amount, credit_used=0).payment.amount == Money(amount)
    else:
        with pytest.raises(InvalidInput) as refused:
            created(amount=amount, credit_used=0)
        assert refused.value.code == "payment_amount_out_of_limits"
    assert PAYFIP_LIMITS.allows(Money(amount)) is ok


@pytest.mark.parametrize(
    ("refdet", "ok"),
    [("ABC123", True), ("A" * 30, True), ("ABC12", False), ("A" * 31, False), ("ABC-123", False),
     ("ABC 123", False), ("ÉCOLE123", False), ("abc123", True), (123456, False)],
)  # fmt: skip
def test_refdet_rules(refdet, ok):
    if ok:
        assert check_refdet(refdet) == refdet
    else:
        with pytest.raises(InvalidInput) as refused:
            check_refdet(refdet)
        assert refused.value.code == "refdet_invalid"


def test_refdet_is_stable_per_payment():
    other = uuid.uuid4()
    assert new_refdet(PID, date(2026, 12, 6)) == new_refdet(PID, date(2026, 12, 6))
    assert new_refdet(other, date(2026, 12, 6)) != new_refdet(PID, date(2026, 12, 6))
    assert len(new_refdet(other, date(2026, 12, 6))) == 28


def test_start_is_idempotent_and_refuses_another_operation():
    p = created().payment
    started = p.start("IDOP123", T0)
    assert started.payment.state is PaymentState.PENDING and kinds(started) == [PaymentPending]
    again = started.payment.start("IDOP123", T0 + timedelta(seconds=1))
    assert not again.changed and again.payment == started.payment
    with pytest.raises(Conflict) as refused:
        started.payment.start("IDOP999", T0)
    assert refused.value.code == "payment_operation_mismatch"


# (method, args) per transition, applied to a pending payment, then repeated.
TRANSITIONS = {
    "succeed": (lambda p, at: p.succeed(at), PaymentState.SUCCEEDED, [PaymentSucceeded]),
    "fail": (lambda p, at: p.fail(at, "refused CB"), PaymentState.FAILED, [PaymentFailed, CreditsReleased]),
    "expire": (lambda p, at: p.expire(at), PaymentState.EXPIRED, [PaymentExpired, CreditsReleased]),
}


@pytest.mark.parametrize("name", TRANSITIONS)
def test_transitions_happen_once(name):
    move, state, events = TRANSITIONS[name]
    first = move(pending(), T0 + timedelta(minutes=2))
    assert first.payment.state is state and kinds(first) == events
    for i in range(4):  # the same notification 5 times → one set of events
        again = move(first.payment, T0 + timedelta(minutes=3 + i))
        assert not again.changed and again.payment == first.payment


@pytest.mark.parametrize("name", ["fail", "expire"])
def test_nothing_undoes_a_success(name):
    paid = pending().succeed(T0).payment
    after = TRANSITIONS[name][0](paid, T0 + timedelta(minutes=1))
    assert not after.changed and after.payment.state is PaymentState.SUCCEEDED


def test_failed_then_expired_stays_failed():
    failed = pending().fail(T0, "refused CB").payment
    assert not failed.expire(T0).changed and failed.expire(T0).payment.state is PaymentState.FAILED


def test_success_then_basket_confirmed():
    paid = pending().succeed(T0)
    (succeeded,) = paid.events
    assert succeeded.amount == Money(748) and succeeded.refdet == paid.payment.refdet and not succeeded.subject_released
    applied = paid.payment.mark_applied(T0)
    assert kinds(applied) == [PaymentApplied] and applied.payment.outcome is PaymentOutcome.APPLIED
    assert applied.events[0].total == Money(1122)
    assert not applied.payment.mark_applied(T0).changed
    with pytest.raises(Conflict) as refused:
        applied.payment.convert_to_credit(T0)
    assert refused.value.code == "payment_already_applied"


@pytest.mark.parametrize(
    ("path", "credit_granted", "credits_released"),
    [
        # planning says the basket expired after the money came
        (lambda p: [p.succeed(T0), p.succeed(T0).payment.convert_to_credit(T0)], 748, 374),
        # billing already knows the basket is gone when the money comes
        (lambda p: [p.succeed(T0, subject_available=False)], 748, 374),
        # the payment expired (credits released then), the money came afterwards
        (lambda p: [p.expire(T0), p.expire(T0).payment.succeed(T0 + timedelta(hours=1))], 748, 374),
        (lambda p: [p.fail(T0, "refused"), p.fail(T0, "refused").payment.succeed(T0 + timedelta(hours=1))], 748, 374),
    ],
)
def test_late_payment_becomes_credit(path, credit_granted, credits_released):
    start = created()
    transitions = [start, start.payment.start("IDOP123", T0), *path(start.payment.start("IDOP123", T0).payment)]
    events = [e for t in transitions for e in t.events]
    final = transitions[-1].payment
    assert final.state is PaymentState.SUCCEEDED and final.outcome is PaymentOutcome.CREDITED
    grants = [e for e in events if isinstance(e, CreditGranted)]
    assert [(g.amount, g.reason) for g in grants] == [(Money(credit_granted), CreditReason.LATE_PAYMENT)]
    assert sum(e.amount for e in events if isinstance(e, CreditsReleased)) == Money(credits_released)
    # Converting again changes nothing; confirming the basket now is refused.
    assert not final.convert_to_credit(T0).changed
    with pytest.raises(Conflict) as refused:
        final.mark_applied(T0)
    assert refused.value.code == "payment_already_credited"
    # In the ledger, the whole basket's value (card + credits used) is credit again: never lost.
    before = LedgerEntry(kind="credit", amount=Money(374), occurred_at=T0, label="avoir", credit_reason="cancellation")
    ledger = Ledger([before, *(x for e in events for x in entries_for(e))])
    assert ledger.available_credit == Money(374 + 748) and ledger.balance == Money(-(374 + 748))


def test_cannot_apply_or_credit_an_unpaid_payment():
    for call in (lambda p: p.mark_applied(T0), lambda p: p.convert_to_credit(T0)):
        with pytest.raises(Conflict) as refused:
            call(pending())
        assert refused.value.code == "payment_not_succeeded"


def test_invoice_payment_is_applied_at_once():
    t = pending(purpose="invoice", credit_used=0).succeed(T0)
    assert kinds(t) == [PaymentSucceeded, PaymentApplied] and t.payment.outcome is PaymentOutcome.APPLIED


@pytest.mark.parametrize(
    ("now", "overdue"),
    [(timedelta(minutes=14), False), (OPERATION_LIFETIME + timedelta(seconds=5), True), (timedelta(hours=2), True)],
)
def test_overdue_after_the_operation_lifetime(now, overdue):
    p = pending()
    assert p.is_overdue(T0 + now) is overdue
    assert p.is_overdue(T0 + now, grace=timedelta(hours=3)) is False
    assert p.succeed(T0).payment.is_overdue(T0 + timedelta(days=1)) is False


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError):
        pending().succeed(datetime(2026, 12, 6, 9))


@pytest.mark.parametrize(
    ("due", "credit", "payment", "expected_events"),
    [
        (1122, 0, 1122, [PaymentCreated]),
        (1122, 374, 748, [PaymentCreated, CreditsApplied]),
        (1122, 1122, None, [CreditsApplied, PaymentSucceeded]),
        (1122, 5000, None, [CreditsApplied, PaymentSucceeded]),
    ],
)
def test_checkout(due, credit, payment, expected_events):
    result = checkout(
        payment_id=PID,
        family_id="f",
        purpose="basket",
        subject_id="basket-1",
        amount_due=Money(due),
        available_credit=Money(credit),
        provider="simulated",
        at=T0,
    )
    assert [type(e) for e in result.events] == expected_events
    if payment is None:
        assert result.covered and result.payment.state is PaymentState.SUCCEEDED
        assert result.payment.amount == Money(0) and result.payment.provider == "credit"
    else:
        assert not result.covered and result.payment.amount == Money(payment)
    assert result.payment.total == Money(due)
    # Whatever the path, once settled the family owes nothing and kept only the unused credit.
    start = [
        LedgerEntry(kind="credit", amount=Money(c), occurred_at=T0, label="a", credit_reason="staff")
        for c in [credit]
        if c
    ]
    events = list(result.events)
    paid = result.payment
    if not result.covered:
        succeeded = result.payment.start("IDOP", T0).payment.succeed(T0)
        events += succeeded.events
        paid = succeeded.payment
    events += paid.mark_applied(T0).events
    ledger = Ledger([*start, *(x for e in events for x in entries_for(e))])
    assert ledger.available_credit == Money(credit) - result.application.credit_used
    assert ledger.balance == -ledger.available_credit


def test_a_free_basket_writes_nothing():
    result = checkout(
        payment_id=PID,
        family_id="f",
        purpose="basket",
        subject_id="b",
        amount_due=Money(0),
        available_credit=Money(0),
        provider="simulated",
        at=T0,
    )
    applied = result.payment.mark_applied(T0)
    assert result.covered and [x for e in (*result.events, *applied.events) for x in entries_for(e)] == []


def test_a_covered_basket_refused_by_planning_gives_the_credits_back():
    result = checkout(
        payment_id=PID,
        family_id="f",
        purpose="basket",
        subject_id="b",
        amount_due=Money(748),
        available_credit=Money(1000),
        provider="simulated",
        at=T0,
    )
    refused = result.payment.convert_to_credit(T0)
    assert kinds(refused) == [CreditsReleased] and refused.events[0].amount == Money(748)
    start = LedgerEntry(kind="credit", amount=Money(1000), occurred_at=T0, label="a", credit_reason="staff")
    ledger = Ledger([start, *(x for e in (*result.events, *refused.events) for x in entries_for(e))])
    assert ledger.available_credit == Money(1000) and ledger.balance == Money(-1000)


@pytest.mark.parametrize(
    "enter",
    [
        lambda: apply_credits(11.22, Money(0)),
        lambda: apply_credits(Money(1122), 3.74),
        lambda: PAYFIP_LIMITS.check(11.22),
        lambda: Payment.create(
            id=PID, family_id="f", purpose="basket", subject_id="b", amount=748.0, provider="payfip", at=T0
        ),
        lambda: created().payment.__class__(**{**created().payment.__dict__, "amount": 748.0}),
        lambda: Bracket(600, 1.5),
        lambda: CreditGranted(family_id="f", occurred_at=T0, amount=3.74, reason="staff", label="x"),
        lambda: PaymentSucceeded(
            family_id="f", occurred_at=T0, payment_id=PID, purpose="basket", subject_id="b", amount=Money(1),
            credit_used=0.0, refdet="ABCDEF", operation_id=None,
        ),
        lambda: LedgerEntry(kind="payment", amount=3.74, occurred_at=T0, label="x"),
    ],
)  # fmt: skip
def test_floats_are_refused_wherever_money_enters(enter):
    with pytest.raises((TypeError, InvalidInput)):
        enter()
