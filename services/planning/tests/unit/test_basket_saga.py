"""« Payer » and what follows: hold, idempotent checkout, confirmation, failure, expiry, late payment."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from uuid import UUID

import pytest
from planning.domain import (
    PARIS,
    BasketCheckedOut,
    BasketReleased,
    BasketStatus,
    ConfirmOutcome,
    Conflict,
    DayRef,
    DeadlinePolicy,
    Month,
    PaymentNotApplied,
    ReservationCancelled,
    ReservationsConfirmed,
    RulesViolated,
)

DEC = Month(2026, 12)
NOW = datetime(2026, 11, 29, 20, 30, tzinfo=PARIS)
HOLD = timedelta(minutes=30)
CHECKOUT = UUID(int=77)


@pytest.fixture
def filled(basket, arthur, cantine, rules):
    """Two days to book (01/12, 04/12) and one paid day to unbook (03/12)."""
    basket.request_days(
        arthur, cantine, DEC, [date(2026, 12, 1), date(2026, 12, 4)], now=NOW, rules=rules, booked=[date(2026, 12, 3)]
    )
    return basket


def ref(arthur, cantine, day):
    return DayRef(arthur.id, cantine.id, day)


def test_checkout_freezes_and_holds_for_30_minutes(filled, arthur, cantine):
    result = filled.checkout(NOW)
    assert (result.status, result.expires_at, result.repeated) == (BasketStatus.CHECKING_OUT, NOW + HOLD, False)
    (event,) = result.events
    assert isinstance(event, BasketCheckedOut) and event.expires_at == NOW + HOLD
    assert [(line.day, line.change) for line in event.lines] == [
        (date(2026, 12, 1), "add"),
        (date(2026, 12, 3), "remove"),
        (date(2026, 12, 4), "add"),
    ]
    assert filled.status is BasketStatus.CHECKING_OUT and filled.checked_out_at == NOW


@pytest.mark.parametrize("hold_minutes", [1, 30, 90])
def test_the_hold_is_configurable(filled, hold_minutes):
    assert filled.checkout(NOW, hold_minutes=hold_minutes).expires_at == NOW + timedelta(minutes=hold_minutes)


@pytest.mark.parametrize("later", [timedelta(0), timedelta(seconds=1), timedelta(minutes=29, seconds=59)])
def test_a_second_checkout_within_the_hold_is_the_same(filled, later):
    first = filled.checkout(NOW)
    version = filled.version
    again = filled.checkout(NOW + later)
    assert again.repeated and again.events == ()
    assert (again.basket_id, again.status, again.expires_at, again.lines) == (
        first.basket_id,
        first.status,
        first.expires_at,
        first.lines,
    )
    assert filled.version == version


def test_a_checkout_after_the_hold_is_refused(filled):
    filled.checkout(NOW)
    with pytest.raises(Conflict) as expired:
        filled.checkout(NOW + HOLD)
    assert expired.value.code == "basket_expired"


def test_an_empty_basket_cannot_be_paid(basket):
    with pytest.raises(Conflict) as empty:
        basket.checkout(NOW)
    assert empty.value.code == "basket_empty" and basket.status is BasketStatus.OPEN


def test_checkout_checks_the_deadlines_again(filled, arthur, cantine):
    late = datetime(2026, 11, 29, 21, tzinfo=PARIS)
    with pytest.raises(RulesViolated) as refused:
        filled.checkout(late, deadlines=DeadlinePolicy())
    assert [p.code for p in refused.value.problems] == [
        "deadline_passed",
        "cancellation_deadline_passed",
        "deadline_passed",
    ]
    assert filled.status is BasketStatus.OPEN
    filled.drop([ref(arthur, cantine, date(2026, 12, d)) for d in (1, 3, 4)])
    assert filled.lines == {}


def test_payment_confirms_the_adds_and_the_removals_are_applied_at_checkout(filled, arthur, cantine):
    filled.checkout(NOW, checkout_id=CHECKOUT)
    # billing accepted to create the payment: the removals take effect now, not at payment
    assert filled.cancellations() == (
        ReservationCancelled(filled.id, filled.family_id, ref(arthur, cantine, date(2026, 12, 3))),
    )
    result = filled.confirm("pay-1", NOW + HOLD - timedelta(seconds=1), CHECKOUT)
    assert result.outcome is ConfirmOutcome.CONFIRMED and not result.payment_becomes_credit
    (confirmed,) = result.events
    assert confirmed == ReservationsConfirmed(
        filled.id,
        filled.family_id,
        "pay-1",
        (ref(arthur, cantine, date(2026, 12, 1)), ref(arthur, cantine, date(2026, 12, 4))),
    )
    assert filled.status is BasketStatus.CONFIRMED and filled.payment_id == "pay-1"


def test_a_payment_of_another_checkout_is_refused(filled):
    filled.checkout(NOW, checkout_id=CHECKOUT)
    result = filled.confirm("pay-1", NOW, UUID(int=99))
    assert result.payment_becomes_credit
    assert [e.reason for e in result.events] == ["not_checked_out"]
    assert filled.status is BasketStatus.CHECKING_OUT
    assert filled.fail(UUID(int=99)) == () and filled.status is BasketStatus.CHECKING_OUT


def test_reopen_gives_the_basket_back_as_it_was(filled, arthur, cantine):
    lines = dict(filled.lines)
    filled.checkout(NOW, checkout_id=CHECKOUT)
    assert filled.reopen() == (ref(arthur, cantine, date(2026, 12, 1)), ref(arthur, cantine, date(2026, 12, 4)))
    assert filled.status is BasketStatus.OPEN and filled.lines == lines
    assert filled.checkout_id is None and filled.expires_at is None and filled.cancellations() == ()
    with pytest.raises(Conflict):
        filled.reopen()


def test_the_same_payment_twice_is_handled_once(filled):
    filled.checkout(NOW)
    filled.confirm("pay-1", NOW)
    again = filled.confirm("pay-1", NOW + timedelta(hours=2))
    assert again.outcome is ConfirmOutcome.ALREADY_CONFIRMED and again.events == ()


@pytest.mark.parametrize(
    ("setup", "reason", "released_now"),
    [
        ("late", "basket_released", True),  # paid at expires_at, the expiry job has not run yet
        ("expired", "basket_released", False),  # the expiry job ran first
        ("failed", "basket_released", False),
        ("paid_twice", "already_paid", False),
        ("never_checked_out", "not_checked_out", False),
    ],
)
def test_a_payment_planning_cannot_use_becomes_a_credit(filled, setup, reason, released_now):
    if setup != "never_checked_out":
        filled.checkout(NOW)
    if setup == "expired":
        filled.expire(NOW + HOLD)
    if setup == "failed":
        filled.fail()
    if setup == "paid_twice":
        filled.confirm("pay-1", NOW)
    status_before = filled.status
    result = filled.confirm("pay-2", NOW + HOLD)
    assert result.outcome is ConfirmOutcome.REFUSED and result.payment_becomes_credit
    assert result.events[-1] == PaymentNotApplied(filled.id, filled.family_id, "pay-2", reason)
    assert not any(isinstance(e, ReservationsConfirmed) for e in result.events)
    assert any(isinstance(e, BasketReleased) for e in result.events) is released_now
    if setup in ("paid_twice", "never_checked_out"):
        assert filled.status is status_before
    else:
        assert filled.status is BasketStatus.RELEASED


@pytest.mark.parametrize(
    ("when", "released"),
    [(NOW + HOLD - timedelta(seconds=1), False), (NOW + HOLD, True), (NOW + timedelta(days=1), True)],
)
def test_expiry_frees_the_held_days(filled, arthur, cantine, when, released):
    filled.checkout(NOW)
    events = filled.expire(when)
    if released:
        assert events == (
            BasketReleased(
                filled.id,
                filled.family_id,
                "expired",
                (ref(arthur, cantine, date(2026, 12, 1)), ref(arthur, cantine, date(2026, 12, 4))),
            ),
        )
        assert filled.status is BasketStatus.RELEASED
        assert filled.expire(when) == ()  # a second run of the job does nothing
    else:
        assert events == () and filled.status is BasketStatus.CHECKING_OUT


def test_failure_frees_the_held_days_once(filled):
    filled.checkout(NOW)
    (released,) = filled.fail()
    assert released.reason == "payment_failed" and len(released.days) == 2
    assert filled.fail() == ()


def test_a_failure_after_payment_changes_nothing(filled):
    filled.checkout(NOW)
    filled.confirm("pay-1", NOW)
    assert filled.fail() == () and filled.status is BasketStatus.CONFIRMED


def test_a_basket_of_removals_only_is_confirmed_at_once(basket, arthur, cantine, rules):
    paid = [date(2026, 12, 1), date(2026, 12, 3), date(2026, 12, 4)]
    basket.request_days(arthur, cantine, DEC, [date(2026, 12, 4)], now=NOW, rules=rules, booked=paid)
    result = basket.checkout(NOW)
    assert (result.status, result.expires_at) == (BasketStatus.CONFIRMED, None)
    assert result.events == (
        ReservationCancelled(basket.id, basket.family_id, ref(arthur, cantine, date(2026, 12, 1))),
        ReservationCancelled(basket.id, basket.family_id, ref(arthur, cantine, date(2026, 12, 3))),
    )
    assert basket.status is BasketStatus.CONFIRMED
    with pytest.raises(Conflict) as closed:
        basket.checkout(NOW)
    assert closed.value.code == "basket_closed"


@pytest.mark.parametrize(
    ("activity", "day", "month", "now", "accepted"),
    [
        # Summer time began on Sunday 28/03/2027: the deadline is 19:00 UTC.
        ("cantine", date(2027, 3, 30), Month(2027, 3), datetime(2027, 3, 28, 18, 59, 59, tzinfo=UTC), True),
        ("cantine", date(2027, 3, 30), Month(2027, 3), datetime(2027, 3, 28, 19, tzinfo=UTC), False),
        # Winter time began on Sunday 25/10/2026: the deadline is 20:00 UTC (Toussaint: the ALSH runs).
        ("alsh", date(2026, 10, 27), Month(2026, 10), datetime(2026, 10, 25, 19, 59, 59, tzinfo=UTC), True),
        ("alsh", date(2026, 10, 27), Month(2026, 10), datetime(2026, 10, 25, 20, tzinfo=UTC), False),
        # The week of 28/12/2026 spans two years: 31/12 closes on Sunday 27/12.
        ("alsh", date(2026, 12, 31), DEC, datetime(2026, 12, 27, 20, 59, 59, tzinfo=PARIS), True),
        ("alsh", date(2026, 12, 31), DEC, datetime(2026, 12, 27, 21, tzinfo=PARIS), False),
        # Monday 01/02/2027 closes on Sunday 31/01/2027.
        ("cantine", date(2027, 2, 1), Month(2027, 2), datetime(2027, 1, 31, 20, 59, 59, tzinfo=PARIS), True),
        ("cantine", date(2027, 2, 1), Month(2027, 2), datetime(2027, 1, 31, 21, tzinfo=PARIS), False),
    ],
)
def test_booking_across_dst_and_boundaries(basket, arthur, rules, request, activity, day, month, now, accepted):
    activity = request.getfixturevalue(activity)
    if accepted:
        lines = basket.request_days(arthur, activity, month, [day], now=now, rules=rules)
        assert [(line.day, line.change) for line in lines] == [(day, "add")]
    else:
        with pytest.raises(RulesViolated) as refused:
            basket.request_days(arthur, activity, month, [day], now=now, rules=rules)
        assert refused.value.code == "deadline_passed" and basket.lines == {}
